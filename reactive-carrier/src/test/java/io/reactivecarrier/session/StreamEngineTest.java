package io.reactivecarrier.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.testing.FailingAllocator;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** The stream engine over an in-memory path, with and without faults. */
class StreamEngineTest {

    static final Duration TIMEOUT = Duration.ofSeconds(180);

    final List<Scheduler> schedulers = new ArrayList<>();
    final List<StreamConnection> connections = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (StreamConnection c : connections) {
            c.close().block(TIMEOUT);
        }
        // graceful: packets still in flight on a scheduler are delivered (and released), not dropped
        schedulers.forEach(s -> s.disposeGracefully().timeout(TIMEOUT).onErrorResume(e -> Mono.empty()).block());
    }

    /** Two connected streams: [0] initiator, [1] responder. */
    StreamConnection[] pair(StreamOptions options, Faults faults) {
        Scheduler sa = Schedulers.newSingle("stream-a");
        Scheduler sb = Schedulers.newSingle("stream-b");
        schedulers.add(sa);
        schedulers.add(sb);
        MemoryPath pa = new MemoryPath(sa, faults);
        MemoryPath pb = new MemoryPath(sb, faults);
        MemoryPath.connect(pa, pb);
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        new Random(7).nextBytes(k1);
        new Random(8).nextBytes(k2);
        boolean enc = options.isEncrypted();
        UserId ua = UserId.of(new byte[32]);
        StreamConnection a = new StreamConnection(pa, options, ua, 2, true,
                enc ? PacketProtection.aead(k1) : PacketProtection.plain(),
                enc ? PacketProtection.aead(k2) : PacketProtection.plain(), null);
        StreamConnection b = new StreamConnection(pb, options, ua, 1, false,
                enc ? PacketProtection.aead(k2) : PacketProtection.plain(),
                enc ? PacketProtection.aead(k1) : PacketProtection.plain(), null);
        pa.connection = a;
        pb.connection = b;
        connections.add(a);
        connections.add(b);
        return new StreamConnection[] {a, b};
    }

    static Flux<ByteBuf> data(long bytes, int chunk, long seed) {
        Random r = new Random(seed);
        long chunks = (bytes + chunk - 1) / chunk;
        return Flux.range(0, (int) chunks).map(i -> {
            int n = (int) Math.min(chunk, bytes - (long) i * chunk);
            byte[] b = new byte[n];
            r.nextBytes(b);
            return Unpooled.wrappedBuffer(b);
        });
    }

    static byte[] sha256(long bytes, int chunk, long seed) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        data(bytes, chunk, seed).doOnNext(b -> {
            md.update(b.nioBuffer());
            b.release();
        }).blockLast();
        return md.digest();
    }

    /** Receives everything, hashing; returns [hash bytes..., length] via the Mono. */
    static Mono<Object[]> hashOf(Flux<ByteBuf> in) {
        return Mono.defer(() -> {
            MessageDigest md;
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (Exception e) {
                return Mono.error(e);
            }
            AtomicLong n = new AtomicLong();
            return in.doOnNext(b -> {
                n.addAndGet(b.readableBytes());
                md.update(b.nioBuffer());
                b.release();
            }).then(Mono.fromCallable(() -> new Object[] {md.digest(), n.get()}));
        });
    }

    void transfer(StreamOptions options, Faults faults, long bytes) throws Exception {
        StreamConnection[] p = pair(options, faults);
        Mono<Object[]> received = hashOf(p[1].receive()).cache();
        received.subscribe();
        p[0].send(data(bytes, 1200, 42)).block(TIMEOUT);
        Object[] r = received.block(TIMEOUT);
        assertThat((Long) r[1]).isEqualTo(bytes);
        assertThat((byte[]) r[0]).isEqualTo(sha256(bytes, 1200, 42));
    }

    @Test
    void reliableStreamDeliversEveryByteInOrder() throws Exception {
        transfer(StreamOptions.reliable(), Faults.none(), 8 << 20);
    }

    @Test
    void streamEventsSayOpenedThenClosedWithTheReasonOnBothSides() {
        StreamConnection[] p = pair(StreamOptions.reliable(), Faults.none());
        // hot: a subscriber that comes before the close sees OPENED live and CLOSED at the end
        Mono<List<StreamEvent>> live = p[1].events().collectList().cache();
        live.subscribe();
        p[0].close("bye now").block(TIMEOUT);
        List<StreamEvent> peer = live.block(TIMEOUT);
        assertThat(peer).extracting(StreamEvent::type).containsExactly(StreamEvent.Type.OPENED, StreamEvent.Type.CLOSED);
        assertThat(peer.get(1).reason()).isEqualTo(StreamException.Reason.CLOSED_BY_PEER);
        assertThat(peer.get(1).message()).isEqualTo("bye now");
        assertThat(peer.get(0).reason()).isNull();
        // a late subscriber gets the (bounded) history and completion
        List<StreamEvent> own = p[0].events().collectList().block(TIMEOUT);
        assertThat(own).extracting(StreamEvent::type).containsExactly(StreamEvent.Type.OPENED, StreamEvent.Type.CLOSED);
        assertThat(own.get(1).reason()).isEqualTo(StreamException.Reason.CLOSED);
        assertThat(own.get(1).transportInfo().reliable()).isTrue();
    }

    /**
     * An allocation that throws an {@link Error} (as BlockHound's did in the samples' tests, from
     * Netty's allocator) must not take a stream down silently: a packet that could not be built
     * counts as lost and goes again, and the stream's timer keeps running.
     */
    @Test
    void failedAllocationsLoseNoDataAndStallNothing() throws Exception {
        for (boolean encrypted : new boolean[] {true, false}) {
            StreamConnection[] p = pair(StreamOptions.reliable().encrypted(encrypted), Faults.none());
            FailingAllocator failing = new FailingAllocator(n -> n % 7 == 0);
            ((MemoryPath) p[0].path).alloc = failing;
            ((MemoryPath) p[1].path).alloc = failing;
            long bytes = 1 << 20;
            Mono<Object[]> received = hashOf(p[1].receive()).cache();
            received.subscribe();
            p[0].send(data(bytes, 1200, 42)).block(Duration.ofSeconds(60));
            Object[] r = received.block(Duration.ofSeconds(60));
            assertThat((Long) r[1]).isEqualTo(bytes);
            assertThat((byte[]) r[0]).isEqualTo(sha256(bytes, 1200, 42));
            assertThat(failing.thrown()).as("allocations that failed").isPositive();
        }
    }

    @Test
    void plainStreamDeliversEveryByteInOrder() throws Exception {
        transfer(StreamOptions.reliable().plain(), Faults.none(), 4 << 20);
    }

    @Test
    void reliableStreamSurvivesLossDuplicationReorderingAndCorruption() throws Exception {
        Faults faults = new Faults(0.05, 0.03, 0.25, 0.02, TimeUnit.MICROSECONDS.toNanos(200),
                TimeUnit.MILLISECONDS.toNanos(2), 1);
        StreamConnection[] p = pair(StreamOptions.reliable(), faults);
        long bytes = 64L << 20;
        Mono<Object[]> received = hashOf(p[1].receive()).cache();
        received.subscribe();
        p[0].send(data(bytes, 1200, 3)).block(TIMEOUT);
        Object[] r = received.block(TIMEOUT);
        assertThat((Long) r[1]).isEqualTo(bytes);
        assertThat((byte[]) r[0]).isEqualTo(sha256(bytes, 1200, 3));
        assertThat(faults.dropped).isPositive();
        assertThat(faults.corrupted).isPositive();
        assertThat(p[0].stats().retransmittedBytes()).isPositive();
        assertThat(p[1].stats().packetsRejected()).isPositive(); // corrupted packets fail the AEAD
    }

    @Test
    void plainStreamDropsCorruptedPacketsByChecksum() throws Exception {
        Faults faults = new Faults(0.02, 0.02, 0.1, 0.05, 0, TimeUnit.MILLISECONDS.toNanos(1), 2);
        transfer(StreamOptions.reliable().plain(), faults, 8 << 20);
        assertThat(faults.corrupted).isPositive();
    }

    @Test
    void aSlowSubscriberBoundsTheBuffersOnBothSides() throws Exception {
        int window = 64 << 10;
        StreamOptions options = StreamOptions.reliable().receiveWindow(window).sendBuffer(window);
        StreamConnection[] p = pair(options, Faults.none());
        ChannelState sender = p[0].main;
        ChannelState receiver = p[1].main;
        AtomicLong maxSenderBuffered = new AtomicLong();
        AtomicLong maxReceiverBuffered = new AtomicLong();
        long bytes = 1 << 20;
        Mono<Object[]> received = hashOf(p[1].receive()
                .limitRate(1)
                .delayElements(Duration.ofMillis(1))
                .doOnNext(b -> {
                    maxSenderBuffered.accumulateAndGet(sender.buffered, Math::max);
                    maxReceiverBuffered.accumulateAndGet(receiver.readyBytes + receiver.outOfOrderBytes, Math::max);
                })).cache();
        received.subscribe();
        p[0].send(data(bytes, 1200, 5)).block(TIMEOUT);
        Object[] r = received.block(TIMEOUT);
        assertThat((byte[]) r[0]).isEqualTo(sha256(bytes, 1200, 5));
        // the receiver never holds more than its window; the sender holds its buffer plus one request batch
        assertThat(maxReceiverBuffered.get()).isLessThanOrEqualTo(window);
        assertThat(maxSenderBuffered.get()).isLessThanOrEqualTo(window + 32 * 1200);
        assertThat(maxSenderBuffered.get()).isPositive();
    }

    @Test
    void unreliableStreamDeliversDatagramsUnmodifiedOrNotAtAll() throws Exception {
        Faults faults = new Faults(0.05, 0.03, 0.25, 0.05, 0, TimeUnit.MILLISECONDS.toNanos(1), 9);
        StreamConnection[] p = pair(StreamOptions.unreliable(), faults);
        int count = 20_000;
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicLong bad = new AtomicLong();
        AtomicLong dups = new AtomicLong();
        Mono<Void> done = p[1].receive().doOnNext(b -> {
            byte[] d = new byte[b.readableBytes()];
            b.readBytes(d);
            b.release();
            int idx = ((d[0] & 0xff) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
            if (idx < 0 || idx >= count || !Arrays.equals(d, datagram(idx))) {
                bad.incrementAndGet();
            } else if (!seen.add(idx)) {
                dups.incrementAndGet();
            }
        }).then().cache();
        done.subscribe();
        p[0].send(Flux.range(0, count).map(i -> Unpooled.wrappedBuffer(datagram(i)))).block(TIMEOUT);
        done.block(TIMEOUT);
        assertThat(bad.get()).isZero();
        assertThat(dups.get()).isZero();
        // a synchronous publisher overloads the stream: what did not fit the credit or the window was
        // dropped by the sender; what the faults lost was counted when loss detection declared it lost
        StreamStats st = p[0].stats();
        assertThat(seen.size()).isLessThan(count).isPositive();
        assertThat(seen.size() + st.datagramsDropped() + p[1].stats().datagramsDropped()).isGreaterThanOrEqualTo(count);
        assertThat(st.datagramsDropped()).isGreaterThan(st.datagramsDroppedSending()); // the 5 % loss
        assertThat(st.retransmittedBytes()).isZero();
    }

    @Test
    void anUnreliableSendCompletesWhenItsPublisherCompletesLate() {
        StreamConnection[] p = pair(StreamOptions.unreliable(), Faults.none());
        Mono<Long> count = p[1].receive().doOnNext(ByteBuf::release).count().cache();
        count.subscribe();
        // the publisher completes well after its last datagram went out
        Flux<ByteBuf> slow = Flux.concat(Flux.range(0, 5).map(i -> Unpooled.wrappedBuffer(datagram(i))),
                Mono.delay(Duration.ofMillis(200)).then(Mono.empty()));
        p[0].send(slow).block(TIMEOUT);
        assertThat(count.block(TIMEOUT)).isEqualTo(5);
    }

    static byte[] datagram(int i) {
        byte[] d = new byte[100 + (i % 900)];
        new Random(i).nextBytes(d);
        d[0] = (byte) (i >>> 24);
        d[1] = (byte) (i >>> 16);
        d[2] = (byte) (i >>> 8);
        d[3] = (byte) i;
        return d;
    }

    @Test
    void aThousandChannelsAreOrderedOnTheirOwnAndCarryTheirNames() throws Exception {
        StreamConnection[] p = pair(StreamOptions.reliable(), new Faults(0.02, 0, 0.1, 0, 0,
                TimeUnit.MILLISECONDS.toNanos(1), 4));
        int channels = 1000;
        int bytes = 16 << 10;
        List<Mono<String>> results = new ArrayList<>();
        Flux<String> accepted = p[1].channels()
                .flatMap(ch -> hashOf(ch.receive()).map(r -> ch.name() + "=" + r[1] + ":" + Arrays.hashCode((byte[]) r[0])),
                        channels * 2)
                .take(channels)
                .cache();
        accepted.subscribe();
        for (int i = 0; i < channels; i++) {
            int seed = i;
            String expect = "ch" + seed + "=" + bytes + ":" + Arrays.hashCode(sha256(bytes, 1000, seed));
            results.add(p[0].openChannel("ch" + i)
                    .flatMap(ch -> ch.send(data(bytes, 1000, seed)))
                    .thenReturn(expect));
        }
        Set<String> expected = new HashSet<>(Flux.merge(results).collectList().block(TIMEOUT));
        Set<String> got = new HashSet<>(accepted.collectList().block(TIMEOUT));
        assertThat(got).isEqualTo(expected).hasSize(channels);
    }

    @Test
    void closeReachesThePeerWithItsReason() {
        StreamConnection[] p = pair(StreamOptions.reliable(), Faults.none());
        Mono<Long> err = p[1].receive().map(b -> {
            long n = b.readableBytes();
            b.release();
            return n;
        }).reduce(0L, Long::sum);
        p[0].send(Flux.just(Unpooled.wrappedBuffer(new byte[10]))).block(TIMEOUT);
        p[0].close("bye").block(TIMEOUT);
        p[1].onClose().block(TIMEOUT);
        // everything was delivered before the close: the receive side still hands it over, then completes
        assertThat(err.block(TIMEOUT)).isEqualTo(10L);
        await().atMost(TIMEOUT).until(() -> p[1].closed);
    }
}
