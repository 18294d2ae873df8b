package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Operators;

/**
 * One channel of a stream: its send buffer (kept until acknowledged), its reassembly buffer and
 * the credit in both directions. Every field is confined to the stream's event loop.
 */
final class ChannelState implements Channel {

    /** Items a send asks its publisher for at a time while the send buffer has room. */
    private static final int REQUEST_BATCH = 32;

    final StreamConnection conn;
    final int id;
    final boolean reliable;
    String name;
    boolean announced;
    boolean inSendable;
    boolean closed;

    // ------------------------------------------------------------ send side
    final SendQueue sendBuf = new SendQueue();
    long buffered;
    long writeOffset;
    long sentOffset;
    long ackedPrefix;
    final RangeSet ackedAbove = new RangeSet();
    final RangeSet lost = new RangeSet();
    boolean sendStarted;
    boolean sendDone;
    boolean finSent;
    boolean finLost;
    boolean finAcked;
    /** Credit: bytes (reliable) or datagrams (unreliable) the peer lets us send. */
    long sendMax;
    Sender sender;
    MonoSink<Void> sendSink;
    final ArrayDeque<ByteBuf> datagrams = new ArrayDeque<>();
    long datagramsSent;
    long datagramsAcked;
    long datagramsInFlight;
    boolean datagramFinQueued;
    boolean requestScheduled;

    // ------------------------------------------------------------ receive side
    long recvOffset;
    final TreeMap<Long, ByteBuf> outOfOrder = new TreeMap<>();
    long outOfOrderBytes;
    final ArrayDeque<ByteBuf> ready = new ArrayDeque<>();
    long readyBytes;
    long consumed;
    long advertised;
    long finalOffset = -1;
    boolean peerFinished;
    long datagramsReceived;
    boolean maxDataQueued;
    final Inbound inbound = new Inbound();

    ChannelState(StreamConnection conn, int id, String name, boolean reliable, long initialCredit, long initialWindow) {
        this.conn = conn;
        this.id = id;
        this.name = name;
        this.reliable = reliable;
        this.sendMax = initialCredit;
        this.advertised = initialWindow;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String name() {
        return name == null ? "" : name;
    }

    // ================================================================== send

    @Override
    public Mono<Void> send(Publisher<? extends ByteBuf> data) {
        java.util.Objects.requireNonNull(data, "data");
        return Mono.create(sink -> conn.runOnLoop(() -> startSend(data, sink)));
    }

    private void startSend(Publisher<? extends ByteBuf> data, MonoSink<Void> sink) {
        if (closed || conn.closed) {
            sink.error(conn.closedError("channel " + id + " is closed"));
            return;
        }
        if (sendStarted) {
            sink.error(new IllegalStateException("channel " + id + " already has a send: a channel carries one send; "
                    + "open another channel or another stream for more"));
            return;
        }
        sendStarted = true;
        sendSink = sink;
        sender = new Sender();
        sink.onCancel(() -> conn.runOnLoop(() -> {
            if (sender != null) {
                sender.dispose();
            }
        }));
        Flux.from(data).publishOn(conn.scheduler, REQUEST_BATCH).subscribe(sender);
    }

    final class Sender extends BaseSubscriber<ByteBuf> {
        int outstanding;

        @Override
        protected void hookOnSubscribe(Subscription s) {
            conn.runOnLoop(ChannelState.this::requestMore);
        }

        @Override
        protected void hookOnNext(ByteBuf buf) {
            outstanding--;
            if (closed || conn.closed) {
                buf.release();
                return;
            }
            int len = buf.readableBytes();
            if (reliable) {
                if (len == 0) {
                    buf.release();
                } else {
                    sendBuf.add(writeOffset, buf);
                    writeOffset += len;
                    buffered += len;
                }
            } else {
                if (len > conn.maxDatagramSize()) {
                    buf.release();
                    fail(new IllegalArgumentException("a datagram of " + len + " bytes does not fit one packet (at most "
                            + conn.maxDatagramSize() + " now): split it or use a reliable stream"));
                    return;
                }
                if (!conn.admitDatagram(ChannelState.this, len)) {
                    // unreliable: what does not fit the peer's credit or the congestion window is dropped, not queued
                    buf.release();
                    conn.stats.datagramsDropped++;
                    conn.stats.datagramsDroppedSending++;
                    requestMoreLater(true);
                    return;
                }
                datagrams.add(buf);
                buffered += len;
                conn.markSendable(ChannelState.this);
                requestMoreLater(false);
                return;
            }
            conn.markSendable(ChannelState.this);
            requestMore();
        }

        @Override
        protected void hookOnComplete() {
            sendDone = true;
            if (!reliable) {
                conn.queueDatagramFin(ChannelState.this); // when every datagram already went out
            }
            conn.markSendable(ChannelState.this);
        }

        @Override
        protected void hookOnError(Throwable t) {
            fail(t);
        }
    }

    /**
     * Unreliable channels never wait for credit: they ask for the next batch in a task of its own,
     * so the loop flushes what was admitted and reads acknowledgements (new credit) in between.
     */
    private void requestMoreLater(boolean dropped) {
        Sender s = sender;
        if (s != null && !requestScheduled && s.outstanding < REQUEST_BATCH / 2) {
            requestScheduled = true;
            Runnable task = () -> {
                requestScheduled = false;
                requestMore();
            };
            if (dropped) {
                // out of credit (or queue): a fast publisher drops at most one batch per millisecond
                // instead of spinning the loop; new credit (MAX_DATA) resumes it at once
                conn.scheduleOnLoop(task, 1);
            } else {
                conn.scheduleOnLoop(task);
            }
        }
    }

    /** Asks the publisher for more while the buffer has room. */
    void requestMore() {
        Sender s = sender;
        if (s == null || sendDone || closed || s.isDisposed()) {
            return;
        }
        long limit = reliable ? conn.options.sendBuffer() : conn.datagramQueueLimit();
        if (buffered < limit && s.outstanding < REQUEST_BATCH / 2) {
            int n = REQUEST_BATCH - s.outstanding;
            s.outstanding += n;
            s.request(n);
        }
    }

    private void fail(Throwable t) {
        if (sender != null) {
            sender.dispose();
        }
        MonoSink<Void> sink = sendSink;
        sendSink = null;
        if (sink != null) {
            sink.error(t);
        }
        if (!closed) {
            conn.closeChannel(this, "the sender failed: " + t.getMessage(), true);
        }
    }

    boolean hasSendable() {
        if (closed) {
            return false;
        }
        if (reliable) {
            return !lost.isEmpty() || (sentOffset < writeOffset && sentOffset < sendMax)
                    || (sendDone && !finAcked && (!finSent || finLost) && sentOffset == writeOffset);
        }
        return !datagrams.isEmpty() && datagramsAcked + datagramsInFlight < sendMax;
    }

    /** The stream acknowledged {@code [offset, offset+length)}. */
    void onAcked(long offset, int length, boolean fin) {
        long end = offset + length;
        if (fin) {
            finAcked = true;
        }
        if (offset <= ackedPrefix) {
            if (end > ackedPrefix) {
                ackedPrefix = end;
                ackedPrefix = Math.max(ackedPrefix, ackedAbove.coveredUpTo(ackedPrefix));
                ackedAbove.removeBelow(ackedPrefix);
                releaseAcked();
            }
        } else {
            ackedAbove.add(offset, end);
        }
        checkSendComplete();
    }

    private void releaseAcked() {
        buffered -= sendBuf.releaseBelow(ackedPrefix);
        lost.removeBelow(ackedPrefix);
        requestMore();
    }

    void checkSendComplete() {
        if (sendSink == null || !sendDone) {
            return;
        }
        boolean done = reliable ? finAcked && ackedPrefix >= writeOffset : datagrams.isEmpty() && finAcked;
        if (done) {
            MonoSink<Void> sink = sendSink;
            sendSink = null;
            sender = null;
            sink.success();
        }
    }

    /** Copies {@code [offset, offset+n)} of the send buffer into {@code out}. */
    void copyData(long offset, int n, ByteBuf out) {
        sendBuf.copy(offset, n, out);
    }

    // ================================================================== receive

    /** A STREAM frame: {@code data} is retained by the caller for this call; retain what is kept. */
    void onStream(long offset, ByteBuf data, boolean fin) {
        int len = data.readableBytes();
        long end = offset + len;
        if (fin) {
            if (finalOffset >= 0 && finalOffset != end) {
                conn.protocolError("channel " + id + " changed its final offset");
                return;
            }
            finalOffset = end;
        }
        if (end > advertised) {
            conn.stats.rejected++;
            return;
        }
        if (inbound.cancelled || closed) {
            // nobody reads: consume at once so the peer is never stuck on credit
            if (end > recvOffset) {
                consumed += end - recvOffset;
                recvOffset = end;
            }
        } else if (end > recvOffset) {
            if (offset <= recvOffset) {
                deliver(data.retainedSlice(data.readerIndex() + (int) (recvOffset - offset), (int) (end - recvOffset)));
                drainOutOfOrder();
            } else {
                ByteBuf old = outOfOrder.get(offset);
                if (old == null || old.readableBytes() < len) {
                    if (old != null) {
                        outOfOrderBytes -= old.readableBytes();
                        old.release();
                    }
                    outOfOrder.put(offset, data.retainedSlice());
                    outOfOrderBytes += len;
                }
            }
        }
        if (finalOffset >= 0 && recvOffset >= finalOffset) {
            peerFinished = true;
        }
        inbound.drain();
    }

    private void deliver(ByteBuf b) {
        ready.add(b);
        readyBytes += b.readableBytes();
        recvOffset += b.readableBytes();
        conn.stats.bytesReceived += b.readableBytes();
    }

    private void drainOutOfOrder() {
        Map.Entry<Long, ByteBuf> e;
        while ((e = outOfOrder.firstEntry()) != null && e.getKey() <= recvOffset) {
            outOfOrder.pollFirstEntry();
            ByteBuf b = e.getValue();
            outOfOrderBytes -= b.readableBytes();
            long end = e.getKey() + b.readableBytes();
            if (end <= recvOffset) {
                b.release();
                continue;
            }
            int skip = (int) (recvOffset - e.getKey());
            b.skipBytes(skip);
            deliver(b);
        }
    }

    void onDatagram(ByteBuf data) {
        datagramsReceived++;
        if (peerFinished || inbound.done) {
            conn.stats.datagramsDropped++; // arrived after the sender's DATAGRAM_FIN: too late
            return;
        }
        if (inbound.cancelled || closed) {
            consumed++;
            return;
        }
        if (ready.size() >= conn.options.datagramWindow() + 64) {
            conn.stats.datagramsDropped++;
            consumed++;
            return;
        }
        ready.add(data.retainedSlice());
        readyBytes += data.readableBytes();
        conn.stats.bytesReceived += data.readableBytes();
        inbound.drain();
    }

    void onDatagramFin(long count) {
        finalOffset = count;
        if (datagramsReceived < count) {
            conn.stats.datagramsDropped += count - datagramsReceived;
        }
        peerFinished = true;
        inbound.drain();
    }

    /** The credit this side should grant now: consumed plus the window. */
    long creditLimit() {
        return consumed + (reliable ? conn.options.receiveWindow() : conn.options.datagramWindow());
    }

    boolean needsMaxData() {
        long window = reliable ? conn.options.receiveWindow() : conn.options.datagramWindow();
        return !peerFinished && creditLimit() - advertised >= window / 4;
    }

    void releaseAll() {
        sendBuf.releaseAll();
        for (ByteBuf b : datagrams) {
            b.release();
        }
        datagrams.clear();
        buffered = 0;
        for (ByteBuf b : outOfOrder.values()) {
            b.release();
        }
        outOfOrder.clear();
        outOfOrderBytes = 0;
    }

    void releaseReady() {
        ByteBuf b;
        while ((b = ready.poll()) != null) {
            b.release();
        }
        readyBytes = 0;
    }

    /** The channel ended (closed locally, by the peer or with the stream). */
    void terminate(Throwable sendError, Throwable receiveError) {
        closed = true;
        if (sender != null) {
            sender.dispose();
            sender = null;
        }
        MonoSink<Void> sink = sendSink;
        sendSink = null;
        if (sink != null) {
            if (sendDone && reliable && finAcked && ackedPrefix >= writeOffset) {
                sink.success();
            } else {
                sink.error(sendError);
            }
        }
        releaseAll();
        if (peerFinished || receiveError == null) {
            inbound.finish(null);
        } else {
            inbound.finish(receiveError);
        }
    }

    @Override
    public Flux<ByteBuf> receive() {
        return inbound;
    }

    @Override
    public Mono<Void> close(String reason) {
        return Mono.create(sink -> conn.runOnLoop(() -> {
            if (!closed) {
                conn.closeChannel(this, reason == null ? "" : reason, true);
            }
            sink.success();
        }));
    }

    @Override
    public String toString() {
        return "Channel[" + id + (name == null || name.isEmpty() ? "" : " " + name) + "]";
    }

    /**
     * The receive side as a Flux with real backpressure: buffers are emitted on the event loop only
     * against the subscriber's demand; what was emitted counts as consumed and becomes credit.
     */
    final class Inbound extends Flux<ByteBuf> implements Subscription {
        final AtomicLong demand = new AtomicLong();
        volatile CoreSubscriber<? super ByteBuf> actual;
        boolean subscribed;
        volatile boolean cancelled;
        boolean done;
        boolean finished;
        Throwable error;
        boolean drainScheduled;

        @Override
        public void subscribe(CoreSubscriber<? super ByteBuf> s) {
            synchronized (this) {
                if (subscribed) {
                    Operators.error(s, new IllegalStateException(
                            "receive() allows one subscriber: share it with publish() or cache() if several need the data"));
                    return;
                }
                subscribed = true;
            }
            actual = s;
            s.onSubscribe(this);
            conn.runOnLoop(this::drain);
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                demand.getAndUpdate(d -> Operators.addCap(d, n));
                conn.runOnLoop(this::drain);
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            conn.runOnLoop(() -> {
                long n = reliable ? readyBytes : ready.size();
                releaseReady();
                consumed += n;
                drain();
            });
        }

        /** Runs on the loop. */
        void drain() {
            CoreSubscriber<? super ByteBuf> a = actual;
            if (done) {
                releaseReady();
                return;
            }
            if (a == null || cancelled) {
                if (cancelled) {
                    done = true;
                }
                conn.maybeSendMaxData(ChannelState.this);
                return;
            }
            long emitted = 0;
            while (demand.get() > 0 && !ready.isEmpty() && !cancelled) {
                ByteBuf b = ready.poll();
                int n = b.readableBytes();
                readyBytes -= n;
                consumed += reliable ? n : 1;
                if (demand.get() != Long.MAX_VALUE) {
                    demand.decrementAndGet();
                }
                emitted++;
                a.onNext(b);
            }
            if (ready.isEmpty() && (peerFinished || finished) && !cancelled) {
                done = true;
                if (error != null && !peerFinished) {
                    a.onError(error);
                } else {
                    a.onComplete();
                }
                return;
            }
            if (emitted > 0) {
                conn.maybeSendMaxData(ChannelState.this);
            }
        }

        /** The channel ended: deliver what is buffered (when the peer finished) then complete or fail. */
        void finish(Throwable e) {
            finished = true;
            error = e;
            if (e != null) {
                releaseReady();
            }
            drain();
            if (actual == null && !subscribed && e == null && !peerFinished) {
                releaseReady();
            }
        }
    }
}
