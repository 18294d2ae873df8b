package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class UdpTransportTest {

    static final Duration T = Duration.ofSeconds(10);

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<UdpTransport> open = new java.util.ArrayList<>();

    @AfterEach
    void closeAll() {
        Flux.fromIterable(open).flatMap(UdpTransport::close).then().block(T);
    }

    UdpTransport bind(UdpTransportOptions options) {
        UdpTransport t = UdpTransport.bind(options.meterRegistry(registry)).block(T);
        open.add(t);
        return t;
    }

    UdpTransport bind() {
        return bind(UdpTransportOptions.create().host("127.0.0.1").port(0));
    }

    @Test
    void optionsAreCopyOnWrite() {
        UdpTransportOptions base = UdpTransportOptions.create();
        UdpTransportOptions other = base.port(1234).host("::1").preferNative(false);
        assertThat(base.port()).isZero();
        assertThat(base.host()).isEqualTo("0.0.0.0");
        assertThat(other.port()).isEqualTo(1234);
        assertThat(other.preferNative()).isFalse();
        assertThat(base.receiveBufferSize()).isEqualTo(4 * 1024 * 1024);
    }

    @Test
    void deliversDatagramsOnTheEventLoopAndReleasesThem() {
        UdpTransport a = bind();
        UdpTransport b = bind();
        assertThat(b.localAddress().getPort()).isPositive();
        ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        AtomicInteger offLoop = new AtomicInteger();
        b.receive((from, data) -> {
            if (!b.eventLoop().inEventLoop()) {
                offLoop.incrementAndGet();
            }
            assertThat(from).isEqualTo(a.localAddress());
            got.add(data.toString(StandardCharsets.UTF_8));
        });
        // 200 sends from the test thread, coalesced flushes on a's loop
        for (int i = 0; i < 200; i++) {
            a.send(b.localAddress(), a.alloc().buffer().writeBytes(("m" + i).getBytes(StandardCharsets.UTF_8)));
        }
        await().atMost(T).until(() -> got.size() == 200);
        assertThat(offLoop).hasValue(0);
        assertThat(registry.counter("carrier.transport.packets.sent").count()).isEqualTo(200);
        assertThat(registry.counter("carrier.transport.packets.received").count()).isEqualTo(200);
        assertThat(registry.counter("carrier.transport.bytes.received").count()).isPositive();
    }

    @Test
    void transportsOnSharedLoopsWorkAndCloseWithoutStoppingTheLoops() {
        reactor.netty.resources.LoopResources shared = reactor.netty.resources.LoopResources.create("test-shared", 1, true);
        try {
            UdpTransportOptions onShared = UdpTransportOptions.create().host("127.0.0.1").port(0).loopResources(shared);
            UdpTransport a = bind(onShared);
            UdpTransport b = bind(onShared);
            assertThat(a.eventLoop()).as("one shared loop serves both sockets").isSameAs(b.eventLoop());
            CompletableFuture<String> got = new CompletableFuture<>();
            b.receive((from, data) -> got.complete(data.toString(StandardCharsets.UTF_8)));
            a.send(b.localAddress(), a.alloc().buffer().writeBytes("one".getBytes(StandardCharsets.UTF_8)));
            assertThat(got).succeedsWithin(T).isEqualTo("one");

            a.close().block(T);
            assertThat(b.eventLoop().isShuttingDown()).as("closing a transport leaves shared loops running").isFalse();
            UdpTransport c = bind(onShared);
            CompletableFuture<String> again = new CompletableFuture<>();
            b.receive((from, data) -> again.complete(data.toString(StandardCharsets.UTF_8)));
            c.send(b.localAddress(), c.alloc().buffer().writeBytes("two".getBytes(StandardCharsets.UTF_8)));
            assertThat(again).succeedsWithin(T).isEqualTo("two");
        } finally {
            closeAll();
            open.clear();
            shared.disposeLater().block(T);
        }
    }

    @Test
    void sendsFromTheEventLoopToo() {
        UdpTransport a = bind();
        UdpTransport b = bind();
        CompletableFuture<String> echoed = new CompletableFuture<>();
        b.receive((from, data) -> b.send(from, data.retain()));
        a.receive((from, data) -> echoed.complete(data.toString(StandardCharsets.UTF_8)));
        a.scheduler().schedule(() -> a.send(b.localAddress(), a.alloc().buffer().writeBytes("ping".getBytes())));
        StepVerifier.create(Mono.fromFuture(echoed)).expectNext("ping").expectComplete().verify(T);
    }

    @Test
    void aLargeBurstInOneEventLoopTurnIsWrittenNotDropped() {
        UdpTransport a = bind();
        UdpTransport b = bind();
        AtomicInteger got = new AtomicInteger();
        b.receive((from, data) -> got.incrementAndGet());
        CompletableFuture<Void> done = new CompletableFuture<>();
        a.scheduler().schedule(() -> {
            for (int i = 0; i < 1000; i++) {
                a.send(b.localAddress(), a.alloc().buffer(1200).writeZero(1200));
            }
            done.complete(null);
        });
        StepVerifier.create(Mono.fromFuture(done)).expectComplete().verify(T);
        // counted when handed to the socket: the last run of equal datagrams leaves at the turn's flush
        await().atMost(T).until(() -> registry.counter("carrier.transport.packets.sent").count() == 1000);
        assertThat(registry.counter("carrier.transport.packets.dropped", "reason", "backpressure").count()).isZero();
        // the kernel may drop some on loopback when its receive buffer is small; most arrive
        await().atMost(T).until(() -> got.get() > 0);
    }

    @Test
    void schedulerTimersRunOnTheEventLoopWithWallClock() {
        UdpTransport a = bind();
        long before = System.currentTimeMillis();
        CompletableFuture<Boolean> ran = new CompletableFuture<>();
        a.scheduler().schedule(() -> ran.complete(a.eventLoop().inEventLoop()), 20, TimeUnit.MILLISECONDS);
        StepVerifier.create(Mono.fromFuture(ran)).expectNext(true).expectComplete().verify(T);
        assertThat(a.scheduler().now(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(before);
    }

    @Test
    void oversizedAndClosedSendsAreDroppedCountedAndReleased() {
        UdpTransport a = bind(UdpTransportOptions.create().host("127.0.0.1").maxDatagramSize(100));
        UdpTransport b = bind();
        ByteBuf big = a.alloc().buffer(101).writeZero(101);
        a.send(b.localAddress(), big);
        assertThat(big.refCnt()).isZero();
        assertThat(registry.counter("carrier.transport.packets.dropped", "reason", "oversized").count()).isEqualTo(1);

        a.close().block(T);
        a.close().block(T); // idempotent
        ByteBuf late = a.alloc().buffer(1).writeByte(1);
        a.send(b.localAddress(), late);
        assertThat(late.refCnt()).isZero();
        assertThat(registry.counter("carrier.transport.packets.dropped", "reason", "closed").count()).isEqualTo(1);
    }

    @Test
    void oversizedInboundDatagramsAreDropped() {
        UdpTransport a = bind();
        UdpTransport b = bind(UdpTransportOptions.create().host("127.0.0.1").maxDatagramSize(100));
        ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();
        b.receive((from, data) -> sizes.add(data.readableBytes()));
        a.send(b.localAddress(), a.alloc().buffer().writeZero(500));
        a.send(b.localAddress(), a.alloc().buffer().writeZero(100));
        await().atMost(T).until(() -> sizes.size() == 1
                && registry.counter("carrier.transport.packets.dropped", "reason", "oversized").count() == 1);
        assertThat(sizes).containsExactly(100);
    }

    @Test
    void closeReleasesThePortForASecondBind() {
        UdpTransport a = bind();
        int port = a.localAddress().getPort();
        a.close().block(T);
        UdpTransport again = bind(UdpTransportOptions.create().host("127.0.0.1").port(port));
        assertThat(again.localAddress().getPort()).isEqualTo(port);
    }

    @Test
    void usesEpollWhenAvailableAndPreferred() {
        UdpTransport a = bind();
        assertThat(a.isNative()).isEqualTo(io.netty.channel.epoll.Epoll.isAvailable());
    }

    @Test
    void nioFallbackWorksWithTheSameApi() {
        UdpTransport a = bind(UdpTransportOptions.create().host("127.0.0.1").preferNative(false));
        UdpTransport b = bind();
        assertThat(a.isNative()).isFalse();
        CompletableFuture<Integer> got = new CompletableFuture<>();
        a.receive((from, data) -> got.complete(data.readableBytes()));
        b.send(a.localAddress(), b.alloc().buffer().writeZero(33));
        StepVerifier.create(Mono.fromFuture(got)).expectNext(33).expectComplete().verify(T);
    }

    @Test
    void ipv6Loopback() {
        UdpTransport a;
        try {
            a = bind(UdpTransportOptions.create().host("::1"));
        } catch (RuntimeException e) {
            Assumptions.abort("IPv6 loopback ::1 is not available on this machine: " + e);
            return;
        }
        UdpTransport b = bind(UdpTransportOptions.create().host("::1"));
        CompletableFuture<InetSocketAddress> from = new CompletableFuture<>();
        b.receive((sender, data) -> from.complete(sender));
        a.send(b.localAddress(), a.alloc().buffer().writeZero(10));
        StepVerifier.create(Mono.fromFuture(from)).expectNext(a.localAddress()).expectComplete().verify(T);
    }
}
