package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.Disposable;

/**
 * The relay directory in the situation of the whole-node NAT lab, on the simulator: every node's
 * public address in one /24 (203.0.113.0/24 in the lab: so a lookup considers at most two of them,
 * {@code perBucketPrefix}), a bootstrap node, a relay that announces itself while the bootstrap
 * node is its only peer, then users that join afterwards. Node ids are placed at chosen XOR
 * distances from {@link RelayDirectory#KEY}, the bootstrap node farthest: a user's lookup asks only
 * the two nodes closest to the key from its view, never the bootstrap node that holds the entry.
 */
class RelayDirectorySimTest {

    static final Duration TTL = Duration.ofMinutes(30);

    /** An id at XOR distance {@code d} (in the last byte) from the directory key. */
    static NodeId near(int d) {
        byte[] b = RelayDirectory.KEY.raw().clone();
        b[31] ^= (byte) d;
        return NodeId.of(b);
    }

    static NodeId far() {
        byte[] b = RelayDirectory.KEY.raw().clone();
        b[0] ^= (byte) 0x80;
        return NodeId.of(b);
    }

    /** Nodes on a simulated network, each at 203.0.113.{octet}:33445, bootstrapping from the seeds. */
    static final class Lab {
        final SimNetwork net = new SimNetwork(7, 0, 40, 60);
        final Random random = new Random(11);
        final List<NodeInfo> seeds = new ArrayList<>();

        DhtNode start(NodeId id, int octet) {
            return start(id, SimNetwork.address(203, 0, 113, octet));
        }

        /** Starts a node without letting time pass. */
        DhtNode startQuietly(NodeId id, int octet) {
            SimNetwork.Transport t = net.join(id, SimNetwork.address(203, 0, 113, octet));
            DhtNode n = DhtNode.create(t, DhtOptions.defaults().bootstrap(List.copyOf(seeds)),
                    new Random(random.nextLong()));
            n.start().subscribe(v -> { }, e -> { });
            return n;
        }

        DhtNode start(NodeId id, InetSocketAddress a) {
            SimNetwork.Transport t = net.join(id, a);
            DhtNode n = DhtNode.create(t, DhtOptions.defaults().bootstrap(List.copyOf(seeds)),
                    new Random(random.nextLong()));
            n.start().subscribe(v -> { }, e -> { });
            net.advance(5_000);
            return n;
        }

        <T> T await(reactor.core.publisher.Mono<T> mono) {
            AtomicReference<T> out = new AtomicReference<>();
            AtomicReference<Throwable> err = new AtomicReference<>();
            mono.subscribe(out::set, err::set);
            net.advance(30_000);
            assertThat(err.get()).isNull();
            return out.get();
        }
    }

    static NodeInfo info(DhtNode n, int octet) {
        return new NodeInfo(n.id(), SimNetwork.address(203, 0, 113, octet));
    }

    /**
     * One announcement while only the bootstrap node is there, then users a and b join: each finds
     * the relay, whatever the order of relay, a and b by distance to the key (the encoded
     * permutation). Failed before the relay kept its own entry: with the relay and the other user
     * closest to the key, a user asked those two and neither held it.
     */
    @ParameterizedTest
    @ValueSource(ints = {0x124, 0x142, 0x214, 0x241, 0x412, 0x421})
    void usersThatJoinAfterTheOnlyAnnouncementFindTheRelay(int order) {
        Lab lab = new Lab();
        DhtNode boot = lab.start(far(), 10);
        lab.seeds.add(info(boot, 10));
        DhtNode relay = lab.start(near(order >> 8), 11);
        NodeInfo relayInfo = info(relay, 11);
        assertThat(lab.await(RelayDirectory.announce(relay, relayInfo, TTL))).as("stored on the bootstrap node")
                .isEqualTo(1);
        assertThat(lab.await(RelayDirectory.find(relay))).containsExactly(relayInfo);

        lab.seeds.add(relayInfo);
        DhtNode a = lab.start(near((order >> 4) & 0xf), 1);
        DhtNode b = lab.start(near(order & 0xf), 2);
        lab.net.advance(10_000);
        assertThat(lab.await(RelayDirectory.find(a))).as("user a finds the relay").containsExactly(relayInfo);
        assertThat(lab.await(RelayDirectory.find(b))).as("user b finds the relay").containsExactly(relayInfo);
        assertThat(lab.await(RelayDirectory.find(boot))).as("the bootstrap node finds it").containsExactly(relayInfo);
    }

    /**
     * Three users join after the relay's first announcement, all closer to the key than the relay
     * and the bootstrap node: a user's lookup asks two other users. {@link RelayDirectory#keepAnnounced}
     * announces again once the network grew; a single announcement would leave them without the
     * relay until the half-ttl re-announcement (15 min).
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void usersCloserToTheKeyThanEveryEarlierNodeFindTheRelayOnceItReannounces(boolean kept) {
        Lab lab = new Lab();
        DhtNode boot = lab.start(far(), 10);
        lab.seeds.add(info(boot, 10));
        DhtNode relay = lab.start(near(0x40), 11);
        NodeInfo relayInfo = info(relay, 11);
        Disposable announcer = kept
                ? RelayDirectory.keepAnnounced(relay, () -> relayInfo, TTL, lab.net.scheduler)
                : lab.net.scheduler.schedule(() -> RelayDirectory.announce(relay, relayInfo, TTL).subscribe());
        lab.net.advance(10_000);
        assertThat(lab.await(RelayDirectory.find(relay))).containsExactly(relayInfo);

        lab.seeds.add(relayInfo);
        List<DhtNode> users = List.of(lab.start(near(1), 1), lab.start(near(2), 2), lab.start(near(3), 3));
        // the re-announcement after the growth comes within about RETRY (plus a lookup)
        lab.net.advance(30_000);
        for (DhtNode u : users) {
            List<NodeInfo> found = lab.await(RelayDirectory.find(u));
            if (kept) {
                assertThat(found).as("user %s finds the relay", u.id()).containsExactly(relayInfo);
            } else {
                // the control: without the re-announcement, the closest user asks the other two
                // users, which never got the entry (proves that this setup exercises the problem)
                if (u == users.get(0)) {
                    assertThat(found).as("without re-announcing, user %s", u.id()).isEmpty();
                }
            }
        }
        announcer.dispose();
    }

    /**
     * Many rounds of the lab's shape with random node ids: a bootstrap node, a relay (keeping
     * itself announced from the end of its start, as a relay node does) and two to four users, all
     * in one /24, the relay starting before, between or after the users, each node 0-6 s after the
     * previous one (0: while the announcement is in flight). A minute after the last start every
     * user finds the relay. (With the relay neither keeping its own copy nor re-announcing after
     * growth, 12 of these 40 rounds missed, 66 of 300 with more seeds; with either fix alone 3 and 1 of 40.)
     */
    @org.junit.jupiter.api.Test
    void everyUserFindsTheRelayWhateverTheOrderOfStarts() {
        List<String> misses = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            Random r = new Random(round);
            Lab lab = new Lab();
            DhtNode boot = lab.start(NodeId.random(r), 10);
            lab.seeds.add(info(boot, 10));
            int userCount = 2 + r.nextInt(3);
            int relayAt = r.nextInt(userCount + 1);
            List<DhtNode> users = new ArrayList<>();
            NodeInfo relayInfo = null;
            List<Disposable> announcers = new ArrayList<>();
            for (int i = 0; i <= userCount; i++) {
                if (i == relayAt) {
                    NodeId id = NodeId.random(r);
                    SimNetwork.Transport t = lab.net.join(id, SimNetwork.address(203, 0, 113, 11));
                    DhtNode relay = DhtNode.create(t, DhtOptions.defaults().bootstrap(List.copyOf(lab.seeds)),
                            new Random(r.nextLong()));
                    NodeInfo ri = info(relay, 11);
                    relayInfo = ri;
                    lab.seeds.add(ri); // the lab's users bootstrap from the relay too
                    relay.start().subscribe(v -> { }, e -> { }, () -> announcers.add(
                            RelayDirectory.keepAnnounced(relay, () -> ri, TTL, lab.net.scheduler)));
                } else {
                    users.add(lab.startQuietly(NodeId.random(r), 1 + i));
                }
                lab.net.advance(r.nextInt(6_001));
            }
            lab.net.advance(60_000);
            for (DhtNode u : users) {
                List<NodeInfo> found = lab.await(RelayDirectory.find(u));
                if (!found.contains(relayInfo)) {
                    misses.add("round " + round + " (" + userCount + " users, relay started " + relayAt + "th): user "
                            + u.id() + " found " + found);
                }
            }
            announcers.forEach(Disposable::dispose);
        }
        assertThat(misses).as("users that did not find the relay").isEmpty();
    }

    /** Re-announcing after growth backs off: a steady trickle of joins does not make it chatty. */
    @org.junit.jupiter.api.Test
    void reannouncementsAfterGrowthBackOff() {
        Lab lab = new Lab();
        DhtNode boot = lab.start(far(), 10);
        lab.seeds.add(info(boot, 10));
        DhtNode relay = lab.start(near(0x40), 11);
        NodeInfo relayInfo = info(relay, 11);
        int[] announcements = {0};
        Dht counting = new CountingDht(relay, announcements);
        Disposable announcer = RelayDirectory.keepAnnounced(counting, () -> relayInfo, TTL, lab.net.scheduler);
        lab.net.advance(10_000);
        assertThat(announcements[0]).isEqualTo(1);
        lab.seeds.add(relayInfo);
        // a node joins every 10 s for 10 min (60 joins): a re-announcement after each would be 60
        for (int i = 0; i < 60; i++) {
            lab.start(NodeId.random(lab.random), SimNetwork.address(198, 51, i, 1)); // (advances 5 s)
            lab.net.advance(5_000);
        }
        assertThat(announcements[0]).as("announcements in 10 min of joins").isBetween(3, 12);
        announcer.dispose();
    }

    /** Counts storeValue calls of a DhtNode. */
    private static final class CountingDht implements Dht {
        final DhtNode d;
        final int[] count;

        CountingDht(DhtNode d, int[] count) {
            this.d = d;
            this.count = count;
        }

        @Override
        public NodeId id() {
            return d.id();
        }

        @Override
        public reactor.core.publisher.Mono<List<NodeInfo>> findNode(NodeId target) {
            return d.findNode(target);
        }

        @Override
        public reactor.core.publisher.Mono<List<DhtValue>> findValue(NodeId key) {
            return d.findValue(key);
        }

        @Override
        public reactor.core.publisher.Flux<DhtValue.Sealed> sealedEntries(NodeId key) {
            return d.sealedEntries(key);
        }

        @Override
        public reactor.core.publisher.Mono<Integer> storeValue(DhtValue value) {
            count[0]++;
            return d.storeValue(value);
        }

        @Override
        public reactor.core.publisher.Mono<Integer> storeValue(DhtValue.Mutable value, long expectedSeq) {
            return d.storeValue(value, expectedSeq);
        }

        @Override
        public reactor.core.publisher.Mono<Integer> deleteSealed(NodeId key, NodeId entryId,
                io.reactivecarrier.crypto.Ed25519KeyPair recipient) {
            return d.deleteSealed(key, entryId, recipient);
        }

        @Override
        public reactor.core.publisher.Mono<Integer> announcePeer(PeerRecord record) {
            return d.announcePeer(record);
        }

        @Override
        public reactor.core.publisher.Mono<PeerRecord> findPeer(byte[] userId) {
            return d.findPeer(userId);
        }

        @Override
        public reactor.core.publisher.Flux<RoutingTableEvent> events() {
            return d.events();
        }
    }
}
