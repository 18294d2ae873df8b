package io.reactivecarrier.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.wire.DecodeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * MSG fragments and RECEIPTs (docs/protocol/messages.md): round trips; random bytes, truncations,
 * bit flips and oversized length fields only ever throw {@link DecodeException}; a decoded
 * fragment never holds more than the message limit nor more bytes than the input.
 */
class MessageCodecProperties {

    static final int MAX = 64 * 1024;

    static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static void fragmentQuietly(byte[] in, int max) {
        try {
            MessageCodec.Fragment f = MessageCodec.readFragment(in, max);
            assertThat(f.total()).isBetween(0, max);
            assertThat(f.chunk().length).isLessThanOrEqualTo(in.length - MessageCodec.HEADER);
            assertThat((long) f.offset() + f.chunk().length).isLessThanOrEqualTo(f.total());
            assertThat(f.floor()).isBetween(1L, f.seq());
        } catch (DecodeException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    static void receiptQuietly(byte[] in) {
        try {
            List<byte[]> ids = MessageCodec.readReceipt(Unpooled.wrappedBuffer(in));
            assertThat(ids.size() * 16 + 2).isEqualTo(in.length);
        } catch (DecodeException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Property(tries = 300)
    void fragmentsRoundTrip(@ForAll long seed) throws DecodeException {
        Random r = new Random(seed);
        byte[] body = random(r, r.nextInt(3000));
        int offset = body.length == 0 ? 0 : r.nextInt(body.length);
        int length = body.length == 0 ? 0 : 1 + r.nextInt(body.length - offset);
        long seq = 1 + (r.nextBoolean() ? r.nextInt(100) : r.nextLong() & Long.MAX_VALUE - 1);
        long floor = 1 + (long) (r.nextDouble() * (seq - 1));
        byte[] id = random(r, 16);
        long sentAt = r.nextLong();
        byte[] f = MessageCodec.fragment(id, seq, floor, sentAt, body, offset, length);
        MessageCodec.Fragment d = MessageCodec.readFragment(f, MAX);
        assertThat(d.id()).isEqualTo(id);
        assertThat(d.seq()).isEqualTo(seq);
        assertThat(d.floor()).isEqualTo(floor);
        assertThat(d.sentAt()).isEqualTo(sentAt);
        assertThat(d.total()).isEqualTo(body.length);
        assertThat(d.offset()).isEqualTo(offset);
        assertThat(d.chunk()).isEqualTo(Arrays.copyOfRange(body, offset, offset + length));
        // the same bytes through a ByteBuf that does not start at index 0
        ByteBuf shifted = Unpooled.buffer().writeZero(3).writeBytes(f);
        shifted.skipBytes(3);
        assertThat(MessageCodec.readFragment(shifted, MAX).chunk()).isEqualTo(d.chunk());
    }

    @Property(tries = 200)
    void receiptsRoundTrip(@ForAll @IntRange(min = 1, max = 77) int count, @ForAll long seed) throws DecodeException {
        Random r = new Random(seed);
        List<byte[]> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(random(r, 16));
        }
        ByteBuf b = Unpooled.buffer();
        MessageCodec.writeReceipt(b, ids);
        assertThat(MessageCodec.readReceipt(b)).containsExactlyElementsOf(ids);
    }

    @Property(tries = 300)
    void randomBytesOnlyEverThrowDecodeException(@ForAll @Size(max = 1300) byte[] in) {
        fragmentQuietly(in, MAX);
        fragmentQuietly(in, 0);
        receiptQuietly(in);
    }

    @Property(tries = 500)
    void truncatedFlippedAndOversizedFragmentsOnlyEverThrowDecodeException(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] body = random(r, 1 + r.nextInt(1200));
        byte[] f = MessageCodec.fragment(random(r, 16), 5, 2, 0, body, 0, body.length);
        fragmentQuietly(Arrays.copyOf(f, r.nextInt(f.length)), MAX);
        byte[] flipped = f.clone();
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            int bit = r.nextInt(flipped.length * 8);
            flipped[bit >>> 3] ^= (byte) (1 << (bit & 7));
        }
        fragmentQuietly(flipped, MAX);
        // total and offset fields (bytes 40..47) set to extremes
        byte[] extreme = f.clone();
        int at = 40 + 4 * r.nextInt(2);
        int v = switch (r.nextInt(4)) {
            case 0 -> Integer.MAX_VALUE;
            case 1 -> Integer.MIN_VALUE;
            case 2 -> -1;
            default -> MAX + 1;
        };
        Unpooled.wrappedBuffer(extreme).setInt(at, v);
        fragmentQuietly(extreme, MAX);
        // a message longer than the limit is OVERSIZED before its chunk is copied
        byte[] tooLong = f.clone();
        Unpooled.wrappedBuffer(tooLong).setInt(40, MAX + 1 + r.nextInt(1000));
        assertThatThrownBy(() -> MessageCodec.readFragment(tooLong, MAX)).isInstanceOfSatisfying(DecodeException.class,
                e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.OVERSIZED));
    }

    @Property(tries = 200)
    void receiptCountsThatDoNotMatchTheLengthAreMalformed(@ForAll @IntRange(min = 0, max = 0xffff) int count,
            @ForAll @IntRange(min = 0, max = 40) int ids) {
        ByteBuf b = Unpooled.buffer().writeShort(count).writeZero(16 * ids);
        if (count == ids && count > 0) {
            return;
        }
        assertThatThrownBy(() -> MessageCodec.readReceipt(b)).isInstanceOf(DecodeException.class);
    }
}
