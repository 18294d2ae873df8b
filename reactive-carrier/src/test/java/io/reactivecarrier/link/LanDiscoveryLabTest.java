package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.dht.LanDiscovery;
import io.reactivecarrier.link.NetnsLab.Nat;
import io.reactivecarrier.link.NetnsLab.Node;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IPv6 LAN discovery between two hosts of the namespace lab's LAN behind r1 (a and a2 on a
 * bridge, veths with IPv6 multicast), no bootstrap node. The IPv4 case is in {@link NatLabTest}.
 * Skipped (with the reason) where namespaces cannot be made.
 */
@Tag("netns")
class LanDiscoveryLabTest {

    static final int S = 60;

    @BeforeAll
    static void needsNamespaces() {
        String why = NetnsLab.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "NAT lab skipped: " + why);
    }

    @Test
    @Timeout(150)
    void ipv6OnlyAndDualStackNodesFindEachOtherOverTheIpv6GroupAndASpoofIsNotBelieved() {
        try (NetnsLab lab = NetnsLab.create(Nat.CONE, Nat.CONE)) {
            // a: dual-stack socket, the IPv6 group only (so nothing can come by IPv4)
            Node a = lab.start("a", LanLabNode.class, "::", "40001", LanDiscovery.GROUP6);
            String aKey = a.expect("NODEKEY", S);
            assertThat(a.expect("GROUPS", S)).isEqualTo("ff12:0:0:0:0:0:4361:7272%eth0:" + LanDiscovery.PORT);
            a.expect("READY", S);

            // a forged IPv6 announcement from a2: a pings it, nobody answers, the table stays empty
            Node spoof = lab.start("a2", LanLabNode.class, "spoof6", "40009", "eth0");
            spoof.expect("SPOOFED", S);
            String table = NatLabTest.awaitTable(a, t -> t.endsWith(" unanswered 1"));
            assertThat(table).startsWith("0  pinged 1 ");

            // a2: a socket bound to its IPv6 address, the default groups (IPv4 left out: the socket cannot reach it)
            Node a2 = lab.start("a2", LanLabNode.class, "2001:db8:1::11", "40003", "default");
            String a2Key = a2.expect("NODEKEY", S);
            assertThat(a2.expect("GROUPS", S)).isEqualTo("ff12:0:0:0:0:0:4361:7272%eth0:" + LanDiscovery.PORT);
            a2.expect("READY", S);
            // a2's announcements leave from its bound address; a's from a's link-local address on eth0 (a2 may
            // also first hear of a from a's PING, sent from a's global address)
            assertThat(NatLabTest.awaitTable(a, t -> t.startsWith("1 ")))
                    .startsWith("1 " + a2Key + " 2001:db8:1:0:0:0:0:11").containsPattern(":11(%0)?:40003 ");
            assertThat(NatLabTest.awaitTable(a2, t -> t.startsWith("1 ")))
                    .startsWith("1 " + aKey + " ").containsPattern(" (fe80:[0-9a-f:]+%eth0|2001:db8:1:0:0:0:0:10(%0)?):40001 ");
        }
    }
}
