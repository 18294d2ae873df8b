package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.crypto.X25519KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/** RPC over a faulty simulated network: loss, duplication, reordering, corruption, churn, bans. */
class SimulatedRpcFaultTest {

    record Outcome(long ok, long timeouts, long wrong, long trace, long authDrops, SimulatedNetwork.Stats stats) {
    }

    static final class Sim {
        final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        final SimulatedNetwork net;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final List<RpcEndpoint> nodes = new ArrayList<>();
        final long seed;

        Sim(long seed, LinkProfile profile) {
            this.seed = seed;
            this.net = SimulatedNetwork.create(vts, seed).defaultProfile(profile);
        }

        RpcEndpoint add(RpcOptions options) {
            SimulatedTransport t = net.addNode();
            PacketRouter router = PacketRouter.create(registry);
            SplittableRandom keys = new SplittableRandom(seed * 1000 + nodes.size());
            byte[] priv = new byte[32];
            keys.nextBytes(priv);
            RpcEndpoint rpc = RpcEndpoint.create(t, router, X25519KeyPair.fromPrivateKey(priv),
                    options.meterRegistry(registry).random(new SplittableRandom(seed * 7919 + nodes.size())));
            t.receive(router);
            nodes.add(rpc);
            return rpc;
        }

        <V> V run(Mono<V> mono, Duration max) {
            CompletableFuture<V> f = mono.toFuture();
            long deadline = vts.now(TimeUnit.MILLISECONDS) + max.toMillis();
            while (!f.isDone() && vts.now(TimeUnit.MILLISECONDS) < deadline) {
                vts.advanceTimeBy(Duration.ofMillis(10));
            }
            assertThat(f).isDone();
            return f.join();
        }

        void shutdown() {
            net.shutdown();
            vts.dispose();
        }
    }

    static Outcome faultyScenario(long seed) {
        Sim sim = new Sim(seed, LinkProfile.perfect().latency(Duration.ofMillis(20)).jitter(Duration.ofMillis(20))
                .loss(0.15).duplicate(0.1).reorder(0.1, Duration.ofMillis(50)).corrupt(0.05));
        try {
            for (int i = 0; i < 40; i++) {
                RpcEndpoint e = sim.add(RpcOptions.create());
                e.handle(1, req -> Mono.just(req.body()));
            }
            SplittableRandom pick = new SplittableRandom(seed);
            RpcCall call = RpcCall.of(Duration.ofMillis(200), 6).backoff(Duration.ofMillis(50), Duration.ofMillis(400));
            List<Mono<Integer>> calls = new ArrayList<>();
            for (RpcEndpoint from : sim.nodes) {
                for (int k = 0; k < 10; k++) {
                    RpcEndpoint to = sim.nodes.get(pick.nextInt(sim.nodes.size()));
                    byte[] body = ("q" + k + "@" + from.transport().localAddress()).getBytes();
                    calls.add(from.request(to.transport().localAddress(), to.nodeKey(), 1, body, call)
                            .map(r -> java.util.Arrays.equals(r.body(), body) ? 0 : 2)
                            .onErrorResume(RpcTimeoutException.class, e -> Mono.just(1)));
                }
            }
            List<Integer> results = sim.run(Flux.merge(calls).collectList(), Duration.ofMinutes(5));
            double auth = sim.registry.find("carrier.rpc.dropped").tag("reason", "authentication").counters().stream()
                    .mapToDouble(Counter::count).sum();
            return new Outcome(results.stream().filter(r -> r == 0).count(), results.stream().filter(r -> r == 1).count(),
                    results.stream().filter(r -> r == 2).count(), sim.net.traceHash(), (long) auth, sim.net.stats());
        } finally {
            sim.shutdown();
        }
    }

    @Test
    void everyRequestIsAnsweredOrTimesOutDeterministically() {
        Outcome first = faultyScenario(2026);
        Outcome second = faultyScenario(2026);
        assertThat(first.ok() + first.timeouts()).isEqualTo(400);
        assertThat(first.wrong()).isZero();
        assertThat(first.ok()).isGreaterThan(380);
        assertThat(first.stats().corrupted()).isPositive();
        assertThat(first.stats().duplicated()).isPositive();
        assertThat(first.authDrops()).isPositive();
        assertThat(second).isEqualTo(first);
        assertThat(faultyScenario(2027).trace()).isNotEqualTo(first.trace());
    }

    @Test
    void churnKilledNodesTimeOutRestartedNodesAnswer() {
        Sim sim = new Sim(5, LinkProfile.perfect().latency(Duration.ofMillis(10)));
        try {
            RpcEndpoint a = sim.add(RpcOptions.create());
            RpcEndpoint b = sim.add(RpcOptions.create());
            b.handle(1, req -> Mono.just(req.body()));
            RpcCall call = RpcCall.of(Duration.ofMillis(100), 2);
            sim.net.kill(b.transport().localAddress());
            Mono<Boolean> timedOut = a.request(b.transport().localAddress(), b.nodeKey(), 1, new byte[] {1}, call)
                    .map(r -> false).onErrorResume(RpcTimeoutException.class, e -> Mono.just(true));
            assertThat(sim.run(timedOut, Duration.ofSeconds(10))).isTrue();
            sim.net.restart(b.transport().localAddress());
            assertThat(sim.run(a.request(b.transport().localAddress(), b.nodeKey(), 1, new byte[] {2}, call),
                    Duration.ofSeconds(10)).body()).containsExactly(2);
        } finally {
            sim.shutdown();
        }
    }

    @Test
    void sustainedAbuseBansTheSourceIpForTheBanDuration() {
        Sim sim = new Sim(6, LinkProfile.perfect().latency(Duration.ofMillis(1)));
        try {
            RpcEndpoint a = sim.add(RpcOptions.create());
            RpcEndpoint b = sim.add(RpcOptions.create().rateLimit(5, 5).banDuration(Duration.ofSeconds(60)));
            b.handle(1, req -> Mono.just(req.body()));
            RpcCall once = RpcCall.of(Duration.ofMillis(100), 1);
            Mono<Long> answered = Flux.range(0, 20)
                    .flatMap(i -> a.request(b.transport().localAddress(), b.nodeKey(), 1, new byte[] {1}, once)
                            .map(r -> 1).onErrorResume(RpcTimeoutException.class, e -> Mono.empty()))
                    .count();
            assertThat(sim.run(answered, Duration.ofSeconds(10))).isEqualTo(5);
            assertThat(sim.registry.counter("carrier.rpc.dropped", "reason", "banned").count()).isPositive();
            // still banned 10 s later, even though the bucket has refilled
            sim.vts.advanceTimeBy(Duration.ofSeconds(10));
            StepVerifier.create(Mono.fromCallable(() -> sim.run(a.request(b.transport().localAddress(), b.nodeKey(), 1,
                            new byte[] {1}, once).map(r -> "answered").onErrorResume(RpcTimeoutException.class,
                            e -> Mono.just("ignored")), Duration.ofSeconds(10))))
                    .expectNext("ignored").expectComplete().verify(Duration.ofSeconds(30));
            sim.vts.advanceTimeBy(Duration.ofSeconds(60));
            assertThat(sim.run(a.request(b.transport().localAddress(), b.nodeKey(), 1, new byte[] {3}, once),
                    Duration.ofSeconds(10)).body()).containsExactly(3);
        } finally {
            sim.shutdown();
        }
    }
}
