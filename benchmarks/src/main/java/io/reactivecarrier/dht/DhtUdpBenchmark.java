package io.reactivecarrier.dht;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * {@code dht-udp}: {@code nodes} real DHT nodes in this JVM, each with its own UDP socket on
 * 127.0.0.1 on one of {@code --event-loops} shared event loops (default: one per core; 0: a loop of
 * its own for each node) and the full RPC layer (X25519 keys, authenticated and encrypted
 * envelopes). They join one after the other, each from a random earlier node; then
 * {@code lookups} node lookups of random node ids from random nodes run, 16 at a time, after
 * {@code warmup} uncounted ones (default half as many: JIT and the RPC layer's key cache). Latency
 * is wall time from subscription to result.
 *
 * <p>All nodes share the address 127.0.0.1, so the per-source-IP request rate limit of the RPC
 * layer is raised here (in a real network every node has its own address), and the IP-prefix
 * limits do not apply to loopback.
 */
public final class DhtUdpBenchmark {

    private DhtUdpBenchmark() {
    }

    private static List<int[]> pairs(SplittableRandom random, int nodes, int count) {
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int s = random.nextInt(nodes);
            int d = random.nextInt(nodes - 1);
            pairs.add(new int[] {s, d >= s ? d + 1 : d});
        }
        return pairs;
    }

    record UdpNode(UdpTransport transport, RpcEndpoint rpc, DhtNode dht, NodeInfo info) {
    }

    static Mono<UdpNode> start(X25519KeyPair key, List<NodeInfo> bootstrap, MeterRegistry registry,
            LoopResources loops) {
        return UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)
                        .receiveBufferSize(256 * 1024).sendBufferSize(256 * 1024).meterRegistry(registry)
                        .loopResources(loops))
                .flatMap(t -> {
                    PacketRouter router = PacketRouter.create(registry);
                    t.receive(router);
                    RpcEndpoint rpc = RpcEndpoint.create(t, router, key,
                            RpcOptions.create().rateLimit(1_000_000, 1_000_000).meterRegistry(registry));
                    DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)),
                            DhtOptions.defaults().bootstrap(bootstrap).meterRegistry(registry));
                    UdpNode n = new UdpNode(t, rpc, dht, new NodeInfo(dht.id(), t.localAddress()));
                    return dht.start().thenReturn(n);
                });
    }

    public static Map<String, Object> run(int nodes, int lookups, long seed) {
        return run(nodes, lookups, lookups / 2, seed, 0);
    }

    /**
     * As {@link #run(int, int, long)}, after {@code warmup} uncounted lookups (JIT, key caches), with
     * the nodes' sockets on {@code eventLoops} shared event loops (0: a loop of its own for each node,
     * as every node has in its own process).
     */
    public static Map<String, Object> run(int nodes, int lookups, int warmup, long seed, int eventLoops) {
        if (nodes < 2) {
            throw new IllegalArgumentException("--nodes >= 2");
        }
        if (eventLoops < 0) {
            throw new IllegalArgumentException("--event-loops >= 0 (0: one per node)");
        }
        LoopResources loops = eventLoops == 0 ? null : LoopResources.create("dht-udp", eventLoops, true);
        SplittableRandom random = new SplittableRandom(seed);
        MeterRegistry registry = new SimpleMeterRegistry();
        double heapBefore = DhtBenchmarks.usedHeapMb();
        long t0 = System.nanoTime();
        List<UdpNode> all = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                byte[] priv = new byte[32];
                random.nextBytes(priv);
                List<NodeInfo> boot = all.isEmpty() ? List.of() : List.of(all.get(random.nextInt(all.size())).info);
                all.add(start(X25519KeyPair.fromPrivateKey(priv), boot, registry, loops).block(Duration.ofSeconds(60)));
            }
            long joined = System.nanoTime();
            double heapNodes = DhtBenchmarks.usedHeapMb();
            if (warmup > 0) {
                Flux.fromIterable(pairs(random, nodes, warmup))
                        .flatMap(p -> all.get(p[0]).dht.findNode(all.get(p[1]).dht.id()).onErrorResume(e -> Mono.empty()), 16)
                        .then().block(Duration.ofMinutes(10));
            }
            long warm = System.nanoTime();
            List<int[]> pairs = pairs(random, nodes, lookups);
            DhtBenchmarks.Tally tally = new DhtBenchmarks.Tally();
            List<Double> wallMs = Collections.synchronizedList(new ArrayList<>());
            List<Object[]> results = Flux.fromIterable(pairs)
                    .flatMap(p -> {
                        NodeId target = all.get(p[1]).dht.id();
                        return Mono.defer(() -> {
                            long s = System.nanoTime();
                            return all.get(p[0]).dht
                                    .lookup(target, DhtCodec.FIND_NODE, DhtCodec.encodeTarget(target), null, true)
                                    .map(o -> new Object[] {o, target, (System.nanoTime() - s) / 1e6});
                        }).onErrorResume(e -> Mono.empty());
                    }, 16)
                    .collectList()
                    .block(Duration.ofMinutes(10));
            long done = System.nanoTime();
            tally.issued = lookups;
            for (Object[] r : results) {
                tally.add((DhtNode.Outcome) r[0], (NodeId) r[1]);
                wallMs.add((Double) r[2]);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("scenario", "dht-udp");
            out.put("nodes", nodes);
            out.put("lookups", lookups);
            out.put("success_rate", tally.successRate());
            out.put("hops_p50", DhtBenchmarks.Tally.pct(tally.hops, 50));
            out.put("hops_p99", DhtBenchmarks.Tally.pct(tally.hops, 99));
            out.put("latency_ms_p50", DhtBenchmarks.Tally.pct(wallMs, 50));
            out.put("latency_ms_p90", DhtBenchmarks.Tally.pct(wallMs, 90));
            out.put("latency_ms_p99", DhtBenchmarks.Tally.pct(wallMs, 99));
            out.put("rpcs_per_lookup", tally.answered == 0 ? null : tally.rpcs / (double) tally.answered);
            out.put("lookups_per_s", lookups / ((done - warm) / 1e9));
            out.put("warmup_lookups", warmup);
            out.put("event_loops", eventLoops == 0 ? nodes : eventLoops);
            out.put("heap_mb", heapNodes);
            out.put("heap_kb_per_node", (heapNodes - heapBefore) * 1024.0 / nodes);
            out.put("join_wall_s", (joined - t0) / 1e9);
            out.put("wall_s", (done - t0) / 1e9);
            out.put("seed", seed);
            return out;
        } finally {
            Flux.fromIterable(all)
                    .flatMap(n -> n.dht.stop().then(n.rpc.close()).then(n.transport.close()).onErrorResume(e -> Mono.empty()), 32)
                    .then().block(Duration.ofSeconds(60));
            if (loops != null) {
                loops.disposeLater().block(Duration.ofSeconds(10));
            }
        }
    }
}
