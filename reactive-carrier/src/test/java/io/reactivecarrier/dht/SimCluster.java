package io.reactivecarrier.dht;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import reactor.core.Disposable;

/** Honest DhtNodes on a {@link SimNetwork}, joined one after the other, plus lookup statistics. */
final class SimCluster {

    final SimNetwork net;
    final DhtOptions options;
    final Random random;
    final List<DhtNode> nodes = new ArrayList<>();
    final List<SimNetwork.Transport> transports = new ArrayList<>();
    int nextIp;
    /** Lookups end when the target is named (findNode's behaviour) rather than when it answers. */
    boolean locate = true;
    java.util.function.BiConsumer<NodeId, DhtNode.Outcome> debug;

    SimCluster(long seed, double loss, DhtOptions options) {
        this.net = new SimNetwork(seed, loss, 40, 60);
        this.options = options;
        this.random = new Random(seed ^ 0x5eed);
    }

    /** Each new node bootstraps from one random node already in the network. */
    DhtNode addNode() {
        int i = nextIp++;
        NodeId id = NodeId.random(random);
        SimNetwork.Transport t = net.join(id, SimNetwork.address(10, (i >> 8) & 0xff, i & 0xff, 1));
        DhtOptions o = options;
        if (!nodes.isEmpty()) {
            o = o.bootstrap(List.of(transports.get(random.nextInt(transports.size())).info));
        }
        DhtNode n = DhtNode.create(t, o, new Random(random.nextLong()));
        nodes.add(n);
        transports.add(t);
        n.start().subscribe(v -> { }, e -> { });
        return n;
    }

    SimCluster grow(int count) {
        for (int i = 0; i < count; i++) {
            addNode();
            net.advance(100);
        }
        net.advance(5_000);
        return this;
    }

    /** Lets every node refresh its buckets once (the 15 min refresh), then settle. */
    SimCluster settle() {
        net.advance(16 * 60_000L);
        net.advance(60_000L);
        return this;
    }

    void remove(int index) {
        DhtNode n = nodes.remove(index);
        SimNetwork.Transport t = transports.remove(index);
        n.stop().subscribe();
        net.leave(t);
    }

    record Stats(int lookups, int ok, double successRate, int hopsP50, int hopsP99, long latencyP50, long latencyP99,
            double rpcsMean) {
    }

    /** {@code count} lookups of random existing node ids from random nodes, all in flight together. */
    Stats lookups(int count, List<Integer> sources, List<Integer> targets) {
        List<DhtNode.Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        List<NodeId> wanted = new ArrayList<>();
        List<Disposable> subs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            DhtNode src = nodes.get(sources.get(random.nextInt(sources.size())));
            NodeId target = nodes.get(targets.get(random.nextInt(targets.size()))).id();
            wanted.add(target);
            int idx = i;
            subs.add(src.lookup(target, DhtCodec.FIND_NODE, DhtCodec.encodeTarget(target), null, locate)
                    .subscribe(o -> outcomes.add(o.withIndex(idx))));
            if (i % 50 == 49) {
                net.advance(100);
            }
        }
        net.advance(30_000);
        int ok = 0;
        List<Integer> hops = new ArrayList<>();
        List<Long> lat = new ArrayList<>();
        long rpcs = 0;
        for (DhtNode.Outcome o : outcomes) {
            List<NodeInfo> c = o.result().closest();
            if (!c.isEmpty() && c.get(0).id().equals(wanted.get(o.index()))) {
                ok++;
            } else if (debug != null) {
                debug.accept(wanted.get(o.index()), o);
            }
            hops.add(o.result().hops());
            lat.add(o.latencyMs());
            rpcs += o.result().rpcs();
        }
        Collections.sort(hops);
        Collections.sort(lat);
        return new Stats(count, ok, ok / (double) count, pct(hops, 0.5), pct(hops, 0.99), pct(lat, 0.5), pct(lat, 0.99),
                outcomes.isEmpty() ? 0 : rpcs / (double) outcomes.size());
    }

    static <T> T pct(List<T> sorted, double p) {
        return sorted.isEmpty() ? null : sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size())));
    }

    List<Integer> allIndices() {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            l.add(i);
        }
        return l;
    }
}
