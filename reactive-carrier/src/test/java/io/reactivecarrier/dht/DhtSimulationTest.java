package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * Networks of DhtNodes on a simulated network with virtual time (rtt 80-120 ms, 1% loss per
 * datagram, seeded). Lookup statistics are logged (target/surefire-reports/*-output.txt).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DhtSimulationTest {

    static final Logger log = LoggerFactory.getLogger(DhtSimulationTest.class);
    static final DhtOptions OPTIONS = DhtOptions.defaults();

    SimCluster cluster;

    @BeforeAll
    void build() {
        cluster = new SimCluster(42, 0.01, OPTIONS).grow(300).settle();
    }

    <T> T await(reactor.core.publisher.Mono<T> mono) {
        AtomicReference<T> out = new AtomicReference<>();
        AtomicReference<Throwable> err = new AtomicReference<>();
        mono.subscribe(out::set, err::set);
        cluster.net.advance(30_000);
        assertThat(err.get()).isNull();
        return out.get();
    }

    @Test
    void lookupsAllSucceedWithFewHops() {
        SimCluster.Stats s = cluster.lookups(300, cluster.allIndices(), cluster.allIndices());
        log.info("300 nodes, 1% loss: {}", s);
        assertThat(s.successRate()).isGreaterThanOrEqualTo(0.99);
        assertThat(s.hopsP50()).isPositive();
        int size = cluster.nodes.get(0).table().size();
        assertThat(size).isGreaterThan(OPTIONS.k());
    }

    @Test
    void immutableValueIsStoredAndFound() {
        DhtNode a = cluster.nodes.get(3);
        DhtNode b = cluster.nodes.get(200);
        long exp = cluster.net.scheduler.now(java.util.concurrent.TimeUnit.MILLISECONDS) + 3_600_000;
        DhtValue v = DhtValue.immutable("hello dht".getBytes(), exp);
        Integer stored = await(a.storeValue(v));
        assertThat(stored).isGreaterThanOrEqualTo(OPTIONS.k() / 2);
        List<DhtValue> found = await(b.findValue(v.key()));
        assertThat(found).hasSize(1);
        assertThat(found.get(0).data()).isEqualTo("hello dht".getBytes());
        assertThat(await(b.findValue(NodeId.sha256("nothing".getBytes())))).isEmpty();
    }

    @Test
    void mutableValueSeqRulesAndCompareAndSwap() {
        Ed25519KeyPair owner = Ed25519KeyPair.fromSeed(new byte[32]);
        byte[] salt = "profile".getBytes();
        long exp = cluster.net.scheduler.now(java.util.concurrent.TimeUnit.MILLISECONDS) + 3_600_000;
        DhtNode a = cluster.nodes.get(10);
        DhtNode b = cluster.nodes.get(150);
        int k = OPTIONS.k();
        int first = await(a.storeValue(DhtValue.mutable(owner, salt, 1, exp, "v1".getBytes())));
        assertThat(first).isPositive();
        // same seq, other content: refused by every node that holds seq 1
        assertThat(await(a.storeValue(DhtValue.mutable(owner, salt, 1, exp, "evil".getBytes())))).isLessThanOrEqualTo(k - first);
        int second = await(a.storeValue(DhtValue.mutable(owner, salt, 2, exp, "v2".getBytes())));
        assertThat(second).isPositive();
        // lower seq refused by every node that holds seq 2
        assertThat(await(a.storeValue(DhtValue.mutable(owner, salt, 1, exp, "v1".getBytes())))).isLessThanOrEqualTo(k - second);
        List<DhtValue> found = await(b.findValue(DhtValue.Mutable.keyOf(owner.publicKey(), salt)));
        assertThat(found).hasSize(1);
        assertThat(((DhtValue.Mutable) found.get(0)).seq()).isEqualTo(2);
        // CAS on a stale expectation fails, on the current one succeeds
        assertThat(await(b.storeValue(DhtValue.mutable(owner, salt, 3, exp, "v3".getBytes()), 1))).isLessThanOrEqualTo(k - second);
        assertThat(await(b.storeValue(DhtValue.mutable(owner, salt, 3, exp, "v3".getBytes()), 2))).isPositive();
        assertThat(((DhtValue.Mutable) await(a.findValue(DhtValue.Mutable.keyOf(owner.publicKey(), salt))).get(0)).seq())
                .isEqualTo(3);
    }

    @Test
    void sealedSetAddAndDeleteWithRecipientSignature() {
        Ed25519KeyPair recipient = Ed25519KeyPair.fromSeed(filled(7));
        Ed25519KeyPair stranger = Ed25519KeyPair.fromSeed(filled(8));
        NodeId mailbox = NodeId.sha256("mailbox".getBytes(), recipient.publicKey());
        long exp = cluster.net.scheduler.now(java.util.concurrent.TimeUnit.MILLISECONDS) + 3_600_000;
        DhtValue.Sealed m1 = DhtValue.sealed(mailbox, recipient.publicKey(), exp, "sealed-1".getBytes());
        DhtValue.Sealed m2 = DhtValue.sealed(mailbox, recipient.publicKey(), exp, "sealed-2".getBytes());
        DhtNode sender = cluster.nodes.get(20);
        DhtNode reader = cluster.nodes.get(250);
        assertThat(await(sender.storeValue(m1))).isPositive();
        assertThat(await(sender.storeValue(m2))).isPositive();
        assertThat(await(reader.findValue(mailbox))).hasSize(2);
        assertThat(await(reader.deleteSealed(mailbox, m1.entryId(), stranger))).isZero();
        assertThat(await(reader.findValue(mailbox))).hasSize(2);
        assertThat(await(reader.deleteSealed(mailbox, m1.entryId(), recipient))).isPositive();
        List<DhtValue> left = await(reader.findValue(mailbox));
        assertThat(left).hasSize(1);
        assertThat(left.get(0).data()).isEqualTo("sealed-2".getBytes());
    }

    @Test
    void peerRecordHighestSeqWins() {
        Ed25519KeyPair user = Ed25519KeyPair.fromSeed(filled(9));
        DhtNode home = cluster.nodes.get(30);
        long exp = cluster.net.scheduler.now(java.util.concurrent.TimeUnit.MILLISECONDS) + 3_600_000;
        InetSocketAddress ep = SimNetwork.address(192, 0, 2, 10);
        assertThat(await(home.announcePeer(PeerRecord.create(user, home.id(), List.of(ep), 1, exp)))).isPositive();
        assertThat(await(home.announcePeer(PeerRecord.create(user, home.id(), List.of(ep, ep), 2, exp)))).isPositive();
        PeerRecord r = await(cluster.nodes.get(120).findPeer(user.publicKey()));
        assertThat(r).isNotNull();
        assertThat(r.seq()).isEqualTo(2);
        assertThat(r.nodeId()).isEqualTo(home.id());
        assertThat(await(cluster.nodes.get(120).findPeer(filled(1)))).isNull();
    }

    @Test
    void cancellingALookupStopsItsRpcs() {
        DhtNode n = cluster.nodes.get(42);
        SimNetwork.Transport t = cluster.transports.get(42);
        NodeId target = NodeId.random(cluster.random);
        Disposable d = n.findNode(target).subscribe();
        cluster.net.advance(150);
        d.dispose();
        int sent = t.findNodeByTarget.getOrDefault(target, 0);
        assertThat(sent).isPositive();
        cluster.net.advance(10_000);
        assertThat(t.findNodeByTarget.getOrDefault(target, 0)).isEqualTo(sent);
        // an uncancelled lookup of another target sends more than that
        NodeId other = NodeId.random(cluster.random);
        await(n.findNode(other));
        assertThat(t.findNodeByTarget.get(other)).isGreaterThan(sent);
    }

    @Test
    void restartedNodeRejoinsFromSnapshotInOneRoundTrip() {
        DhtNode old = cluster.nodes.get(77);
        SimNetwork.Transport oldT = cluster.transports.get(77);
        List<NodeInfo> snapshot = await(old.snapshot());
        assertThat(snapshot).isNotEmpty();
        old.stop().subscribe();
        cluster.net.leave(oldT);
        SimNetwork.Transport t = cluster.net.join(oldT.id, oldT.address);
        DhtNode restarted = DhtNode.create(t, OPTIONS.snapshot(snapshot), new java.util.Random(1));
        restarted.start().subscribe();
        cluster.net.advance(250); // one round trip (rtt <= 120 ms) plus slack
        assertThat(restarted.table().verifiedSize()).isGreaterThanOrEqualTo(snapshot.size() * 9 / 10);
        NodeId target = cluster.nodes.get(5).id();
        List<NodeInfo> found = await(restarted.findNode(target));
        assertThat(found.get(0).id()).isEqualTo(target);
        cluster.nodes.set(77, restarted);
        cluster.transports.set(77, t);
    }

    @Test
    void pongTellsTheObservedAddress() {
        DhtNode a = cluster.nodes.get(1);
        InetSocketAddress seen = await(a.ping(cluster.transports.get(2).info));
        assertThat(seen).isEqualTo(cluster.transports.get(1).address);
    }

    static byte[] filled(int b) {
        byte[] x = new byte[32];
        Arrays.fill(x, (byte) b);
        return x;
    }

    static List<Integer> range(int from, int to) {
        List<Integer> l = new ArrayList<>();
        for (int i = from; i < to; i++) {
            l.add(i);
        }
        return l;
    }
}
