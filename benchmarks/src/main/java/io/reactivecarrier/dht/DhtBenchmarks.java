package io.reactivecarrier.dht;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import reactor.core.publisher.Mono;

/**
 * The DHT benchmark scenarios of {@code shared/BENCHMARKS.md} ({@code dht-sim}, {@code sybil-sim};
 * {@code dht-udp} is {@link DhtUdpBenchmark}). It lives in the DHT's package so that it can
 * drive real {@link DhtNode}s through their package-private lookup (which reports hops) and read
 * their routing tables. Each method returns the fields of the result line, in order.
 */
public final class DhtBenchmarks {

    static {
        java.util.logging.Logger.getLogger("io.micrometer").setLevel(java.util.logging.Level.SEVERE);
    }

    private DhtBenchmarks() {
    }

    /** One simulated node. */
    private record Member(DhtNode node, SimDhtNetwork.Transport transport) {
    }

    /** Honest nodes on a simulated network, joined one after the other, each from a random earlier one. */
    private static final class Cluster {
        final SimDhtNetwork net;
        final DhtOptions options;
        final SplittableRandom random;
        final List<Member> members = new ArrayList<>();
        int nextAddress;

        Cluster(long seed, long rttMs, double loss, DhtOptions options) {
            this.net = new SimDhtNetwork(seed, rttMs, loss);
            this.options = options;
            this.random = new SplittableRandom(seed ^ 0x5eedL);
        }

        Member add() {
            int i = nextAddress++;
            // one /24 per honest node (10.0.0.0/8 holds 65536 of them)
            InetSocketAddress a = SimDhtNetwork.address(10, (i >> 8) & 0xff, i & 0xff, 1, 33445);
            SimDhtNetwork.Transport t = net.join(NodeId.random(random), a);
            DhtOptions o = options;
            if (!members.isEmpty()) {
                o = o.bootstrap(List.of(members.get(random.nextInt(members.size())).transport.info));
            }
            Member m = new Member(DhtNode.create(t, o, new SplittableRandom(random.nextLong())), t);
            members.add(m);
            m.node.start().subscribe(v -> { }, e -> { });
            return m;
        }

        void remove(int index) {
            Member m = members.remove(index);
            m.node.stop().subscribe(v -> { }, e -> { });
            net.leave(m.transport);
        }

        /** Joins {@code count} nodes {@code gapMs} apart, then runs one bucket-refresh round. */
        void grow(int count, long gapMs) {
            for (int i = 0; i < count; i++) {
                add();
                net.advance(gapMs);
            }
            net.advance(5_000);
        }

        void settle() {
            net.advance(options.bucketRefresh.toMillis() + options.refreshCheck.toMillis() + 60_000L);
        }
    }

    /** Lookup results: success, hops, latency (virtual ms), RPCs. */
    static final class Tally {
        final List<Integer> hops = new ArrayList<>();
        final List<Long> latency = new ArrayList<>();
        long rpcs;
        int issued;
        int ok;
        int answered;

        void add(DhtNode.Outcome o, NodeId target) {
            answered++;
            List<NodeInfo> c = o.result().closest();
            if (!c.isEmpty() && c.get(0).id().equals(target)) {
                ok++;
            }
            hops.add(o.result().hops());
            latency.add(o.latencyMs());
            rpcs += o.result().rpcs();
        }

        double successRate() {
            return issued == 0 ? Double.NaN : ok / (double) issued;
        }

        static <T extends Comparable<T>> T pct(List<T> values, double p) {
            if (values.isEmpty()) {
                return null;
            }
            List<T> sorted = new ArrayList<>(values);
            sorted.sort(null);
            int rank = (int) Math.ceil(p / 100.0 * sorted.size());
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
        }

        void into(Map<String, Object> out, String successName) {
            out.put(successName, successRate());
            out.put("hops_p50", pct(hops, 50));
            out.put("hops_p99", pct(hops, 99));
            out.put("latency_ms_p50", pct(latency, 50));
            out.put("latency_ms_p90", pct(latency, 90));
            out.put("latency_ms_p99", pct(latency, 99));
            out.put("rpcs_per_lookup", answered == 0 ? null : rpcs / (double) answered);
        }
    }

    /** Issues {@code count} node lookups (random live source, random other live target), 50 per 100 ms. */
    private static void lookups(Cluster c, int count, Tally tally, List<Member> sources, List<Member> targets) {
        for (int i = 0; i < count; i++) {
            DhtNode src = sources.get(c.random.nextInt(sources.size())).node;
            Member dst = targets.get(c.random.nextInt(targets.size()));
            while (dst.node == src && targets.size() > 1) {
                dst = targets.get(c.random.nextInt(targets.size()));
            }
            NodeId target = dst.node.id();
            tally.issued++;
            src.lookup(target, DhtCodec.FIND_NODE, DhtCodec.encodeTarget(target), null, true)
                    .subscribe(o -> tally.add(o, target), e -> { });
            if (i % 50 == 49) {
                c.net.advance(100);
            }
        }
    }

    private static DhtOptions simOptions(int k, int alpha) {
        // one registry for all simulated nodes: meters of the same name are shared, not repeated per node
        return DhtOptions.defaults().k(k).alpha(alpha).meterRegistry(new io.micrometer.core.instrument.composite.CompositeMeterRegistry());
    }

    /**
     * {@code dht-sim}: {@code nodes} nodes join one after the other (10 ms apart, each from a random
     * earlier node), run one bucket-refresh round, then {@code lookups} concurrent lookups of random
     * node ids from random nodes. With {@code churn > 0}, that share of the nodes is replaced
     * during the lookups in ten rounds (remove, join the newcomers, then a tenth of the lookups
     * right away, so tables still hold departed nodes).
     */
    public static Map<String, Object> sim(int nodes, int lookups, long rttMs, double loss, double churn, long seed,
            int k, int alpha) {
        if (nodes < 2 || nodes > 65_536) {
            throw new IllegalArgumentException("--nodes in 2..65536");
        }
        long t0 = System.nanoTime();
        Cluster c = new Cluster(seed, rttMs, loss, simOptions(k, alpha));
        c.grow(nodes, 10);
        c.settle();
        long built = System.nanoTime();
        long datagramsBefore = c.net.datagrams;
        Tally tally = new Tally();
        int replaced = 0;
        if (churn > 0) {
            int replace = (int) Math.round(nodes * churn);
            int rounds = 10;
            for (int r = 0; r < rounds; r++) {
                int n = replace / rounds + (r < replace % rounds ? 1 : 0);
                for (int i = 0; i < n; i++) {
                    c.remove(c.random.nextInt(c.members.size()));
                }
                for (int i = 0; i < n; i++) {
                    c.add();
                    c.net.advance(10);
                }
                replaced += n;
                c.net.advance(1_000);
                int count = lookups / rounds + (r < lookups % rounds ? 1 : 0);
                List<Member> live = List.copyOf(c.members);
                lookups(c, count, tally, live, live);
                c.net.advance(30_000);
            }
        } else {
            List<Member> live = List.copyOf(c.members);
            lookups(c, lookups, tally, live, live);
            c.net.advance(30_000);
        }
        long done = System.nanoTime();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", "dht-sim");
        out.put("nodes", nodes);
        out.put("lookups", tally.issued);
        tally.into(out, "success_rate");
        out.put("rtt_ms", rttMs);
        out.put("loss", loss);
        out.put("churn", churn);
        out.put("replaced", replaced);
        out.put("k", k);
        out.put("alpha", alpha);
        out.put("seed", seed);
        out.put("datagrams_per_lookup_phase", c.net.datagrams - datagramsBefore);
        out.put("virtual_s", c.net.clock.nowMs() / 1000.0);
        out.put("build_wall_s", (built - t0) / 1e9);
        out.put("lookup_wall_s", (done - built) / 1e9);
        out.put("wall_s", (done - t0) / 1e9);
        out.put("cpu_s", cpuSeconds());
        out.put("heap_mb", usedHeapMb());
        java.lang.ref.Reference.reachabilityFence(c); // the nodes count in heap_mb
        return out;
    }

    /**
     * {@code sybil-sim}: {@code honest} nodes build a network; then {@code sybil} ids on three /24
     * prefixes (many ports each) join: each pings 20 random honest nodes to get into their tables,
     * and every sybil answers FIND_NODE only with the sybils closest to the target (an eclipse
     * attempt). After a bucket-refresh round with the sybils present, {@code lookups} honest-to-
     * honest lookups run.
     */
    public static Map<String, Object> sybil(int honest, int sybil, int lookups, long seed) {
        long t0 = System.nanoTime();
        DhtOptions options = simOptions(DhtOptions.defaults().k(), DhtOptions.defaults().alpha());
        Cluster c = new Cluster(seed, 100, 0.01, options);
        c.grow(honest, 10);
        c.settle();
        int k = options.k;
        int[][] prefixes = {{203, 0, 113}, {198, 51, 100}, {192, 0, 2}};
        List<SimDhtNetwork.Transport> sybils = new ArrayList<>();
        for (int i = 0; i < sybil; i++) {
            int[] p = prefixes[i % prefixes.length];
            sybils.add(c.net.join(NodeId.random(c.random),
                    SimDhtNetwork.address(p[0], p[1], p[2], 1 + (i / prefixes.length) % 254, 10_000 + i)));
        }
        List<NodeId> sorted = sybils.stream().map(s -> s.id).sorted().toList();
        Map<NodeId, NodeInfo> byId = new java.util.HashMap<>();
        sybils.forEach(s -> byId.put(s.id, s.info));
        Set<NodeId> sybilIds = byId.keySet();
        for (SimDhtNetwork.Transport s : sybils) {
            s.serve(DhtCodec.PING, req -> Mono.just(DhtCodec.encodePong(req.from().address())));
            s.serve(DhtCodec.FIND_NODE, req -> {
                try {
                    NodeId target = DhtCodec.decodeTarget(req.body());
                    // ids next to the target in id order share its longest prefixes
                    int at = java.util.Collections.binarySearch(sorted, target);
                    int from = Math.max(0, (at < 0 ? -at - 1 : at) - k);
                    List<NodeInfo> closest = new ArrayList<>();
                    for (NodeId id : sorted.subList(from, Math.min(sorted.size(), from + 2 * k))) {
                        closest.add(byId.get(id));
                    }
                    closest.sort((x, y) -> target.compareDistance(x.id(), y.id()));
                    return Mono.just(DhtCodec.encodeNodes(
                            new DhtCodec.Nodes(new byte[DhtCodec.TOKEN_LENGTH], closest.subList(0, Math.min(k, closest.size())))));
                } catch (io.reactivecarrier.wire.DecodeException e) {
                    return Mono.empty();
                }
            });
        }
        for (SimDhtNetwork.Transport s : sybils) {
            for (int j = 0; j < 20; j++) {
                s.call(c.members.get(c.random.nextInt(c.members.size())).transport.info, DhtCodec.PING,
                        DhtCodec.encodePing()).subscribe(b -> { }, e -> { });
            }
            c.net.advance(5);
        }
        c.settle(); // a bucket-refresh round with the sybils around
        long sybilEntries = 0;
        long entries = 0;
        int maxSybils = 0;
        for (Member m : c.members) {
            int inTable = 0;
            for (NodeInfo n : m.node.table().closestForLookup(m.node.id(), Integer.MAX_VALUE)) {
                entries++;
                if (sybilIds.contains(n.id())) {
                    inTable++;
                }
            }
            sybilEntries += inTable;
            maxSybils = Math.max(maxSybils, inTable);
        }
        Tally tally = new Tally();
        List<Member> live = List.copyOf(c.members);
        lookups(c, lookups, tally, live, live);
        c.net.advance(30_000);
        long done = System.nanoTime();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", "sybil-sim");
        out.put("honest", honest);
        out.put("sybil", sybil);
        out.put("honest_lookup_success_rate", tally.successRate());
        out.put("sybil_share_in_tables", entries == 0 ? 0.0 : sybilEntries / (double) entries);
        out.put("max_sybils_in_a_table", maxSybils);
        out.put("sybil_prefixes", prefixes.length);
        out.put("lookups", tally.issued);
        Map<String, Object> rest = new LinkedHashMap<>();
        tally.into(rest, "success_rate");
        rest.remove("success_rate");
        out.putAll(rest);
        out.put("seed", seed);
        out.put("wall_s", (done - t0) / 1e9);
        out.put("cpu_s", cpuSeconds());
        out.put("heap_mb", usedHeapMb());
        return out;
    }

    /** CPU time of this process so far (the machine may be shared: wall time alone says little). */
    static double cpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    static double usedHeapMb() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
    }
}
