package io.reactivecarrier.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.link.PathType;
import io.reactivecarrier.wire.Limits;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Hostile frames for the STREAM packet parser ({@code StreamConnection.parse}): random payloads,
 * sequences of well-formed frames that are then truncated, bit-flipped or given oversized length
 * fields and extreme offsets. The packets carry a valid header and CRC32C (a plain stream), so
 * every byte reaches the frame parser. Whatever the input, the parser never throws, never
 * allocates more than a datagram, never buffers more than the receive window per channel nor more
 * channels than allowed, and a malformed frame is dropped (counted) or closes the stream with a
 * protocol error; it never leaks or releases the caller's buffer.
 */
class StreamParserProperties {

    static final Scheduler LOOP = Schedulers.newSingle("stream-parser-fuzz", true);
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final int CONNECTION_ID = 0x01020304;

    /** A path that drops what the connection sends and records the largest buffer it allocates. */
    static final class SinkPath implements StreamPath {
        final AtomicInteger largestAllocation = new AtomicInteger();
        final ByteBufAllocator alloc = new AbstractByteBufAllocator(false) {
            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                largestAllocation.accumulateAndGet(initialCapacity, Math::max);
                return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                largestAllocation.accumulateAndGet(initialCapacity, Math::max);
                return new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
            }

            @Override
            public boolean isDirectBufferPooled() {
                return false;
            }
        };

        @Override
        public Scheduler scheduler() {
            return LOOP;
        }

        @Override
        public ByteBufAllocator alloc() {
            return alloc;
        }

        @Override
        public void send(ByteBuf packet) {
            packet.release();
        }

        @Override
        public TransportInfo info() {
            return new TransportInfo(PathType.DIRECT, new InetSocketAddress("127.0.0.1", 1),
                    new InetSocketAddress("127.0.0.1", 2), false, false, 0);
        }
    }

    final SinkPath path = new SinkPath();

    StreamConnection connection(boolean reliable, boolean initiator) {
        StreamOptions options = reliable ? StreamOptions.reliable() : StreamOptions.unreliable();
        StreamConnection c = new StreamConnection(path, options.encrypted(false), UserId.of(new byte[32]), 7, initiator,
                PacketProtection.plain(), PacketProtection.plain(), null);
        onLoop(() -> { }); // the constructor's loop task has run: the loop thread is known
        return c;
    }

    static void onLoop(Runnable r) {
        Mono.fromRunnable(r).subscribeOn(LOOP).block(TIMEOUT);
    }

    /** A plain stream packet: header, payload and CRC32C over both. */
    static ByteBuf packet(long pn, byte[] payload) {
        ByteBuf b = Unpooled.buffer(Frames.PACKET_HEADER + payload.length + 4);
        b.writeByte(0x30).writeByte(Limits.PROTOCOL_VERSION).writeInt(CONNECTION_ID).writeLong(pn).writeBytes(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.nioBuffer(0, b.writerIndex()));
        b.writeInt((int) crc.getValue());
        return b;
    }

    /** Feeds packets to a fresh connection and checks every invariant after each. */
    void feed(boolean reliable, boolean initiator, byte[]... payloads) {
        StreamConnection c = connection(reliable, initiator);
        try {
            long pn = 0;
            for (byte[] payload : payloads) {
                ByteBuf in = packet(pn++, payload);
                try {
                    onLoop(() -> c.onPacket(in));
                    assertThat(in.refCnt()).as("the caller's buffer").isEqualTo(1);
                } finally {
                    in.release();
                }
                onLoop(() -> checkBounds(c));
                if (pn == 1 && payload.length > 0) {
                    // header and CRC are valid: a packet with frames reaches the frame parser (an empty one is refused)
                    onLoop(() -> assertThat(c.stats.packetsReceived).as("packets parsed").isEqualTo(1));
                }
            }
        } finally {
            c.close().block(TIMEOUT);
        }
        assertThat(path.largestAllocation.get()).as("largest buffer allocated").isLessThanOrEqualTo(Limits.MAX_DATAGRAM);
    }

    static void checkBounds(StreamConnection c) {
        assertThat(c.channels.size()).as("channels").isLessThanOrEqualTo(c.options.maxChannels() + 1);
        for (ChannelState ch : c.channels.values()) {
            long window = ch.reliable ? c.options.receiveWindow() : Long.MAX_VALUE;
            assertThat(ch.outOfOrderBytes + ch.readyBytes).as("bytes buffered on channel " + ch.id)
                    .isLessThanOrEqualTo(window);
        }
    }

    // ------------------------------------------------------------------ frames

    static byte[] randomFrames(Random r) {
        ByteBuf b = Unpooled.buffer();
        int frames = 1 + r.nextInt(6);
        for (int i = 0; i < frames; i++) {
            writeFrame(b, r);
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    static long anyLong(Random r, long small) {
        return switch (r.nextInt(6)) {
            case 0 -> Long.MAX_VALUE - r.nextInt(4);
            case 1 -> -1 - r.nextInt(4);
            case 2 -> r.nextLong();
            default -> r.nextInt((int) Math.max(1, small));
        };
    }

    static int channel(Random r) {
        return switch (r.nextInt(8)) {
            case 0 -> r.nextInt();
            case 1 -> Integer.MAX_VALUE;
            default -> r.nextInt(8);
        };
    }

    static void writeFrame(ByteBuf b, Random r) {
        int type = r.nextInt(12);
        switch (type) {
            case Frames.PADDING, Frames.PING -> b.writeByte(type);
            case Frames.ACK -> {
                int ranges = r.nextInt(4);
                b.writeByte(type).writeLong(anyLong(r, 64)).writeInt(r.nextInt()).writeByte(ranges)
                        .writeInt(r.nextInt(r.nextBoolean() ? 8 : Integer.MAX_VALUE));
                for (int i = 0; i < ranges; i++) {
                    b.writeInt(r.nextInt(8)).writeInt(r.nextInt(8));
                }
            }
            case Frames.MAX_DATA, Frames.DATAGRAM_FIN -> b.writeByte(type).writeInt(channel(r)).writeLong(anyLong(r, 1 << 24));
            case Frames.STREAM, Frames.STREAM_FIN -> {
                int n = r.nextInt(r.nextBoolean() ? 16 : 1100);
                b.writeByte(type).writeInt(channel(r)).writeLong(anyLong(r, 1 << 22)).writeShort(n);
                byte[] data = new byte[n];
                r.nextBytes(data);
                b.writeBytes(data);
            }
            case Frames.DATAGRAM -> {
                int n = r.nextInt(200);
                b.writeByte(type).writeInt(channel(r)).writeShort(n).writeZero(n);
            }
            case Frames.CHANNEL_OPEN, Frames.CHANNEL_CLOSE -> {
                byte[] s = ("ch" + r.nextInt(1000)).getBytes(StandardCharsets.UTF_8);
                b.writeByte(type).writeInt(channel(r)).writeByte(s.length).writeBytes(s);
            }
            case Frames.CLOSE -> {
                if (r.nextInt(4) == 0) { // rarely: it ends the stream, and the rest of the run with it
                    b.writeByte(type).writeShort(3).writeBytes("bye".getBytes(StandardCharsets.US_ASCII));
                } else {
                    b.writeByte(Frames.PING);
                }
            }
            default -> b.writeByte(0x0B + r.nextInt(0xF5)); // unknown frame type
        }
    }

    /** Truncates, flips bits, or sets a length field (or any 2 or 8 bytes) to an extreme value. */
    static byte[] mutate(byte[] frames, Random r) {
        byte[] b = frames.clone();
        switch (r.nextInt(4)) {
            case 0 -> {
                return java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length));
            }
            case 1 -> {
                for (int i = 0, n = 1 + r.nextInt(4); i < n && b.length > 0; i++) {
                    int bit = r.nextInt(b.length * 8);
                    b[bit >>> 3] ^= (byte) (1 << (bit & 7));
                }
            }
            case 2 -> {
                if (b.length >= 2) {
                    int at = r.nextInt(b.length - 1);
                    b[at] = (byte) 0xff;
                    b[at + 1] = (byte) (r.nextBoolean() ? 0xff : 0xfe);
                }
            }
            default -> {
                if (b.length >= 8) {
                    int at = r.nextInt(b.length - 7);
                    long v = r.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE + r.nextInt(3);
                    for (int i = 0; i < 8; i++) {
                        b[at + i] = (byte) (v >>> (56 - 8 * i));
                    }
                }
            }
        }
        return b;
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 200)
    void randomPayloadsNeverThrowNorOverAllocate(@ForAll @Size(max = 1300) byte[] payload,
            @ForAll boolean reliable, @ForAll boolean initiator) {
        feed(reliable, initiator, payload);
    }

    @Property(tries = 300)
    void wellFormedFrameSequencesNeverThrow(@ForAll long seed, @ForAll boolean reliable) {
        Random r = new Random(seed);
        byte[][] packets = new byte[1 + r.nextInt(5)][];
        for (int i = 0; i < packets.length; i++) {
            packets[i] = randomFrames(r);
        }
        feed(reliable, r.nextBoolean(), packets);
    }

    @Property(tries = 500)
    void truncatedFlippedAndOversizedFramesNeverThrow(@ForAll long seed, @ForAll boolean reliable) {
        Random r = new Random(seed);
        byte[][] packets = new byte[1 + r.nextInt(4)][];
        for (int i = 0; i < packets.length; i++) {
            packets[i] = mutate(randomFrames(r), r);
        }
        feed(reliable, r.nextBoolean(), packets);
    }

    @Property(tries = 100)
    void aFrameCutAnywhereIsDroppedWithoutThrowing(@ForAll @IntRange(min = 0, max = 10) int type,
            @ForAll long seed) {
        Random r = new Random(seed);
        ByteBuf b = Unpooled.buffer();
        // the frame of the given type (PING and CLOSE have nothing to cut but their length field)
        while (b.readableBytes() == 0 || b.getUnsignedByte(0) != type) {
            b.clear();
            writeFrame(b, r);
        }
        byte[] frame = new byte[b.readableBytes()];
        b.readBytes(frame);
        b.release();
        for (int cut = 1; cut < frame.length; cut++) {
            feed(true, true, java.util.Arrays.copyOf(frame, cut));
        }
    }

    // ------------------------------------------------------------------ examples

    @Test
    void aStreamFrameWhoseEndOverflowsIsMalformed() {
        StreamConnection c = connection(true, true);
        try {
            ByteBuf frames = Unpooled.buffer().writeByte(Frames.STREAM_FIN).writeInt(0).writeLong(StreamConnection.MAX_STREAM_OFFSET - 1)
                    .writeShort(4).writeInt(0);
            byte[] payload = new byte[frames.readableBytes()];
            frames.readBytes(payload);
            ByteBuf in = packet(0, payload);
            onLoop(() -> c.onPacket(in));
            in.release();
            onLoop(() -> {
                assertThat(c.stats.rejected).as("rejected").isEqualTo(1);
                assertThat(c.channels.get(0).finalOffset).as("final offset of the main channel").isEqualTo(-1);
            });
        } finally {
            c.close().block(TIMEOUT);
        }
    }

    @Test
    void packetNumbersOutsideTheValidRangeAreRejectedBeforeParsing() {
        StreamConnection c = connection(true, true);
        try {
            for (long pn : new long[] {-1, Long.MIN_VALUE, Long.MAX_VALUE, (1L << 62)}) {
                ByteBuf in = packet(pn, new byte[] {Frames.PING});
                onLoop(() -> c.onPacket(in));
                in.release();
            }
            onLoop(() -> assertThat(c.stats.rejected).isEqualTo(4));
            onLoop(() -> assertThat(c.stats.packetsReceived).isZero());
            ByteBuf ok = packet(0, new byte[] {Frames.PING});
            onLoop(() -> c.onPacket(ok));
            ok.release();
            onLoop(() -> assertThat(c.stats.packetsReceived).isEqualTo(1));
        } finally {
            c.close().block(TIMEOUT);
        }
    }
}
