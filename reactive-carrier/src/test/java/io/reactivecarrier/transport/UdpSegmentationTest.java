package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.epoll.Epoll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Flux;

/**
 * {@link DatagramTransport#sendSegments} across a real socket pair on loopback: with UDP GSO and
 * GRO (epoll), without them (epoll, offload off) and on NIO, every datagram of every batch arrives
 * intact, once and on its own, whatever the batch size (more than one GSO write's worth included)
 * and with a shorter last datagram.
 */
class UdpSegmentationTest {

    static final Duration T = Duration.ofSeconds(30);

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<UdpTransport> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        Flux.fromIterable(open).flatMap(UdpTransport::close).then().block(T);
    }

    UdpTransport bind(boolean nativeTransport, boolean offload) {
        UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)
                .preferNative(nativeTransport).segmentationOffload(offload).meterRegistry(registry)).block(T);
        open.add(t);
        return t;
    }

    @Test
    void theKernelHereSupportsGsoAndGroOnEpoll() {
        if (!Epoll.isAvailable()) {
            return; // not Linux: the NIO cases below still run
        }
        UdpTransport t = bind(true, true);
        assertThat(t.isNative()).isTrue();
        assertThat(t.isSegmentationOffload()).as("UDP_SEGMENT on this kernel").isTrue();
        assertThat(t.isReceiveOffload()).as("UDP_GRO on this kernel").isTrue();
        assertThat(t.toString()).contains("gso", "gro");
        UdpTransport off = bind(true, false);
        assertThat(off.isSegmentationOffload()).isFalse();
        assertThat(off.isReceiveOffload()).isFalse();
        UdpTransport nio = bind(false, true);
        assertThat(nio.isSegmentationOffload()).isFalse();
        assertThat(nio.isReceiveOffload()).isFalse();
    }

    @ParameterizedTest(name = "native={0} offload={1}")
    @CsvSource({"true,true", "true,false", "false,true"})
    void everyDatagramOfEveryBatchArrivesIntactAndSeparately(boolean nativeTransport, boolean offload) {
        UdpTransport a = bind(nativeTransport, offload);
        UdpTransport b = bind(nativeTransport, offload);
        Map<Long, Integer> got = new ConcurrentHashMap<>();
        AtomicInteger corrupt = new AtomicInteger();
        AtomicInteger duplicates = new AtomicInteger();
        Map<Long, Integer> expected = new ConcurrentHashMap<>();
        b.receive((from, data) -> {
            long key = check(data);
            if (key < 0 || !expected.containsKey(key) || expected.get(key) != data.readableBytes()) {
                corrupt.incrementAndGet();
            } else if (got.put(key, data.readableBytes()) != null) {
                duplicates.incrementAndGet();
            }
        });
        Random random = new Random(7);
        int[] sizes = {1200, 1472, 100, 9000};
        int total = 0;
        for (int batch = 0; batch < 60; batch++) {
            int segment = sizes[batch % sizes.length];
            int count = batch % 10 == 0 ? 1 : 1 + random.nextInt(segment > 2000 ? 12 : 120);
            int last = random.nextBoolean() ? segment : 12 + random.nextInt(segment - 12);
            ByteBuf buf = a.alloc().directBuffer((count - 1) * segment + last);
            for (int s = 0; s < count; s++) {
                int len = s == count - 1 ? last : segment;
                fill(buf, batch, s, len);
                expected.put(key(batch, s), len);
            }
            total += count;
            a.sendSegments(b.localAddress(), buf, segment);
            // one batch at a time: loopback UDP loses nothing unless the receive buffer overflows
            int want = total;
            await().atMost(T).pollInterval(Duration.ofMillis(5)).until(() -> got.size() + corrupt.get() >= want);
        }
        assertThat(corrupt).hasValue(0);
        assertThat(duplicates).hasValue(0);
        assertThat(got).isEqualTo(expected);
        assertThat(registry.counter("carrier.transport.packets.sent").count()).isEqualTo(total);
        double gsoWrites = registry.counter("carrier.transport.gso.writes").count();
        if (nativeTransport && offload && Epoll.isAvailable()) {
            assertThat(gsoWrites).as("batches went out as GSO writes").isPositive();
        } else {
            assertThat(gsoWrites).isZero();
        }
        assertThat(registry.counter(TransportMeters.DROPPED, "reason", "gso_error").count()).isZero();
    }

    /**
     * Single {@code send}s of one event-loop turn: equal-sized ones to one recipient leave as GSO
     * writes; another size, another recipient or a batch in between cut the run; every datagram
     * arrives intact and once, and per recipient in the order sent.
     */
    @ParameterizedTest(name = "native={0} offload={1}")
    @CsvSource({"true,true", "true,false", "false,true"})
    void singleSendsOfOneTurnLeaveTogetherIntactAndInOrder(boolean nativeTransport, boolean offload) {
        UdpTransport a = bind(nativeTransport, offload);
        UdpTransport b = bind(nativeTransport, offload);
        UdpTransport c = bind(nativeTransport, offload);
        List<Long> toB = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Long> toC = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger corrupt = new AtomicInteger();
        b.receive((from, data) -> {
            long k = check(data);
            if (k < 0) {
                corrupt.incrementAndGet();
            }
            toB.add(k);
        });
        c.receive((from, data) -> {
            long k = check(data);
            if (k < 0) {
                corrupt.incrementAndGet();
            }
            toC.add(k);
        });
        List<Long> expectB = new ArrayList<>();
        List<Long> expectC = new ArrayList<>();
        int[] pattern = {1100, 1100, 1100, 1100, 700, 1100, 1100, 1300, 1300, 1300};
        // all from the event loop, in one task: one turn
        a.scheduler().schedule(() -> {
            int s = 0;
            for (int round = 0; round < 20; round++) {
                for (int len : pattern) {
                    ByteBuf buf = a.alloc().directBuffer(len);
                    fill(buf, round, s, len);
                    a.send(b.localAddress(), buf);
                    expectB.add(key(round, s++));
                }
                if (round % 5 == 4) { // another recipient in between
                    ByteBuf buf = a.alloc().directBuffer(500);
                    fill(buf, round, s, 500);
                    a.send(c.localAddress(), buf);
                    expectC.add(key(round, s++));
                }
                if (round % 7 == 6) { // a batch in between: what was held leaves first
                    ByteBuf batch = a.alloc().directBuffer(3 * 900);
                    for (int i = 0; i < 3; i++) {
                        fill(batch, round, s, 900);
                        expectB.add(key(round, s++));
                    }
                    a.sendSegments(b.localAddress(), batch, 900);
                }
            }
        });
        await().atMost(T).pollInterval(Duration.ofMillis(5))
                .until(() -> toB.size() >= 206 && toC.size() >= 4);
        assertThat(expectB).hasSize(206);
        assertThat(corrupt).hasValue(0);
        assertThat(toB).as("to b, in order").containsExactlyElementsOf(expectB);
        assertThat(toC).as("to c, in order").containsExactlyElementsOf(expectC);
        double gsoWrites = registry.counter("carrier.transport.gso.writes").count();
        if (nativeTransport && offload && Epoll.isAvailable()) {
            // runs of 4, 2 (+ shorter ones), 3 per round, far fewer writes than the 210 datagrams
            assertThat(gsoWrites).as("runs of equal single datagrams went out as GSO writes").isBetween(20.0, 120.0);
        } else {
            assertThat(gsoWrites).isZero();
        }
        assertThat(registry.counter("carrier.transport.packets.sent").count()).isEqualTo(210);
    }

    @Test
    void misuseFailsFastAndReleases() {
        UdpTransport a = bind(true, true);
        ByteBuf empty = a.alloc().buffer(0);
        assertThatThrownBy(() -> a.sendSegments(a.localAddress(), empty, 1200))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segment");
        assertThat(empty.refCnt()).isZero();
        ByteBuf some = a.alloc().buffer(10).writeZero(10);
        assertThatThrownBy(() -> a.sendSegments(a.localAddress(), some, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(some.refCnt()).isZero();
    }

    @Test
    void oversizedSegmentsDropTheBatchAndCountIt() {
        UdpTransport a = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)
                .maxDatagramSize(1000).meterRegistry(registry)).block(T);
        open.add(a);
        ByteBuf buf = a.alloc().buffer(3000).writeZero(3000);
        a.sendSegments(a.localAddress(), buf, 1500);
        assertThat(buf.refCnt()).isZero();
        assertThat(registry.counter(TransportMeters.DROPPED, "reason", "oversized").count()).isEqualTo(2);
    }

    /**
     * A run of gathered datagrams whose GSO buffer cannot be allocated (Netty's allocator can throw
     * an Error) is dropped and counted, and the socket goes on: the next run arrives. Before, the
     * failed run stayed in the transport with its buffers released, every later run failed on it,
     * and the node sent no gathered datagram again.
     */
    @Test
    void aRunWhoseBufferCannotBeAllocatedIsDroppedAndTheNextRunArrives() {
        if (!Epoll.isAvailable()) {
            return; // runs are gathered for UDP GSO only
        }
        UdpTransport a = bind(true, true);
        UdpTransport b = bind(true, true);
        AtomicInteger got = new AtomicInteger();
        b.receive((from, data) -> got.incrementAndGet());
        a.allocatorForTest(new io.reactivecarrier.testing.FailingAllocator(n -> n == 1));
        Runnable run = () -> {
            for (int i = 0; i < 5; i++) {
                a.send(b.localAddress(), io.netty.buffer.Unpooled.buffer(100).writeZero(100));
            }
        };
        a.scheduler().schedule(run); // one turn of the loop: one run of five datagrams
        await().atMost(T).until(() -> registry.counter(TransportMeters.DROPPED, "reason", "error").count() == 5);
        a.scheduler().schedule(run);
        await().atMost(T).until(() -> got.get() == 5);
    }

    @Test
    void theSimulatedTransportSplitsBatchesIntoDatagrams() {
        reactor.test.scheduler.VirtualTimeScheduler vts = reactor.test.scheduler.VirtualTimeScheduler.create();
        SimulatedNetwork net = SimulatedNetwork.create(vts, 1);
        SimulatedTransport a = net.addNode();
        SimulatedTransport b = net.addNode();
        List<Integer> sizes = new ArrayList<>();
        b.receive((from, data) -> sizes.add(data.readableBytes()));
        ByteBuf buf = a.alloc().buffer(250).writeZero(250);
        a.sendSegments(b.localAddress(), buf, 100);
        vts.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(sizes).containsExactlyInAnyOrder(100, 100, 50);
    }

    static long key(int batch, int segment) {
        return ((long) batch << 32) | segment;
    }

    /** {@code [batch 4][segment 4][len 4][bytes derived from all three]}, {@code len} bytes in all. */
    static void fill(ByteBuf buf, int batch, int segment, int len) {
        buf.writeInt(batch).writeInt(segment).writeInt(len);
        byte[] bytes = new byte[len - 12];
        for (int i = 12; i < len; i++) {
            bytes[i - 12] = (byte) (batch * 31 + segment * 7 + i);
        }
        buf.writeBytes(bytes);
    }

    /** The datagram's key, or -1 when its bytes are not what {@link #fill} wrote. */
    static long check(ByteBuf data) {
        int start = data.readerIndex();
        int len = data.readableBytes();
        if (len < 12 || data.getInt(start + 8) != len) {
            return -1;
        }
        int batch = data.getInt(start);
        int segment = data.getInt(start + 4);
        byte[] bytes = new byte[len]; // one access: the paranoid leak detector records every ByteBuf call
        data.getBytes(start, bytes);
        for (int i = 12; i < len; i++) {
            if (bytes[i] != (byte) (batch * 31 + segment * 7 + i)) {
                return -1;
            }
        }
        return key(batch, segment);
    }
}
