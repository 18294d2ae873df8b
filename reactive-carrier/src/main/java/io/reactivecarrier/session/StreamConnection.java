package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.wire.Limits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * The stream engine: one connection over a {@link StreamPath}, carrying channels. Loss recovery
 * after RFC 9002 (packet numbers never reused and apart from stream offsets, ACK ranges, packet
 * and time threshold loss detection, probe timeout), NewReno with pacing, per-channel credit from
 * the reader's demand, path MTU probing, and packet protection (AES-256-GCM with the packet number
 * as nonce, or CRC32C when plain). All state is confined to the path's scheduler.
 */
final class StreamConnection implements CarrierStream {

    private static final Logger log = LoggerFactory.getLogger(StreamConnection.class);

    static final int PACKET_KIND = 0x30;
    /** Send an ACK at once after this many ack-eliciting packets (otherwise at the end of the loop turn). */
    static final int ACK_EVERY = 16;
    static final long MAX_ACK_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(2);
    static final long INITIAL_RTT_NS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long GRANULARITY_NS = TimeUnit.MILLISECONDS.toNanos(1);
    static final int PACKET_THRESHOLD = 3;
    static final int MAX_PACKETS_PER_PUMP = 512;
    /** A probe size is given up after this many lost probes (RFC 8899 MAX_PROBES). */
    static final int MAX_PROBES = 3;
    static final int[] PROBE_SIZES = {1472, 4096, 8192, 16_384, 32_768, 65_000};
    /** A batch of packets handed to the path at once: at most this many (one UDP GSO write)... */
    static final int MAX_BATCH_PACKETS = 64;
    /** ...and at most this many bytes (unless one packet is larger). */
    static final int MAX_BATCH_BYTES = 65_000;

    final StreamPath path;
    final Scheduler scheduler;
    final StreamOptions options;
    final UserId peer;
    final int remoteId;
    final boolean initiator;
    final PacketProtection sealer;
    final PacketProtection opener;
    final Stats stats = new Stats();
    private final Consumer<StreamConnection> onClosed;

    final Map<Integer, ChannelState> channels = new HashMap<>();
    final ChannelState main;
    private int nextChannelId;
    private final Sinks.Many<Channel> incomingChannels;
    private final Sinks.Empty<Void> closeSink = Sinks.empty();
    /** Stream events, emitted on the loop only; replays the latest {@link #EVENT_HISTORY}. */
    private final Sinks.Many<StreamEvent> events = Sinks.many().replay().limit(EVENT_HISTORY);
    static final int EVENT_HISTORY = 32;
    private java.net.InetSocketAddress lastFrom;
    private TransportInfo lastInfo;

    // -------------------------------------------------- sending
    private long nextPn;
    private SentPacket[] ring = new SentPacket[1024];
    private long oldestUnacked;
    long bytesInFlight;
    private long largestAcked = -1;
    private long lastAckElicitingSentAt;
    private int ackElicitingInFlight;
    final CongestionController cc;
    private final Pacer pacer = new Pacer();
    private int probesToSend;
    private int ptoCount;
    private long lossTime;
    private final ArrayDeque<ChannelState> sendable = new ArrayDeque<>();
    private final ArrayDeque<SentPacket.ControlFrame> controls = new ArrayDeque<>();
    private final ArrayDeque<ChannelState> maxDataQueue = new ArrayDeque<>();
    int maxPacket;
    private int probeIndex;
    private boolean probeInFlight;
    private int probeFailures;
    private ByteBuf scratch;
    private ByteBuf inScratch;
    /**
     * The packets sealed in this pump that wait to leave together ({@link StreamPath#sendSegments}):
     * back to back, each {@link #batchSegment} bytes; a shorter one ends the batch.
     */
    private ByteBuf batch;
    private int batchSegment;
    private boolean batchEnded;

    // -------------------------------------------------- RTT
    private long latestRtt;
    private long smoothedRtt = -1;
    private long rttVar;
    private long minRtt = Long.MAX_VALUE;

    // -------------------------------------------------- receiving
    private final ReceivedPackets received = new ReceivedPackets();
    private int ackElicitingSinceAck;
    private boolean ackPending;
    private long lastReceivedAt;
    private long lastSentAt;

    // -------------------------------------------------- loop
    private boolean flushScheduled;
    private final Runnable flushTask = this::flush;
    private Disposable timer;
    private long timerAt = Long.MAX_VALUE;
    volatile boolean closed;
    private volatile Thread loopThread;

    StreamConnection(StreamPath path, StreamOptions options, UserId peer, int remoteId, boolean initiator,
            PacketProtection sealer, PacketProtection opener, Consumer<StreamConnection> onClosed) {
        this.path = path;
        this.scheduler = path.scheduler();
        this.options = options;
        this.peer = peer;
        this.remoteId = remoteId;
        this.initiator = initiator;
        this.sealer = sealer;
        this.opener = opener;
        this.onClosed = onClosed;
        this.maxPacket = options.initialPacketSize();
        this.cc = options.congestionControl().create(maxPacket, Math.max(2L * options.receiveWindow(), 4L << 20));
        this.nextChannelId = initiator ? 1 : 2;
        this.incomingChannels = Sinks.many().multicast().onBackpressureBuffer(256, false);
        this.main = new ChannelState(this, 0, "", options.isReliable(), initialCredit(), initialCredit());
        channels.put(0, main);
        long now = path.nanoTime();
        this.lastReceivedAt = now;
        this.lastSentAt = now;
        runOnLoop(() -> {
            loopThread = Thread.currentThread();
            if (!closed) {
                lastInfo = transportInfo();
                events.tryEmitNext(new StreamEvent(StreamEvent.Type.OPENED, lastInfo, null, "opened"));
            }
            armTimer();
        });
    }

    private long initialCredit() {
        return options.isReliable() ? options.receiveWindow() : options.datagramWindow();
    }

    // ================================================================== threading

    boolean inLoop() {
        return Thread.currentThread() == loopThread;
    }

    void runOnLoop(Runnable task) {
        if (inLoop()) {
            task.run();
            return;
        }
        try {
            scheduler.schedule(task);
        } catch (java.util.concurrent.RejectedExecutionException gone) {
            task.run();
        }
    }

    /** Runs a task on the loop after a delay. */
    void scheduleOnLoop(Runnable task, long delayMillis) {
        try {
            scheduler.schedule(task, delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException gone) {
            // the loop is gone: the stream is closing anyway
        }
    }

    /** Runs a task on the loop later, after what the loop already has to do (never inline). */
    void scheduleOnLoop(Runnable task) {
        try {
            scheduler.schedule(task);
        } catch (java.util.concurrent.RejectedExecutionException gone) {
            // the loop is gone: the stream is closing anyway
        }
    }

    /**
     * Whether an unreliable channel may queue one more datagram of {@code len} bytes: the peer's
     * credit must have room for it after the datagrams in flight and queued (a slow reader means
     * drops, never waiting), and the queue must stay within a hard bound of the congestion window
     * (at least 64 KiB). Everything else is dropped by the caller: datagrams are never queued
     * without bound and never retransmitted.
     */
    boolean admitDatagram(ChannelState ch, int len) {
        if (ch.datagramsAcked + ch.datagramsInFlight + ch.datagrams.size() >= ch.sendMax) {
            return false;
        }
        return ch.buffered + len <= Math.max(cc.window(), 64 << 10);
    }

    /**
     * How many bytes an unreliable channel asks its publisher for: what the congestion window
     * can take now. The path's capacity paces the publisher (like a socket's send buffer); the
     * peer's credit does not (a slow reader causes drops, like a full receive buffer).
     */
    long datagramQueueLimit() {
        return Math.max(cc.window() - bytesInFlight, 2L * maxPacket);
    }

    private void requestFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            try {
                scheduler.schedule(flushTask);
            } catch (java.util.concurrent.RejectedExecutionException gone) {
                flushScheduled = false;
            }
        }
    }

    private void flush() {
        flushScheduled = false;
        try {
            pump();
        } catch (RuntimeException | Error e) {
            log.warn("stream to {}: send loop failed", peer, e);
            armTimer(); // what the turn left undone, the timer retries
            reactor.core.Exceptions.throwIfJvmFatal(e);
        }
    }

    // ================================================================== public API

    @Override
    public UserId peer() {
        return peer;
    }

    @Override
    public StreamOptions options() {
        return options;
    }

    @Override
    public int id() {
        return 0;
    }

    @Override
    public String name() {
        return "";
    }

    @Override
    public TransportInfo transportInfo() {
        TransportInfo p = path.info();
        return new TransportInfo(p.path(), p.localAddress(), p.remoteAddress(), sealer.encrypted(),
                options.isReliable(), maxPacket);
    }

    @Override
    public StreamStats stats() {
        return new StreamStats(stats.packetsSent, stats.packetsReceived, stats.packetsLost, stats.retransmittedBytes,
                stats.bytesSent, stats.bytesReceived, stats.datagramsDropped, stats.rejected,
                Math.max(0, smoothedRtt) / 1000, cc.window(), maxPacket, stats.datagramsDroppedSending);
    }

    @Override
    public int maxDatagramSize() {
        return Math.min(StreamOptions.MIN_PACKET_SIZE, maxPacket) - Frames.PACKET_HEADER - sealer.overhead()
                - Frames.DATAGRAM_HEADER;
    }

    @Override
    public Mono<Void> send(Publisher<? extends ByteBuf> data) {
        return main.send(data);
    }

    @Override
    public Flux<ByteBuf> receive() {
        return main.receive();
    }

    @Override
    public Mono<Void> close(String reason) {
        return Mono.create(sink -> runOnLoop(() -> {
            doClose(reason == null ? "" : reason, null, true);
            sink.success();
        }));
    }

    @Override
    public Mono<Void> close() {
        return close("closed");
    }

    @Override
    public Mono<Void> onClose() {
        return closeSink.asMono();
    }

    @Override
    public Mono<Channel> openChannel(String name) {
        java.util.Objects.requireNonNull(name, "name");
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 255) {
            return Mono.error(new IllegalArgumentException("a channel name has at most 255 UTF-8 bytes: " + name));
        }
        return Mono.create(sink -> runOnLoop(() -> {
            if (closed) {
                sink.error(closedError("the stream is closed"));
                return;
            }
            if (channels.size() >= options.maxChannels() + 1) {
                sink.error(new IllegalStateException("too many channels open (" + options.maxChannels()
                        + "): close some or raise StreamOptions.maxChannels"));
                return;
            }
            int id = nextChannelId;
            nextChannelId += 2;
            ChannelState ch = new ChannelState(this, id, name, options.isReliable(), initialCredit(), initialCredit());
            ch.announced = true;
            channels.put(id, ch);
            byte[] frame = new byte[1 + 4 + 1 + n.length];
            frame[0] = Frames.CHANNEL_OPEN;
            putInt(frame, 1, id);
            frame[5] = (byte) n.length;
            System.arraycopy(n, 0, frame, 6, n.length);
            controls.add(new SentPacket.ControlFrame(ch, frame));
            requestFlush();
            sink.success(ch);
        }));
    }

    @Override
    public Flux<Channel> channels() {
        return incomingChannels.asFlux();
    }

    StreamException closedError(String what) {
        return new StreamException(StreamException.Reason.CLOSED, what);
    }

    // ================================================================== channels

    void markSendable(ChannelState ch) {
        if (!ch.inSendable && (ch.hasSendable() || ch.sendDone)) {
            ch.inSendable = true;
            sendable.add(ch);
        }
        requestFlush();
    }

    void maybeSendMaxData(ChannelState ch) {
        if (!closed && !ch.maxDataQueued && ch.needsMaxData()) {
            ch.maxDataQueued = true;
            maxDataQueue.add(ch);
            requestFlush();
        }
    }

    void closeChannel(ChannelState ch, String reason, boolean notifyPeer) {
        if (ch.closed) {
            return;
        }
        if (ch == main) {
            doClose(reason, null, true);
            return;
        }
        if (notifyPeer) {
            byte[] r = reasonBytes(reason, Frames.MAX_REASON);
            byte[] frame = new byte[1 + 4 + 1 + r.length];
            frame[0] = Frames.CHANNEL_CLOSE;
            putInt(frame, 1, ch.id);
            frame[5] = (byte) r.length;
            System.arraycopy(r, 0, frame, 6, r.length);
            controls.add(new SentPacket.ControlFrame(null, frame));
            requestFlush();
        }
        ch.terminate(closedError("channel " + ch.id + " closed: " + reason),
                notifyPeer ? null : new StreamException(StreamException.Reason.CLOSED_BY_PEER,
                        "channel " + ch.id + " closed by the peer: " + reason));
        channels.remove(ch.id);
    }

    void protocolError(String what) {
        stats.rejected++;
        doClose("protocol error: " + what, new StreamException(StreamException.Reason.PROTOCOL, what), true);
    }

    // ================================================================== receive

    /** The largest packet number accepted (QUIC's 2^62 - 1): numbers start at 0 and never get there. */
    static final long MAX_PACKET_NUMBER = (1L << 62) - 1;
    /** The largest end offset of a channel's bytes: a STREAM frame ending beyond it is malformed. */
    static final long MAX_STREAM_OFFSET = (1L << 62) - 1;

    /** One inbound packet for this stream (header at the reader index). Borrowed. On the loop. */
    void onPacket(ByteBuf pkt) {
        onPacket(pkt, null);
    }

    /** As {@link #onPacket(ByteBuf)}, from {@code from} (followed when the packet authenticates). */
    void onPacket(ByteBuf pkt, java.net.InetSocketAddress from) {
        if (closed) {
            return;
        }
        int len = pkt.readableBytes();
        if (len < Frames.PACKET_HEADER + sealer.overhead() + 1 || len > Limits.MAX_DATAGRAM) {
            stats.rejected++;
            return;
        }
        long pn = pkt.getLong(pkt.readerIndex() + 6);
        if (pn < 0 || pn > MAX_PACKET_NUMBER) {
            // never sent by a peer (numbers start at 0); would break the descending ACK ranges
            stats.rejected++;
            return;
        }
        boolean heap = opener.encrypted();
        ByteBuf plain = heap ? path.alloc().heapBuffer(len) : path.alloc().directBuffer(len);
        try {
            ByteBuf src = pkt;
            if (heap && !pkt.hasArray()) {
                // the JDK's AES-GCM is several times faster on heap arrays than on direct buffers
                if (inScratch == null || inScratch.capacity() < len) {
                    if (inScratch != null) {
                        inScratch.release();
                        inScratch = null; // not kept released if the allocation below throws
                    }
                    // an array of its own: the JCE copies when input and output share one (pooled) array
                    inScratch = io.netty.buffer.Unpooled.buffer(Math.max(len, maxPacket));
                }
                inScratch.clear().writeBytes(pkt, pkt.readerIndex(), len);
                src = inScratch;
            }
            if (!opener.open(pn, src, Frames.PACKET_HEADER, plain)) {
                stats.rejected++;
                return;
            }
            if (!received.add(pn)) {
                stats.rejected++;
                return;
            }
            if (from != null && opener.encrypted()) {
                path.observed(from);
            }
            if (from != null && !from.equals(lastFrom)) {
                lastFrom = from;
                checkPath();
            }
            long now = path.nanoTime();
            boolean newest = received.largest() == pn;
            if (newest) {
                received.largestReceivedAt = now;
            }
            lastReceivedAt = now;
            stats.packetsReceived++;
            boolean ackEliciting = parse(plain, now);
            if (closed) {
                return;
            }
            if (ackEliciting) {
                ackPending = true;
                ackElicitingSinceAck++;
                if (ackElicitingSinceAck >= ACK_EVERY || !newest || received.isGapBefore(pn)) {
                    pump();
                }
            }
            requestFlush();
        } finally {
            plain.release();
        }
    }

    /** Parses the frames; returns whether any was ack-eliciting. */
    private boolean parse(ByteBuf b, long now) {
        boolean eliciting = false;
        while (b.isReadable()) {
            int type = b.readUnsignedByte();
            switch (type) {
                case Frames.PADDING -> {
                }
                case Frames.PING -> eliciting = true;
                case Frames.ACK -> {
                    if (!onAckFrame(b, now)) {
                        return eliciting;
                    }
                }
                case Frames.MAX_DATA -> {
                    if (b.readableBytes() < 12) {
                        return malformed(eliciting);
                    }
                    eliciting = true;
                    ChannelState ch = channels.get(b.readInt());
                    long max = b.readLong();
                    if (ch != null && max > ch.sendMax) {
                        ch.sendMax = max;
                        markSendable(ch);
                        if (!ch.reliable) {
                            ch.requestMore(); // a publisher held back for lack of credit goes on now
                        }
                    }
                }
                case Frames.STREAM, Frames.STREAM_FIN -> {
                    if (b.readableBytes() < 14) {
                        return malformed(eliciting);
                    }
                    eliciting = true;
                    int chId = b.readInt();
                    long offset = b.readLong();
                    int n = b.readUnsignedShort();
                    if (b.readableBytes() < n || offset < 0 || offset > MAX_STREAM_OFFSET - n) {
                        return malformed(eliciting);
                    }
                    ChannelState ch = channelFor(chId, true);
                    if (closed) {
                        return eliciting;
                    }
                    if (ch != null && ch.reliable) {
                        ch.onStream(offset, b.slice(b.readerIndex(), n), type == Frames.STREAM_FIN);
                    }
                    b.skipBytes(n);
                }
                case Frames.DATAGRAM -> {
                    if (b.readableBytes() < 6) {
                        return malformed(eliciting);
                    }
                    eliciting = true;
                    int chId = b.readInt();
                    int n = b.readUnsignedShort();
                    if (b.readableBytes() < n) {
                        return malformed(eliciting);
                    }
                    ChannelState ch = channelFor(chId, true);
                    if (closed) {
                        return eliciting;
                    }
                    if (ch != null && !ch.reliable) {
                        ch.onDatagram(b.slice(b.readerIndex(), n));
                    }
                    b.skipBytes(n);
                }
                case Frames.DATAGRAM_FIN -> {
                    if (b.readableBytes() < 12) {
                        return malformed(eliciting);
                    }
                    eliciting = true;
                    ChannelState ch = channelFor(b.readInt(), true);
                    long count = b.readLong();
                    if (ch != null && !ch.reliable && !ch.peerFinished) {
                        ch.onDatagramFin(count);
                    }
                }
                case Frames.CHANNEL_OPEN -> {
                    if (b.readableBytes() < 5) {
                        return malformed(eliciting);
                    }
                    eliciting = true;
                    int chId = b.readInt();
                    int n = b.readUnsignedByte();
                    if (b.readableBytes() < n) {
                        return malformed(eliciting);
                    }
                    String name = b.toString(b.readerIndex(), n, StandardCharsets.UTF_8);
                    b.skipBytes(n);
                    ChannelState ch = channelFor(chId, true);
                    if (ch != null && !ch.announced) {
                        ch.name = name;
                        ch.announced = true;
                        if (incomingChannels.tryEmitNext(ch).isFailure()) {
                            closeChannel(ch, "refused: the application does not accept channels fast enough", true);
                        }
                    }
                }
                case Frames.CHANNEL_CLOSE -> {
                    if (b.readableBytes() < 5) {
                        return malformed(eliciting);
                    }
                    eliciting = true;
                    int chId = b.readInt();
                    int n = b.readUnsignedByte();
                    if (b.readableBytes() < n) {
                        return malformed(eliciting);
                    }
                    String reason = b.toString(b.readerIndex(), n, StandardCharsets.UTF_8);
                    b.skipBytes(n);
                    ChannelState ch = channels.get(chId);
                    if (ch != null && ch != main) {
                        closeChannel(ch, reason, false);
                    }
                }
                case Frames.CLOSE -> {
                    if (b.readableBytes() < 2) {
                        return malformed(eliciting);
                    }
                    int n = b.readUnsignedShort();
                    if (b.readableBytes() < n) {
                        return malformed(eliciting);
                    }
                    String reason = b.toString(b.readerIndex(), n, StandardCharsets.UTF_8);
                    doClose(reason, new StreamException(StreamException.Reason.CLOSED_BY_PEER,
                            "the peer closed the stream: " + reason), false);
                    return false;
                }
                default -> {
                    return malformed(eliciting);
                }
            }
        }
        return eliciting;
    }

    private boolean malformed(boolean eliciting) {
        stats.rejected++;
        return eliciting;
    }

    /** The channel with this id, created when the peer opens it by using it; null when refused. */
    private ChannelState channelFor(int id, boolean create) {
        ChannelState ch = channels.get(id);
        if (ch != null || !create) {
            return ch;
        }
        boolean peerOwned = id != 0 && ((id & 1) == 1) != initiator;
        if (!peerOwned || id < 0) {
            return null; // ours and already closed, or nonsense
        }
        if (channels.size() >= options.maxChannels() + 1) {
            stats.rejected++;
            return null;
        }
        ch = new ChannelState(this, id, null, options.isReliable(), initialCredit(), initialCredit());
        channels.put(id, ch);
        return ch;
    }

    // ================================================================== ACK processing

    private boolean onAckFrame(ByteBuf b, long now) {
        if (b.readableBytes() < 17) {
            return malformed(false);
        }
        long largest = b.readLong();
        long delayNs = (b.readInt() & 0xffffffffL) * 1000;
        int ranges = b.readUnsignedByte() + 1;
        long firstLen = b.readUnsignedInt();
        if (b.readableBytes() < (ranges - 1) * 8 || largest >= nextPn || largest < 0 || firstLen > largest) {
            return malformed(false);
        }
        boolean newlyAckedAny = false;
        SentPacket largestNewly = null;
        long hi = largest;
        long lo = largest - firstLen;
        for (int r = 0; r < ranges; r++) {
            if (r > 0) {
                long gap = b.readUnsignedInt();
                long len = b.readUnsignedInt();
                hi = lo - gap - 1;
                lo = hi - len;
                if (lo < 0) {
                    b.skipBytes((ranges - r - 1) * 8);
                    break;
                }
            }
            long from = Math.max(lo, oldestUnacked);
            for (long pn = hi; pn >= from; pn--) {
                SentPacket p = ring[(int) (pn & (ring.length - 1))];
                if (p == null || p.pn != pn) {
                    continue;
                }
                ring[(int) (pn & (ring.length - 1))] = null;
                newlyAckedAny = true;
                if (largestNewly == null) {
                    largestNewly = p;
                }
                onPacketAcked(p, now);
            }
        }
        if (!newlyAckedAny) {
            return true;
        }
        if (largest > largestAcked) {
            largestAcked = largest;
        }
        if (largestNewly.pn == largest && largestNewly.ackEliciting) {
            updateRtt(now - largestNewly.sentAt, delayNs);
        }
        advanceOldest();
        detectLost(now);
        ptoCount = 0;
        armTimer();
        requestFlush();
        return true;
    }

    private void onPacketAcked(SentPacket p, long now) {
        if (p.mtuProbe) {
            probeInFlight = false;
            probeFailures = 0;
            if (p.size > maxPacket) {
                maxPacket = p.size;
                cc.maxPacketSize(p.size);
                probeIndex++;
            }
        } else if (p.ackEliciting) {
            bytesInFlight -= p.size;
            ackElicitingInFlight--;
            cc.onPacketAcked(p.size, p.sentAt, bytesInFlight, now, srtt());
        }
        for (int i = 0, n = p.frameCount(); i < n; i++) {
            Object f = p.frame(i);
            if (f instanceof SentPacket.StreamRange r) {
                if (!r.channel().closed) {
                    r.channel().onAcked(r.offset(), r.length(), r.fin());
                }
            } else if (f instanceof SentPacket.DatagramCount d) {
                ChannelState ch = d.channel();
                ch.datagramsAcked += d.count();
                ch.datagramsInFlight -= d.count();
                markSendable(ch);
                ch.requestMore(); // the window has room again
            } else if (f instanceof SentPacket.ControlFrame c && c.channel() != null
                    && c.bytes()[0] == Frames.DATAGRAM_FIN) {
                c.channel().finAcked = true;
                c.channel().checkSendComplete();
            }
        }
    }

    private void updateRtt(long sample, long ackDelay) {
        latestRtt = sample;
        minRtt = Math.min(minRtt, sample);
        long adjusted = sample;
        ackDelay = Math.min(ackDelay, MAX_ACK_DELAY_NS);
        if (sample - ackDelay >= minRtt) {
            adjusted = sample - ackDelay;
        }
        if (smoothedRtt < 0) {
            smoothedRtt = adjusted;
            rttVar = adjusted / 2;
        } else {
            rttVar = (3 * rttVar + Math.abs(smoothedRtt - adjusted)) / 4;
            smoothedRtt = (7 * smoothedRtt + adjusted) / 8;
        }
    }

    private long srtt() {
        return smoothedRtt < 0 ? INITIAL_RTT_NS : smoothedRtt;
    }

    private void advanceOldest() {
        while (oldestUnacked < nextPn && ring[(int) (oldestUnacked & (ring.length - 1))] == null) {
            oldestUnacked++;
        }
    }

    private void detectLost(long now) {
        lossTime = 0;
        if (largestAcked < 0) {
            return;
        }
        long lossDelay = Math.max(GRANULARITY_NS, 9 * Math.max(latestRtt, srtt()) / 8);
        long lostSendTime = now - lossDelay;
        long largestLostSentAt = Long.MIN_VALUE;
        boolean anyLost = false;
        for (long pn = oldestUnacked; pn < largestAcked; pn++) {
            int idx = (int) (pn & (ring.length - 1));
            SentPacket p = ring[idx];
            if (p == null || p.pn != pn) {
                continue;
            }
            if (pn <= largestAcked - PACKET_THRESHOLD || p.sentAt <= lostSendTime) {
                ring[idx] = null;
                onPacketLost(p);
                if (!p.mtuProbe) {
                    anyLost = true;
                    largestLostSentAt = Math.max(largestLostSentAt, p.sentAt);
                }
            } else {
                long t = p.sentAt + lossDelay;
                if (lossTime == 0 || t < lossTime) {
                    lossTime = t;
                }
            }
        }
        if (anyLost) {
            cc.onCongestion(largestLostSentAt, now);
        }
        advanceOldest();
    }

    private void onPacketLost(SentPacket p) {
        if (p.mtuProbe) {
            probeInFlight = false;
            if (++probeFailures >= MAX_PROBES) {
                probeIndex = PROBE_SIZES.length; // stop probing: the path does not carry this size
            }
            return;
        }
        stats.packetsLost++;
        if (p.ackEliciting) {
            bytesInFlight -= p.size;
            ackElicitingInFlight--;
        }
        requeue(p);
    }

    /** Puts the retransmittable frames of {@code p} back in the send queues. */
    private void requeue(SentPacket p) {
        for (int i = 0, n = p.frameCount(); i < n; i++) {
            Object f = p.frame(i);
            if (f instanceof SentPacket.StreamRange r) {
                ChannelState ch = r.channel();
                if (ch.closed) {
                    continue;
                }
                long end = r.offset() + r.length();
                if (end > ch.ackedPrefix) {
                    ch.lost.add(Math.max(r.offset(), ch.ackedPrefix), end);
                }
                if (r.fin() && !ch.finAcked) {
                    ch.finLost = true;
                }
                markSendable(ch);
            } else if (f instanceof SentPacket.DatagramCount d) {
                d.channel().datagramsInFlight -= d.count();
                stats.datagramsDropped += d.count();
                markSendable(d.channel());
            } else if (f instanceof SentPacket.MaxData m) {
                ChannelState ch = m.channel();
                if (!ch.closed && !ch.maxDataQueued) {
                    ch.maxDataQueued = true;
                    maxDataQueue.add(ch);
                }
            } else if (f instanceof SentPacket.ControlFrame c) {
                if (c.channel() == null || !c.channel().closed || c.bytes()[0] == Frames.CHANNEL_CLOSE) {
                    controls.add(c);
                }
            }
        }
        requestFlush();
    }

    // ================================================================== timers

    private long ptoDeadline() {
        if (ackElicitingInFlight == 0) {
            return Long.MAX_VALUE;
        }
        long pto = srtt() + Math.max(4 * rttVar, GRANULARITY_NS) + MAX_ACK_DELAY_NS;
        return lastAckElicitingSentAt + (pto << Math.min(ptoCount, 10));
    }

    private long idleDeadline() {
        return lastReceivedAt + options.idleTimeout().toNanos();
    }

    private long keepaliveDeadline() {
        return Math.max(lastSentAt, lastReceivedAt) + options.idleTimeout().toNanos() / 3;
    }

    void armTimer() {
        if (closed) {
            return;
        }
        long deadline = lossTime != 0 ? lossTime : ptoDeadline();
        deadline = Math.min(deadline, idleDeadline());
        deadline = Math.min(deadline, keepaliveDeadline());
        if (pacer.wakeAt != 0) {
            deadline = Math.min(deadline, pacer.wakeAt);
        }
        if (timer != null && timerAt <= deadline) {
            return;
        }
        if (timer != null) {
            timer.dispose();
        }
        long delay = Math.max(0, deadline - path.nanoTime());
        timerAt = deadline;
        try {
            timer = scheduler.schedule(this::onTimerSafely, delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException gone) {
            timer = null;
        }
    }

    /**
     * Runs the timer and re-arms it whatever failed: without it the stream would neither time out
     * nor retransmit, and hang for ever. A failing JVM's error is thrown on after re-arming.
     */
    private void onTimerSafely() {
        try {
            onTimer();
        } catch (RuntimeException | Error e) {
            log.warn("stream to {}: timer failed", peer, e);
            timer = null;
            timerAt = Long.MAX_VALUE;
            armTimer();
            reactor.core.Exceptions.throwIfJvmFatal(e);
        }
    }

    /** Emits PATH_CHANGED when the stream's packets now go elsewhere or over another kind of path. */
    private void checkPath() {
        if (closed || lastInfo == null) {
            return;
        }
        TransportInfo now = transportInfo();
        if (!java.util.Objects.equals(now.remoteAddress(), lastInfo.remoteAddress()) || now.path() != lastInfo.path()) {
            String what = "path " + lastInfo.path() + " " + lastInfo.remoteAddress() + " -> " + now.path() + " "
                    + now.remoteAddress();
            lastInfo = now;
            events.tryEmitNext(new StreamEvent(StreamEvent.Type.PATH_CHANGED, now, null, what));
        }
    }

    @Override
    public Flux<StreamEvent> events() {
        return events.asFlux();
    }

    private void onTimer() {
        timer = null;
        timerAt = Long.MAX_VALUE;
        if (closed) {
            return;
        }
        checkPath();
        long now = path.nanoTime();
        if (now >= idleDeadline()) {
            doClose("idle timeout", new StreamException(StreamException.Reason.IDLE_TIMEOUT,
                    "nothing heard from " + peer + " for " + options.idleTimeout() + ": the friend is gone"), false);
            return;
        }
        if (lossTime != 0 && now >= lossTime) {
            detectLost(now);
        } else if (now >= ptoDeadline()) {
            ptoCount++;
            probesToSend = 2;
            if (ptoCount >= 3) {
                cc.onPersistentCongestion();
            }
            if (!hasWork()) {
                SentPacket oldest = oldestInFlight();
                if (oldest != null) {
                    requeue(oldest);
                }
            }
        } else if (now >= keepaliveDeadline()) {
            probesToSend = Math.max(probesToSend, 1);
        }
        if (pacer.wakeAt != 0 && now >= pacer.wakeAt) {
            pacer.wakeAt = 0;
        }
        pump();
        armTimer();
    }

    private SentPacket oldestInFlight() {
        for (long pn = oldestUnacked; pn < nextPn; pn++) {
            SentPacket p = ring[(int) (pn & (ring.length - 1))];
            if (p != null && p.pn == pn && p.ackEliciting && !p.mtuProbe) {
                return p;
            }
        }
        return null;
    }

    // ================================================================== send

    private boolean hasWork() {
        if (!controls.isEmpty() || !maxDataQueue.isEmpty()) {
            return true;
        }
        for (ChannelState ch : sendable) {
            if (ch.hasSendable()) {
                return true;
            }
        }
        return false;
    }

    /** Sends what the congestion window, the pacer and the credit allow. On the loop. */
    void pump() {
        if (closed) {
            return;
        }
        try {
            pumpPackets();
        } finally {
            flushBatch();
        }
    }

    private void pumpPackets() {
        int packets = 0;
        long now = path.nanoTime();
        while (packets < MAX_PACKETS_PER_PUMP) {
            boolean probe = probesToSend > 0;
            boolean cwndOk = probe || bytesInFlight < cc.window();
            boolean data = cwndOk && hasWork();
            if (data && !probe && !pacer.allow(now, maxPacket, cc.window(), srtt())) {
                data = false;
            }
            boolean mtuProbe = !data && !ackPending && !probe && cwndOk && shouldProbeMtu();
            if (!data && !ackPending && !probe && !mtuProbe) {
                break;
            }
            if (mtuProbe) {
                sendMtuProbe(now);
            } else if (!sendPacket(now, data, probe)) {
                break;
            }
            packets++;
        }
        if (packets == MAX_PACKETS_PER_PUMP) {
            requestFlush();
        }
        armTimer();
    }

    private boolean shouldProbeMtu() {
        return !probeInFlight && probeIndex < PROBE_SIZES.length && largestAcked >= 0
                && PROBE_SIZES[probeIndex] <= Math.min(options.maxPacketSize(), path.maxPacketCap())
                && PROBE_SIZES[probeIndex] > maxPacket;
    }

    private void sendMtuProbe(long now) {
        int size = PROBE_SIZES[probeIndex];
        ByteBuf plain = scratch(size);
        plain.writeByte(Frames.PING);
        plain.writeZero(size - Frames.PACKET_HEADER - sealer.overhead() - 1);
        SentPacket p = new SentPacket(nextPn, now, size, true);
        p.mtuProbe = true;
        probeInFlight = true;
        // alone: a probe the path cannot carry must not take a batch of data packets with it
        flushBatch();
        emit(p, plain, now);
        flushBatch();
    }

    private ByteBuf scratch(int size) {
        if (scratch == null || scratch.capacity() < size) {
            if (scratch != null) {
                scratch.release();
                scratch = null; // not kept released if the allocation below throws
            }
            int cap = Math.max(size, maxPacket);
            // encrypted: an array of its own (the JCE copies when input and output share a pooled array)
            scratch = sealer.encrypted() ? io.netty.buffer.Unpooled.buffer(cap) : path.alloc().directBuffer(cap);
        }
        scratch.clear();
        return scratch;
    }

    /** Builds and sends one packet; false when it would have carried nothing. */
    private boolean sendPacket(long now, boolean data, boolean probe) {
        int budget = maxPacket - Frames.PACKET_HEADER - sealer.overhead();
        ByteBuf plain = scratch(maxPacket);
        SentPacket p = new SentPacket(nextPn, now, 0, false);
        boolean eliciting = false;
        if (ackPending && !received.isEmpty()) {
            long delay = Math.max(0, (now - received.largestReceivedAt) / 1000);
            received.writeAck(plain, delay);
            ackPending = false;
            ackElicitingSinceAck = 0;
        }
        if (data || probe) {
            // control frames first
            SentPacket.ControlFrame c;
            while ((c = controls.peek()) != null && plain.writerIndex() + c.bytes().length <= budget) {
                controls.poll();
                plain.writeBytes(c.bytes());
                p.add(c);
                eliciting = true;
            }
            ChannelState m;
            while ((m = maxDataQueue.peek()) != null && plain.writerIndex() + Frames.MAX_DATA_SIZE <= budget) {
                maxDataQueue.poll();
                m.maxDataQueued = false;
                if (m.closed) {
                    continue;
                }
                long limit = m.creditLimit();
                m.advertised = Math.max(m.advertised, limit);
                plain.writeByte(Frames.MAX_DATA).writeInt(m.id).writeLong(m.advertised);
                p.add(new SentPacket.MaxData(m));
                eliciting = true;
            }
            int guard = sendable.size();
            while (guard-- > 0 && plain.writerIndex() + Frames.STREAM_HEADER < budget) {
                ChannelState ch = sendable.poll();
                if (ch == null) {
                    break;
                }
                ch.inSendable = false;
                if (ch.closed) {
                    continue;
                }
                if (writeChannel(ch, plain, budget, p)) {
                    eliciting = true;
                }
                if (ch.hasSendable()) {
                    ch.inSendable = true;
                    sendable.add(ch);
                }
            }
            if (probe && !eliciting) {
                plain.writeByte(Frames.PING);
                eliciting = true;
            }
        }
        if (plain.writerIndex() == 0) {
            return false;
        }
        if (probe && eliciting) {
            probesToSend--;
        }
        p.size = Frames.PACKET_HEADER + plain.writerIndex() + sealer.overhead();
        p.ackEliciting = eliciting;
        emit(p, plain, now);
        return true;
    }

    /** Writes retransmissions, then new data (or datagrams) of one channel; true when it wrote anything. */
    private boolean writeChannel(ChannelState ch, ByteBuf plain, int budget, SentPacket p) {
        boolean wrote = false;
        if (!ch.reliable) {
            int n = 0;
            ByteBuf d;
            while ((d = ch.datagrams.peek()) != null && ch.datagramsAcked + ch.datagramsInFlight < ch.sendMax
                    && plain.writerIndex() + Frames.DATAGRAM_HEADER + d.readableBytes() <= budget) {
                ch.datagrams.poll();
                int len = d.readableBytes();
                plain.writeByte(Frames.DATAGRAM).writeInt(ch.id).writeShort(len).writeBytes(d);
                d.release();
                ch.buffered -= len;
                ch.datagramsInFlight++;
                ch.datagramsSent++;
                stats.bytesSent += len;
                n++;
            }
            if (n > 0) {
                p.add(new SentPacket.DatagramCount(ch, n));
                ch.requestMore();
                wrote = true;
            }
            queueDatagramFin(ch);
            return wrote;
        }
        // retransmissions first
        while (!ch.lost.isEmpty() && plain.writerIndex() + Frames.STREAM_HEADER < budget) {
            long s = Math.max(ch.lost.firstStart(), ch.ackedPrefix);
            long e = ch.lost.firstEnd();
            if (s >= e) {
                ch.lost.removeBelow(e);
                continue;
            }
            int room = budget - plain.writerIndex() - Frames.STREAM_HEADER;
            int n = (int) Math.min(e - s, room);
            boolean fin = ch.sendDone && s + n == ch.writeOffset;
            writeStream(ch, plain, s, n, fin, p);
            if (fin) {
                ch.finLost = false;
            }
            ch.lost.removeBelow(s + n);
            stats.retransmittedBytes += n;
            wrote = true;
        }
        // new data within the peer's credit
        while (ch.sentOffset < ch.writeOffset && ch.sentOffset < ch.sendMax
                && plain.writerIndex() + Frames.STREAM_HEADER < budget) {
            int room = budget - plain.writerIndex() - Frames.STREAM_HEADER;
            int n = (int) Math.min(Math.min(ch.writeOffset - ch.sentOffset, ch.sendMax - ch.sentOffset), room);
            boolean fin = ch.sendDone && ch.sentOffset + n == ch.writeOffset;
            writeStream(ch, plain, ch.sentOffset, n, fin, p);
            ch.sentOffset += n;
            stats.bytesSent += n;
            if (fin) {
                ch.finSent = true;
            }
            wrote = true;
        }
        // a FIN with no data left to carry it
        if (ch.sendDone && ch.sentOffset == ch.writeOffset && (!ch.finSent || ch.finLost) && !ch.finAcked
                && plain.writerIndex() + Frames.STREAM_HEADER <= budget) {
            writeStream(ch, plain, ch.writeOffset, 0, true, p);
            ch.finSent = true;
            ch.finLost = false;
            wrote = true;
        }
        return wrote;
    }

    /** Queues an unreliable channel's DATAGRAM_FIN once its publisher completed and every datagram went out. */
    void queueDatagramFin(ChannelState ch) {
        if (!ch.reliable && ch.sendDone && ch.datagrams.isEmpty() && !ch.datagramFinQueued && !ch.closed) {
            ch.datagramFinQueued = true;
            byte[] f = new byte[Frames.DATAGRAM_FIN_SIZE];
            f[0] = Frames.DATAGRAM_FIN;
            putInt(f, 1, ch.id);
            putLong(f, 5, ch.datagramsSent);
            controls.add(new SentPacket.ControlFrame(ch, f));
            requestFlush();
        }
    }

    private void writeStream(ChannelState ch, ByteBuf plain, long offset, int n, boolean fin, SentPacket p) {
        plain.writeByte(fin ? Frames.STREAM_FIN : Frames.STREAM).writeInt(ch.id).writeLong(offset).writeShort(n);
        if (n > 0) {
            ch.copyData(offset, n, plain);
        }
        p.add(new SentPacket.StreamRange(ch, offset, n, fin));
    }

    /** Protects and sends a packet whose frames are in {@code plain}; records it when ack-eliciting. */
    private void emit(SentPacket p, ByteBuf plain, long now) {
        long pn = nextPn++;
        int size = p.size;
        ByteBuf out = null;
        int start = 0;
        try {
            out = batchFor(size);
            start = out.writerIndex();
            out.writeByte(PACKET_KIND).writeByte(Limits.PROTOCOL_VERSION).writeInt(remoteId).writeLong(pn);
            sealer.seal(pn, out, start, Frames.PACKET_HEADER, plain);
            if (out.writerIndex() - start != size) {
                throw new IllegalStateException("sealed " + (out.writerIndex() - start) + " bytes, expected " + size);
            }
        } catch (RuntimeException | Error e) {
            // the frames are already accounted to this packet: let it count as lost on the wire, so
            // loss detection sends them again, rather than lose track of them (an Error too: an
            // allocation can throw one, and escaping here would leave frames sent that no packet holds)
            if (out != null) {
                out.writerIndex(start);
                batchEnded = true;
            }
            if (e instanceof Error) {
                log.warn("stream packet {} to {} could not be built; it counts as lost: {}", pn, peer, e.toString());
            } else {
                log.debug("stream packet {} could not be built; it counts as lost", pn, e);
            }
        }
        if (p.ackEliciting) {
            record(p);
            lastAckElicitingSentAt = now;
            if (!p.mtuProbe) {
                bytesInFlight += size;
                ackElicitingInFlight++;
            }
        }
        stats.packetsSent++;
        lastSentAt = now;
    }

    /**
     * The batch to seal a packet of {@code size} bytes into: the current one while the packet fits
     * it (no larger than its packets, and nothing shorter came before), else a new one. The
     * packets of one batch leave in one {@link StreamPath#sendSegments} call: one UDP GSO write
     * where the socket can, the same datagrams on the wire either way.
     */
    private ByteBuf batchFor(int size) {
        ByteBuf b = batch;
        if (b != null && (batchEnded || size > batchSegment || b.writableBytes() < size)) {
            flushBatch();
            b = null;
        }
        if (b == null) {
            int packets = Math.max(1, Math.min(MAX_BATCH_PACKETS, MAX_BATCH_BYTES / size));
            int capacity = packets * size;
            // encrypted: heap (the JCE is fastest on arrays; the socket copies the whole batch once)
            b = sealer.encrypted() ? path.alloc().heapBuffer(capacity, capacity)
                    : path.alloc().directBuffer(capacity, capacity);
            batch = b;
            batchSegment = size;
            batchEnded = false;
        } else if (size < batchSegment) {
            batchEnded = true; // only the last packet of a batch may be shorter
        }
        return b;
    }

    /** Hands the packets sealed so far to the path. On the loop. */
    private void flushBatch() {
        ByteBuf b = batch;
        if (b == null) {
            return;
        }
        batch = null;
        if (!b.isReadable()) {
            b.release();
            return;
        }
        path.sendSegments(b, batchSegment);
    }

    private void record(SentPacket p) {
        if (p.pn - oldestUnacked >= ring.length) {
            SentPacket[] bigger = new SentPacket[ring.length * 2];
            for (SentPacket s : ring) {
                if (s != null) {
                    bigger[(int) (s.pn & (bigger.length - 1))] = s;
                }
            }
            ring = bigger;
        }
        ring[(int) (p.pn & (ring.length - 1))] = p;
    }

    // ================================================================== close

    private void doClose(String reason, Throwable error, boolean notifyPeer) {
        if (closed) {
            return;
        }
        if (notifyPeer) {
            byte[] r = reasonBytes(reason, 1000);
            ByteBuf plain = scratch(maxPacket);
            plain.writeByte(Frames.CLOSE).writeShort(r.length).writeBytes(r);
            SentPacket p = new SentPacket(nextPn, path.nanoTime(),
                    Frames.PACKET_HEADER + plain.writerIndex() + sealer.overhead(), false);
            emit(p, plain, path.nanoTime());
        }
        flushBatch();
        closed = true;
        if (timer != null) {
            timer.dispose();
            timer = null;
        }
        Throwable sendError = error != null ? error : closedError("the stream was closed: " + reason);
        for (ChannelState ch : new ArrayList<>(channels.values())) {
            ch.terminate(sendError, error);
        }
        channels.clear();
        for (SentPacket s : ring) {
            if (s != null) {
                s.frames = null;
            }
        }
        java.util.Arrays.fill(ring, null);
        sendable.clear();
        controls.clear();
        maxDataQueue.clear();
        if (scratch != null) {
            scratch.release();
            scratch = null;
        }
        if (inScratch != null) {
            inScratch.release();
            inScratch = null;
        }
        incomingChannels.tryEmitComplete();
        StreamException.Reason why = error instanceof StreamException se ? se.reason() : StreamException.Reason.CLOSED;
        events.tryEmitNext(new StreamEvent(StreamEvent.Type.CLOSED, transportInfo(), why, reason));
        events.tryEmitComplete();
        closeSink.tryEmitEmpty();
        if (onClosed != null) {
            onClosed.accept(this);
        }
        log.debug("stream to {} closed: {}", peer, reason);
    }

    // ================================================================== helpers

    static byte[] reasonBytes(String reason, int max) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        return r.length <= max ? r : java.util.Arrays.copyOf(r, max);
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) (v >>> 32));
        putInt(b, at + 4, (int) v);
    }

    @Override
    public String toString() {
        return "CarrierStream[" + peer + ", " + (options.isReliable() ? "reliable" : "unreliable")
                + (sealer.encrypted() ? "" : ", plain") + (closed ? ", closed" : "") + "]";
    }

    /** Counters, written on the loop, read anywhere. */
    static final class Stats {
        long packetsSent;
        long packetsReceived;
        long packetsLost;
        long retransmittedBytes;
        long bytesSent;
        long bytesReceived;
        long datagramsDropped;
        long datagramsDroppedSending;
        long rejected;
    }

    /**
     * Paces packets at 1.25 × cwnd / srtt with a burst of 16 packets (or 2 ms). Once it runs dry
     * it waits until a whole quantum is there again (a GSO batch, or 1 ms of sending at slow
     * rates) instead of releasing one packet per wake-up, which cost a timer, a pump and a system
     * call per packet and split the GSO batches.
     */
    final class Pacer {
        long tokens = Long.MAX_VALUE / 4;
        long lastRefill;
        long wakeAt;
        /** Bytes to wait for after running dry; 0 while tokens flow. */
        long waitFor;

        boolean allow(long now, int packet, long cwnd, long srtt) {
            double rate = 1.25 * cwnd / Math.max(srtt, 1000); // bytes per ns
            long burst = Math.max(16L * packet, (long) (rate * 2_000_000));
            if (tokens > burst) {
                tokens = burst;
            }
            tokens = Math.min(burst, tokens + (long) (rate * (now - lastRefill)));
            lastRefill = now;
            if (waitFor > burst) {
                waitFor = burst; // the rate fell since: never wait for more than the bucket holds
            }
            if (waitFor > 0 && tokens < waitFor) {
                wakeAt = now + (long) ((waitFor - tokens) / rate) + 1;
                return false;
            }
            waitFor = 0;
            if (tokens >= packet) {
                tokens -= packet;
                return true;
            }
            waitFor = quantum(packet, rate, burst);
            wakeAt = now + (long) ((waitFor - tokens) / rate) + 1;
            return false;
        }

        private long quantum(int packet, double rate, long burst) {
            long batch = (long) packet * Math.max(1, Math.min(MAX_BATCH_PACKETS, MAX_BATCH_BYTES / packet));
            long oneMs = (long) (rate * 1_000_000);
            return Math.max(packet, Math.min(oneMs, Math.min(burst, batch)));
        }
    }
}
