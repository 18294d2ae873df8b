package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The RPC contract, run over every transport (the rsocket-java {@code TransportTest} pattern):
 * each subclass supplies nodes and a way to let time pass.
 */
abstract class RpcContractTest {

    static final Duration T = Duration.ofSeconds(30);

    /** A network of test nodes. */
    interface Net {
        DatagramTransport transport();

        /** Lets time pass until {@code mono} terminates (real time: identity). */
        <V> Mono<V> drive(Mono<V> mono);

        /** Seed-derived options for determinism where the network is simulated. */
        RpcOptions options();

        void close();
    }

    /** One node: transport, router, endpoint, meters. */
    static final class Node {
        final DatagramTransport transport;
        final PacketRouter router;
        final RpcEndpoint rpc;
        final SimpleMeterRegistry registry;
        final X25519KeyPair key;

        Node(DatagramTransport transport, RpcOptions options) {
            this.transport = transport;
            this.registry = new SimpleMeterRegistry();
            this.router = PacketRouter.create(registry);
            this.key = X25519KeyPair.generate();
            this.rpc = RpcEndpoint.create(transport, router, key, options.meterRegistry(registry));
            transport.receive(router);
        }

        InetSocketAddress address() {
            return transport.localAddress();
        }

        double dropped(String reason) {
            return registry.counter("carrier.rpc.dropped", "reason", reason).count();
        }

        double outcome(int method, String outcome) {
            return registry.counter("carrier.rpc.requests", "method", Integer.toString(method), "outcome", outcome).count();
        }
    }

    Net net;

    abstract Net createNet();

    Node node() {
        return node(net().options());
    }

    Node node(RpcOptions options) {
        return new Node(net().transport(), options);
    }

    Net net() {
        if (net == null) {
            net = createNet();
        }
        return net;
    }

    @AfterEach
    void tearDown() {
        if (net != null) {
            net.close();
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static final RpcCall SHORT = RpcCall.of(Duration.ofMillis(200), 3).backoff(Duration.ofMillis(20), Duration.ofMillis(100));

    @Test
    void echo() {
        Node a = node();
        Node b = node();
        b.rpc.handle(1, req -> Mono.just(req.body()));
        StepVerifier.create(net().drive(a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("hello"))))
                .assertNext(res -> {
                    assertThat(new String(res.body(), StandardCharsets.UTF_8)).isEqualTo("hello");
                    assertThat(res.peerKey()).isEqualTo(b.key.publicKey());
                    assertThat(res.from()).isEqualTo(b.address());
                })
                .expectComplete()
                .verify(T);
        assertThat(a.outcome(1, "success")).isEqualTo(1);
        assertThat(a.rpc.nodeKey()).isEqualTo(a.key.publicKey());
        assertThat(a.rpc.transport()).isSameAs(a.transport);
    }

    @Test
    void handlerSeesTheSenderAndAnEmptyReplySendsNothing() {
        Node a = node();
        Node b = node();
        AtomicInteger calls = new AtomicInteger();
        b.rpc.handle(3, req -> {
            assertThat(req.senderKey()).isEqualTo(a.key.publicKey());
            assertThat(req.from()).isEqualTo(a.address());
            assertThat(req.method()).isEqualTo(3);
            calls.incrementAndGet();
            return Mono.empty();
        });
        StepVerifier.create(net().drive(a.rpc.request(b.address(), b.rpc.nodeKey(), 3, new byte[0], SHORT)))
                .expectError(RpcTimeoutException.class)
                .verify(T);
        assertThat(calls).hasValue(3);
    }

    @Test
    void timesOutAfterAllAttemptsWhenThePeerIsGone() {
        Node a = node();
        Node b = node();
        InetSocketAddress gone = b.address();
        b.transport.close().block(T);
        StepVerifier.create(net().drive(a.rpc.request(gone, b.rpc.nodeKey(), 5, utf8("anyone?"), SHORT)))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(RpcTimeoutException.class);
                    RpcTimeoutException t = (RpcTimeoutException) e;
                    assertThat(t.peer()).isEqualTo(gone);
                    assertThat(t.method()).isEqualTo(5);
                    assertThat(t.attempts()).isEqualTo(3);
                    assertThat(e.getMessage()).contains(gone.toString()).contains("method 5");
                })
                .verify(T);
        assertThat(a.outcome(5, "timeout")).isEqualTo(1);
        StepVerifier.create(net().drive(a.rpc.pendingCount())).expectNext(0).expectComplete().verify(T);
    }

    @Test
    void responseFromAnotherKeyIsIgnored() {
        Node a = node();
        X25519KeyPair bKey = X25519KeyPair.generate();
        X25519KeyPair mallory = X25519KeyPair.generate();
        // a raw node plays B: it can read the request (it holds B's key) and answers twice,
        // first as Mallory, then as B
        DatagramTransport raw = net().transport();
        raw.receive((from, data) -> {
            RpcCodec.Opened req;
            try {
                req = RpcCodec.open(data, 1197, k -> RpcCodec.cipher(bKey, k));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            raw.send(from, RpcCodec.encode(raw.alloc(), PacketKind.RPC_RESPONSE.tag(), mallory.publicKey(),
                    new byte[24], RpcCodec.cipher(mallory, a.key.publicKey()), req.txid(), req.method(), utf8("forged")));
            raw.send(from, RpcCodec.encode(raw.alloc(), PacketKind.RPC_RESPONSE.tag(), bKey.publicKey(),
                    new byte[24], RpcCodec.cipher(bKey, a.key.publicKey()), req.txid(), req.method(), utf8("genuine")));
        });
        StepVerifier.create(net().drive(a.rpc.request(raw.localAddress(), bKey.publicKey(), 1, utf8("q"), SHORT)))
                .assertNext(res -> assertThat(new String(res.body(), StandardCharsets.UTF_8)).isEqualTo("genuine"))
                .expectComplete()
                .verify(T);
        assertThat(a.dropped("unexpected") + a.dropped("wrong_key")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void unknownMethodIsIgnored() {
        Node a = node();
        Node b = node();
        b.rpc.handle(1, req -> Mono.just(req.body()));
        StepVerifier.create(net().drive(a.rpc.request(b.address(), b.rpc.nodeKey(), 42, utf8("?"), SHORT)))
                .expectError(RpcTimeoutException.class)
                .verify(T);
        assertThat(b.dropped("unknown_method")).isEqualTo(3);
    }

    @Test
    void concurrentRequestsAreMatchedByTxid() {
        Node a = node();
        Node b = node();
        b.rpc.handle(1, req -> Mono.just(req.body()));
        Mono<List<Boolean>> all = Flux.range(0, 100)
                .flatMap(i -> a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("n" + i))
                        .map(res -> new String(res.body(), StandardCharsets.UTF_8).equals("n" + i)))
                .collectList();
        StepVerifier.create(net().drive(all))
                .assertNext(list -> assertThat(list).hasSize(100).containsOnly(true))
                .expectComplete()
                .verify(T);
    }

    @Test
    void oversizedBodyIsRefusedAtSendAndAtDecode() {
        Node a = node();
        Node b = node();
        b.rpc.handle(1, req -> Mono.just(req.body()));
        StepVerifier.create(a.rpc.request(b.address(), b.rpc.nodeKey(), 1, new byte[RpcOptions.DEFAULT_MAX_BODY_SIZE + 1]))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("maxBodySize " + RpcOptions.DEFAULT_MAX_BODY_SIZE))
                .verify(T);
        // a hand-made datagram one byte too large is dropped before decryption
        ByteBuf big = a.transport.alloc().buffer().writeByte(PacketKind.RPC_REQUEST.tag()).writeByte(1)
                .writeZero(RpcCodec.OVERHEAD + RpcOptions.DEFAULT_MAX_BODY_SIZE - 1);
        a.transport.send(b.address(), big);
        // an echo afterwards proves b has processed the datagram before
        StepVerifier.create(net().drive(a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("ok"))))
                .expectNextCount(1).expectComplete().verify(T);
        assertThat(b.dropped("oversized")).isEqualTo(1);
    }

    @Test
    void rateLimitKicksIn() {
        Node a = node();
        Node b = node(net().options().rateLimit(5, 5).banDuration(Duration.ZERO));
        b.rpc.handle(1, req -> Mono.just(req.body()));
        RpcCall once = RpcCall.of(Duration.ofMillis(300), 1);
        Mono<Long> answered = Flux.range(0, 40)
                .flatMap(i -> a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("r" + i), once)
                        .map(r -> 1).onErrorResume(RpcTimeoutException.class, e -> Mono.empty()))
                .count();
        StepVerifier.create(net().drive(answered))
                .assertNext(n -> assertThat(n).isBetween(1L, 39L))
                .expectComplete()
                .verify(T);
        assertThat(b.dropped("rate_limited")).isPositive();
    }

    @Test
    void amplificationLimitUntilTheAddressIsValidated() {
        Node a = node();
        Node b = node();
        AtomicInteger lastLimit = new AtomicInteger();
        b.rpc.handle(1, req -> {
            lastLimit.set(req.maxResponseBodyBytes());
            return Mono.just(new byte[1000]);
        });
        a.rpc.handle(2, req -> Mono.just(utf8("pong")));
        RpcCall once = RpcCall.of(Duration.ofMillis(300), 1);
        StepVerifier.create(net().drive(a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("x"), once)))
                .expectError(RpcTimeoutException.class)
                .verify(T);
        assertThat(lastLimit).hasValue(3 * (RpcCodec.OVERHEAD + 1) - RpcCodec.OVERHEAD);
        assertThat(b.dropped("amplification")).isEqualTo(1);
        // a answers one of b's requests: a's address is validated for b
        StepVerifier.create(net().drive(b.rpc.request(a.address(), a.rpc.nodeKey(), 2, utf8("ping"))))
                .expectNextCount(1).expectComplete().verify(T);
        StepVerifier.create(net().drive(a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("x"), once)))
                .assertNext(res -> assertThat(res.body()).hasSize(1000))
                .expectComplete()
                .verify(T);
        assertThat(lastLimit).hasValue(RpcOptions.DEFAULT_MAX_BODY_SIZE);
    }

    @Test
    void cancellingForgetsTheTransactionAndDropsTheLateResponse() {
        Node a = node();
        Node b = node();
        AtomicInteger served = new AtomicInteger();
        b.rpc.handle(1, req -> {
            served.incrementAndGet();
            return Mono.delay(Duration.ofMillis(200), b.transport.scheduler()).thenReturn(req.body());
        });
        Disposable call = a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("late"), RpcCall.of(Duration.ofSeconds(5), 1))
                .subscribe();
        // wait until b got the request, then cancel
        StepVerifier.create(net().drive(Mono.fromCallable(served::get).filter(n -> n > 0)
                        .repeatWhenEmpty(1000, f -> f.delayElements(Duration.ofMillis(5), a.transport.scheduler()))))
                .expectNext(1).expectComplete().verify(T);
        call.dispose();
        StepVerifier.create(net().drive(a.rpc.pendingCount())).expectNext(0).expectComplete().verify(T);
        StepVerifier.create(net().drive(Mono.fromCallable(() -> a.dropped("unexpected")).filter(n -> n > 0)
                        .repeatWhenEmpty(1000, f -> f.delayElements(Duration.ofMillis(5), a.transport.scheduler()))))
                .expectNext(1.0).expectComplete().verify(T);
        assertThat(a.outcome(1, "cancelled")).isEqualTo(1);
    }

    @Test
    void closeFailsPendingRequests() {
        Node a = node();
        Node b = node();
        b.rpc.handle(1, req -> Mono.empty());
        Mono<RpcEndpoint.RpcResponse> pending = a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("x"),
                RpcCall.of(Duration.ofSeconds(10), 1)).cache();
        pending.subscribe(r -> { }, e -> { });
        StepVerifier.create(net().drive(a.rpc.close().then(pending)))
                .expectError(IllegalStateException.class)
                .verify(T);
        StepVerifier.create(a.rpc.request(b.address(), b.rpc.nodeKey(), 1, utf8("x")))
                .expectError(IllegalStateException.class)
                .verify(T);
    }
}
