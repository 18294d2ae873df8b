package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RoutingTableTest {

    final Random random = new Random(7);
    final NodeId self = NodeId.random(random);
    int ipCounter = 1;

    InetSocketAddress distinctIp() {
        int n = ipCounter++;
        return addr("10." + (n >> 8 & 0xff) + "." + (n & 0xff) + ".1");
    }

    static InetSocketAddress addr(String ip) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), 4000);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    NodeInfo nodeIn(int bucket) {
        return new NodeInfo(self.randomInBucket(bucket, random), distinctIp());
    }

    @Test
    void nodeIdBasics() {
        NodeId a = NodeId.random(random);
        assertThat(a.commonPrefixLength(a)).isEqualTo(256);
        for (int i = 0; i < 256; i++) {
            assertThat(a.commonPrefixLength(a.randomInBucket(i, random))).isEqualTo(i);
        }
        NodeId near = a.randomInBucket(200, random);
        NodeId far = a.randomInBucket(3, random);
        assertThat(a.compareDistance(near, far)).isNegative();
        assertThat(a.compareDistance(far, near)).isPositive();
        assertThat(a.distance(a).commonPrefixLength(NodeId.of(new byte[32]))).isEqualTo(256);
        assertThat(NodeId.fromHex(a.toHex())).isEqualTo(a);
        assertThat(a.toString()).hasSize(17);
    }

    @Test
    void newNodesAreUnverifiedAndNotHandedOut() {
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        NodeInfo n = nodeIn(0);
        assertThat(t.offer(n, false, 0)).isEqualTo(RoutingTable.Offer.ADDED);
        assertThat(t.closest(self, 8)).isEmpty();
        assertThat(t.closestForLookup(self, 8)).containsExactly(n);
        t.offer(n, true, 1);
        assertThat(t.closest(self, 8)).containsExactly(n);
        assertThat(t.offer(new NodeInfo(self, distinctIp()), true, 1)).isEqualTo(RoutingTable.Offer.SELF);
    }

    @Test
    void fullBucketUsesReplacementCacheAndReplacesOnFailure() {
        RoutingTable t = new RoutingTable(self, 4, 2, 10, 0);
        List<NodeInfo> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            NodeInfo n = nodeIn(1);
            nodes.add(n);
            assertThat(t.offer(n, true, i)).isEqualTo(RoutingTable.Offer.ADDED);
        }
        NodeInfo extra = nodeIn(1);
        assertThat(t.offer(extra, true, 10)).isEqualTo(RoutingTable.Offer.REPLACEMENT);
        // the least recently seen node is the one to ping
        assertThat(t.evictionCandidate(extra.id())).isEqualTo(nodes.get(0));
        t.failed(nodes.get(0).id());
        assertThat(t.contains(nodes.get(0).id())).isFalse();
        assertThat(t.isVerified(extra.id())).isTrue();
        assertThat(t.size()).isEqualTo(4);
    }

    @Test
    void verifiedNodeSurvivesOneFailureWithoutReplacement() {
        RoutingTable t = new RoutingTable(self, 4, 2, 10, 0);
        NodeInfo n = nodeIn(5);
        t.offer(n, true, 0);
        t.failed(n.id());
        assertThat(t.contains(n.id())).isTrue();
        t.failed(n.id());
        assertThat(t.contains(n.id())).isFalse();
        NodeInfo u = nodeIn(5);
        t.offer(u, false, 0);
        t.failed(u.id());
        assertThat(t.contains(u.id())).isFalse();
    }

    @Test
    void answeringResetsFailuresAndMovesToTail() {
        RoutingTable t = new RoutingTable(self, 2, 2, 10, 0);
        NodeInfo a = nodeIn(2);
        NodeInfo b = nodeIn(2);
        t.offer(a, true, 0);
        t.offer(b, true, 1);
        t.failed(a.id());
        t.offer(a, true, 2);
        assertThat(t.get(a.id()).failures).isZero();
        assertThat(t.evictionCandidate(nodeIn(2).id())).isEqualTo(b);
    }

    @Test
    void verifiedNewcomerDisplacesUnverifiedEntry() {
        RoutingTable t = new RoutingTable(self, 2, 2, 10, 0);
        NodeInfo u1 = nodeIn(3);
        NodeInfo u2 = nodeIn(3);
        t.offer(u1, false, 0);
        t.offer(u2, true, 0);
        NodeInfo v = nodeIn(3);
        assertThat(t.offer(v, true, 1)).isEqualTo(RoutingTable.Offer.ADDED);
        assertThat(t.contains(u1.id())).isFalse();
        assertThat(t.contains(u2.id())).isTrue();
    }

    @Test
    void atMostTwoPerSlash24PerBucket() {
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        for (int i = 0; i < 5; i++) {
            NodeInfo n = new NodeInfo(self.randomInBucket(0, random), addr("203.0.113." + (i + 1)));
            t.offer(n, true, 0);
        }
        assertThat(t.bucket(0).live).hasSize(2);
        // a different bucket may hold two more from the same /24
        t.offer(new NodeInfo(self.randomInBucket(1, random), addr("203.0.113.50")), true, 0);
        assertThat(t.size()).isEqualTo(3);
    }

    @Test
    void atMostTwoPerSlash64PerBucketIpv6() {
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        for (int i = 0; i < 4; i++) {
            t.offer(new NodeInfo(self.randomInBucket(0, random), addr("2001:db8:1:2::" + (i + 1))), true, 0);
        }
        t.offer(new NodeInfo(self.randomInBucket(0, random), addr("2001:db8:1:3::1")), true, 0);
        assertThat(t.bucket(0).live).hasSize(3);
    }

    @Test
    void atMostTenPerPrefixInTheTable() {
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        for (int b = 0; b < 20; b++) {
            for (int i = 0; i < 2; i++) {
                t.offer(new NodeInfo(self.randomInBucket(b, random), addr("198.51.100." + (b * 2 + i + 1))), true, 0);
            }
        }
        assertThat(t.size()).isEqualTo(10);
    }

    @Test
    void loopbackIsExempt() {
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        for (int i = 0; i < 5; i++) {
            t.offer(new NodeInfo(self.randomInBucket(0, random), new InetSocketAddress(InetAddress.getLoopbackAddress(), 5000 + i)), true, 0);
        }
        assertThat(t.size()).isEqualTo(5);
    }

    @Test
    void closestIsSortedByXorDistance() {
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        for (int b = 0; b < 40; b++) {
            t.offer(nodeIn(b % 12), true, 0);
        }
        NodeId target = NodeId.random(random);
        List<NodeInfo> c = t.closest(target, 5);
        assertThat(c).hasSize(5);
        for (int i = 1; i < c.size(); i++) {
            assertThat(target.compareDistance(c.get(i - 1).id(), c.get(i).id())).isNegative();
        }
    }

    @Test
    void bucketsUntouchedFor15MinutesNeedRefresh() {
        long fifteen = 15 * 60_000L;
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        t.offer(nodeIn(0), true, 0);
        t.offer(nodeIn(3), true, 0);
        assertThat(t.bucketsToRefresh(fifteen - 1, fifteen)).isEmpty();
        assertThat(t.bucketsToRefresh(fifteen, fifteen)).containsExactly(0, 1, 2, 3, 4);
        t.touch(self.randomInBucket(2, random), fifteen);
        assertThat(t.bucketsToRefresh(fifteen, fifteen)).containsExactly(0, 1, 3, 4);
    }

    @Test
    void eventsReportAddVerifyRemove() {
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        List<RoutingTableEvent> seen = new ArrayList<>();
        t.events().subscribe(seen::add);
        NodeInfo n = nodeIn(4);
        t.offer(n, false, 0);
        t.offer(n, true, 1);
        t.remove(n.id());
        assertThat(seen).extracting(RoutingTableEvent::type).containsExactly(
                RoutingTableEvent.Type.ADDED, RoutingTableEvent.Type.VERIFIED, RoutingTableEvent.Type.REMOVED);
    }

    @Test
    void movedNodeKeepsOldAddressUntilItAnswersFromTheNewOne() {
        RoutingTable t = new RoutingTable(self, 8, 2, 10, 0);
        NodeInfo n = nodeIn(4);
        t.offer(n, true, 0);
        NodeInfo moved = new NodeInfo(n.id(), distinctIp());
        t.offer(moved, false, 1);
        assertThat(t.get(n.id()).node).isEqualTo(n);
        t.offer(moved, true, 2);
        assertThat(t.get(n.id()).node).isEqualTo(moved);
    }
}
