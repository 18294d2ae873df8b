package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/** Churn and Sybil attacks on simulated networks. */
class DhtAdversityTest {

    static final Logger log = LoggerFactory.getLogger(DhtAdversityTest.class);

    @Test
    void lookupsSucceedAfterAThirdOfTheNodesIsReplaced() {
        SimCluster c = new SimCluster(7, 0.01, DhtOptions.defaults()).grow(300).settle();
        for (int i = 0; i < 100; i++) {
            c.remove(c.random.nextInt(c.nodes.size()));
        }
        for (int i = 0; i < 100; i++) {
            c.addNode();
            c.net.advance(100);
        }
        c.net.advance(60_000);
        SimCluster.Stats s = c.lookups(300, c.allIndices(), c.allIndices());
        log.info("churn: 300 nodes, 100 replaced, 1% loss: {}", s);
        assertThat(s.successRate()).isGreaterThanOrEqualTo(0.99);
    }

    @Test
    void sybilsFromFewPrefixesCannotFillHonestTables() {
        int honest = Integer.getInteger("dht.sybil.honest", 300);
        int sybilCount = Integer.getInteger("dht.sybil.count", 2000);
        long seed = Long.getLong("dht.sybil.seed", 11);
        SimCluster c = new SimCluster(seed, 0.01, DhtOptions.defaults()).grow(honest).settle();
        int k = c.options.k();
        // sybil ids (2000 by default) on three /24 prefixes (many ports each); they answer everything, and
        // answer FIND_NODE only with other sybils (an eclipse attempt)
        int[][] prefixes = {{203, 0, 113}, {198, 51, 100}, {192, 0, 2}};
        List<SimNetwork.Transport> sybils = new ArrayList<>();
        for (int i = 0; i < sybilCount; i++) {
            int[] p = prefixes[i % 3];
            java.net.InetSocketAddress a = new java.net.InetSocketAddress(
                    SimNetwork.address(p[0], p[1], p[2], 1 + (i / 3) % 254).getAddress(), 10_000 + i);
            sybils.add(c.net.join(NodeId.random(c.random), a));
        }
        List<NodeId> sorted = sybils.stream().map(x -> x.id).sorted().toList();
        java.util.Map<NodeId, NodeInfo> byId = new java.util.HashMap<>();
        sybils.forEach(x -> byId.put(x.id, x.info));
        for (SimNetwork.Transport s : sybils) {
            s.serve(DhtCodec.PING, req -> Mono.just(DhtCodec.encodePong(req.from().address())));
            s.serve(DhtCodec.FIND_NODE, req -> {
                try {
                    NodeId target = DhtCodec.decodeTarget(req.body());
                    // neighbours in id order share the longest prefixes with the target
                    int at = java.util.Collections.binarySearch(sorted, target);
                    int from = Math.max(0, (at < 0 ? -at - 1 : at) - k);
                    List<NodeInfo> closest = sorted.subList(from, Math.min(sorted.size(), from + 2 * k)).stream()
                            .map(byId::get).sorted(Comparator.comparing(NodeInfo::id, target.byDistance())).limit(k).toList();
                    return Mono.just(DhtCodec.encodeNodes(new DhtCodec.Nodes(new byte[8], closest)));
                } catch (io.reactivecarrier.wire.DecodeException e) {
                    return Mono.empty();
                }
            });
        }
        // every sybil pings 20 honest nodes to get into their tables
        for (SimNetwork.Transport s : sybils) {
            for (int j = 0; j < 20; j++) {
                s.call(c.transports.get(c.random.nextInt(c.transports.size())).info, DhtCodec.PING, DhtCodec.encodePing())
                        .subscribe();
            }
            c.net.advance(5);
        }
        c.net.advance(20 * 60_000L); // a bucket refresh round with sybils around
        java.util.Set<NodeId> sybilIds = new java.util.HashSet<>();
        sybils.forEach(s -> sybilIds.add(s.id));
        int maxSybilsInATable = 0;
        for (DhtNode n : c.nodes) {
            int count = 0;
            for (int b = 0; b < NodeId.BITS; b++) {
                int inBucket = 0;
                for (RoutingTable.Entry e : n.table().bucket(b).live) {
                    if (sybilIds.contains(e.id())) {
                        inBucket++;
                    }
                }
                assertThat(inBucket).isLessThanOrEqualTo(2 * prefixes.length);
                count += inBucket;
            }
            maxSybilsInATable = Math.max(maxSybilsInATable, count);
        }
        assertThat(maxSybilsInATable).isLessThanOrEqualTo(10 * prefixes.length);
        c.debug = (t, o) -> {
            List<NodeInfo> cl = o.result().closest();
            StringBuilder sb = new StringBuilder();
            for (NodeInfo n : cl) {
                sb.append(t.commonPrefixLength(n.id())).append(sybilIds.contains(n.id()) ? "S " : "H ");
            }
            int holders = 0;
            for (DhtNode n : c.nodes) {
                if (n.table().isVerified(t)) {
                    holders++;
                }
            }
            log.info("failed lookup: hops {} rpcs {} closest {} ; honest tables knowing target {}", o.result().hops(), o.result().rpcs(), sb, holders);
        };
        SimCluster.Stats s = c.lookups(300, c.allIndices(), c.allIndices());
        log.info("sybil: seed {}, {} honest + {} sybils on 3 /24s, max sybils in an honest table {}: {}", seed, honest,
                sybilCount, maxSybilsInATable, s);
        // the goal; seeds 1..8 and 11 gave 0.9967..1.0 (at most one failed lookup of 300)
        assertThat(s.successRate()).isGreaterThanOrEqualTo(0.99);
    }
}
