package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * 50 DHT nodes on real UDP sockets on 127.0.0.1 in one JVM, with the full RPC layer (one cluster
 * for both tests): they bootstrap, every node finds other nodes, values stored by one node are found by others, and a
 * node restarted from its routing-table snapshot (no bootstrap list) rejoins.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DhtUdpClusterTest {

    static final int NODES = 50;
    static final Duration T = Duration.ofSeconds(60);

    final List<UdpDhtNode> nodes = new ArrayList<>();
    final Random random = new Random(3);

    @BeforeAll
    void buildCluster() {
        start(X25519KeyPair.generate(), 0, DhtOptions.defaults());
        for (int i = 1; i < NODES; i++) {
            // each joins through the first node and one random earlier node
            NodeInfo other = nodes.get(random.nextInt(nodes.size())).info();
            start(X25519KeyPair.generate(), 0, DhtOptions.defaults().bootstrap(
                    other.equals(nodes.get(0).info()) ? List.of(other) : List.of(nodes.get(0).info(), other)));
        }
    }

    @AfterAll
    void closeAll() {
        Flux.fromIterable(nodes).flatMap(UdpDhtNode::close, 16).then().block(T);
    }

    UdpDhtNode start(X25519KeyPair key, int port, DhtOptions options) {
        UdpDhtNode n = UdpDhtNode.create(key, port, options).block(T);
        nodes.add(n);
        n.dht().start().block(T);
        return n;
    }

    /** Lookups of a random other node from every node; returns how many found their target. */
    int everyNodeFindsAnother(List<UdpDhtNode> from, List<UdpDhtNode> targets) {
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < from.size(); i++) {
            UdpDhtNode src = from.get(i);
            UdpDhtNode dst;
            do {
                dst = targets.get(random.nextInt(targets.size()));
            } while (dst == src);
            pairs.add(new int[] {i, targets.indexOf(dst)});
        }
        return Flux.fromIterable(pairs)
                .flatMap(p -> {
                    NodeInfo target = targets.get(p[1]).info();
                    return from.get(p[0]).dht().findNode(target.id())
                            .map(found -> !found.isEmpty() && found.get(0).equals(target) ? 1 : 0);
                }, 8)
                .reduce(0, Integer::sum)
                .block(T);
    }

    @Test
    void nodesBootstrapFindEachOtherStoreAndFindValues() {
        assertThat(everyNodeFindsAnother(nodes, nodes)).isEqualTo(NODES);
        for (UdpDhtNode n : nodes) {
            assertThat(n.dht().snapshot().block(T)).as("verified routing table of %s", n.dht().id())
                    .hasSizeGreaterThanOrEqualTo(DhtOptions.defaults().k());
        }

        // an immutable value: stored on the k closest nodes, found from a node far away in the list
        DhtValue.Immutable v = DhtValue.immutable("hello from udp".getBytes(StandardCharsets.UTF_8),
                System.currentTimeMillis() + 600_000);
        int stored = nodes.get(5).dht().storeValue(v).block(T);
        assertThat(stored).isGreaterThanOrEqualTo(10);
        List<DhtValue> found = nodes.get(42).dht().findValue(v.key()).block(T);
        assertThat(found).extracting(x -> new String(x.data(), StandardCharsets.UTF_8)).contains("hello from udp");

        // a mutable value: the newer sequence number wins everywhere
        Ed25519KeyPair owner = Ed25519KeyPair.generate();
        byte[] salt = "profile".getBytes(StandardCharsets.UTF_8);
        long exp = System.currentTimeMillis() + 600_000;
        assertThat(nodes.get(7).dht().storeValue(DhtValue.mutable(owner, salt, 1, exp, "v1".getBytes())).block(T))
                .isGreaterThanOrEqualTo(10);
        assertThat(nodes.get(8).dht().storeValue(DhtValue.mutable(owner, salt, 2, exp, "v2".getBytes())).block(T))
                .isGreaterThanOrEqualTo(10);
        List<DhtValue> latest = nodes.get(30).dht().findValue(DhtValue.Mutable.keyOf(owner.publicKey(), salt)).block(T);
        assertThat(latest).isNotEmpty();
        assertThat(((DhtValue.Mutable) latest.get(0)).seq()).isEqualTo(2);
    }

    @Test
    void aNodeRestartedFromItsSnapshotRejoins() {
        UdpDhtNode old = nodes.get(17);
        List<NodeInfo> snapshot = old.dht().snapshot().block(T);
        assertThat(snapshot).hasSizeGreaterThanOrEqualTo(DhtOptions.defaults().k());
        int port = old.transport().localAddress().getPort();
        old.close().block(T);
        nodes.remove(old);

        // same identity, same port, no bootstrap list: only the saved snapshot
        UdpDhtNode restarted = start(old.key(), port, DhtOptions.defaults().snapshot(snapshot));
        assertThat(restarted.dht().id()).isEqualTo(old.dht().id());
        // start() pinged the whole snapshot in parallel before its self-lookup: the table is back
        assertThat(restarted.dht().snapshot().block(T)).hasSizeGreaterThanOrEqualTo(snapshot.size() * 9 / 10);
        assertThat(everyNodeFindsAnother(List.of(restarted, restarted, restarted), nodes)).isEqualTo(3);
        // and the others find it at its address
        List<NodeInfo> seen = nodes.get(33).dht().findNode(restarted.dht().id()).block(T);
        assertThat(seen).isNotEmpty();
        assertThat(seen.get(0)).isEqualTo(restarted.info());
        assertThat(everyNodeFindsAnother(nodes.subList(0, 10), List.of(restarted, nodes.get(0)))).isEqualTo(10);
    }
}
