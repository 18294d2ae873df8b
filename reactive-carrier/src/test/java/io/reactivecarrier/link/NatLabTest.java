package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.link.NetnsLab.Nat;
import io.reactivecarrier.link.NetnsLab.Node;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The link layer behind NAT routers in real network namespaces ({@link NetnsLab}), with
 * hand-composed link managers ({@link LabNode}): IPv6 through NAT66, a relayed link moving to a
 * punched path, LAN discovery, leftovers of a killed run. The cone/symmetric scenarios with whole
 * nodes (friends, messages, a 100 MiB stream) are {@code io.reactivecarrier.NodeNatLabTest}.
 * Skipped (with the reason) where namespaces cannot be made.
 */
@Tag("netns")
class NatLabTest {

    static final int S = 60;

    @BeforeAll
    static void needsNamespaces() {
        String why = NetnsLab.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "NAT lab skipped: " + why);
    }

    /** The nodes of one scenario. */
    record Scenario(NetnsLab lab, Node a, Node b, String aUser, String bUser, String aNat, String bNat) {
    }

    static Scenario start(NetnsLab lab) {
        return start(lab, false);
    }

    static Scenario start(NetnsLab lab, boolean ipv6) {
        NatLabScenario n = NatLabScenario.start(lab, ipv6);
        assertThat(n.relays).as("the relay was found in the DHT").isEqualTo(1);
        return new Scenario(lab, n.a, n.b, n.aUser, n.bUser, n.aNat, n.bNat);
    }

    /** Connects a to b, exchanges a message each way, returns a's path. */
    static String connectAndTalk(Scenario s) {
        NatLabScenario.Result r = new NatLabScenario(s.lab, s.a, s.b, s.aUser, s.bUser, s.aNat, s.bNat, 1)
                .connectAndTalk();
        assertThat(r.messagesOk()).as("a message each way").isTrue();
        assertThat(r.bPath()).endsWith("up");
        return r.path();
    }

    /** a's view of its link to b once it starts with {@code prefix}, or the last view after 90 s. */
    static String awaitPath(Scenario s, String prefix) {
        String path = "";
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(90);
        while (!path.startsWith(prefix) && System.nanoTime() < deadline) {
            s.a.send("path " + s.bUser);
            path = s.a.expect("PATH", S);
            if (!path.startsWith(prefix)) {
                try {
                    Thread.sleep(500); // polling a child process's state
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
        return path;
    }

    @Test
    @Timeout(180)
    void coneToConeOverIpv6() {
        try (NetnsLab lab = NetnsLab.create(Nat.CONE, Nat.CONE)) {
            // dual-stack sockets; the DHT is reached over IPv6 only, so the NAT66 mappings are what is seen
            Scenario s = start(lab, true);
            assertThat(s.aNat).isEqualTo("CONE " + LabNode.hostPort(new InetSocketAddress(NetnsLab.R1_WAN6, 40001)));
            assertThat(s.bNat).isEqualTo("CONE " + LabNode.hostPort(new InetSocketAddress(NetnsLab.R2_WAN6, 40002)));
            assertThat(connectAndTalk(s)).isIn("PUNCHED", "RELAYED");
            // (the socket reports IPv6 senders with scope id 0: "%0")
            assertThat(awaitPath(s, "PUNCHED").replace("%0", ""))
                    .startsWith("PUNCHED " + new InetSocketAddress(NetnsLab.R2_WAN6, 40002))
                    .endsWith("up");
        }
    }

    @Test
    @Timeout(180)
    void aRelayedLinkMovesToAPunchedPathWhenPunchingStartsToWork() {
        try (NetnsLab lab = NetnsLab.create(Nat.CONE, Nat.CONE)) {
            // b's router drops PUNCH packets (first payload byte 0x21) for now: punching fails
            lab.exec("r2", "nft", "add", "table", "inet", "lab");
            lab.exec("r2", "nft", "add", "chain", "inet", "lab", "nopunch",
                    "{", "type", "filter", "hook", "forward", "priority", "0", ";", "}");
            lab.exec("r2", "nft", "add", "rule", "inet", "lab", "nopunch", "meta", "l4proto", "udp",
                    "@th,64,8", "0x21", "drop");
            Scenario s = start(lab);
            assertThat(connectAndTalk(s)).isEqualTo("RELAYED");
            lab.exec("r2", "nft", "delete", "table", "inet", "lab");
            // the relayed link retries the punch every 5 s (LabNode) and moves over
            String path = awaitPath(s, "PUNCHED");
            assertThat(path).startsWith("PUNCHED /" + NetnsLab.R2_WAN + ":40002").endsWith("up");
            s.a.send("send " + s.bUser + " after-upgrade");
            assertThat(s.b.expect("RECV", S)).isEqualTo("after-upgrade");
            s.b.send("send " + s.aUser + " after-upgrade-too");
            assertThat(s.a.expect("RECV", S)).isEqualTo("after-upgrade-too");
        }
    }

    @Test
    @Timeout(120)
    void nodesOnOneLanFindEachOtherWithoutABootstrapNodeAndASpoofedAnnouncementIsNotBelieved() {
        try (NetnsLab lab = NetnsLab.create(Nat.CONE, Nat.CONE)) {
            Node a = lab.start("a", LabNode.class, "lan", "40001");
            String aKey = a.expect("NODEKEY", S);
            a.expect("READY", S);
            // a forged announcement from a2's address: a pings it, nobody answers, the table stays empty
            Node spoof = lab.start("a2", LabNode.class, "spoof", "40009");
            spoof.expect("SPOOFED", S);
            String table = awaitTable(a, t -> t.endsWith(" unanswered 1"));
            assertThat(table).startsWith("0 - - pinged 1 ");

            Node a2 = lab.start("a2", LabNode.class, "lan", "40003");
            String a2Key = a2.expect("NODEKEY", S);
            a2.expect("READY", S);
            assertThat(awaitTable(a, t -> t.startsWith("1 "))).startsWith("1 " + a2Key + " " + NetnsLab.A2_IP + ":40003");
            assertThat(awaitTable(a2, t -> t.startsWith("1 "))).startsWith("1 " + aKey + " " + NetnsLab.A_IP + ":40001");
        }
    }

    /** Polls a LAN node's table until the TABLE line passes {@code done} (or 60 s passed). */
    static String awaitTable(Node n, java.util.function.Predicate<String> done) {
        String t = "";
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (!done.test(t) && System.nanoTime() < deadline) {
            n.send("table");
            t = n.expect("TABLE", S);
            if (!done.test(t)) {
                try {
                    Thread.sleep(300); // polling a child process's state
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
        return t;
    }

    @Test
    @Timeout(60)
    void theLeftoversOfAKilledRunAreDeleted() {
        long dead = 4_000_000;
        while (ProcessHandle.of(dead).isPresent()) {
            dead--;
        }
        String name = "rcn" + dead + "-pub";
        try {
            new ProcessBuilder("ip", "netns", "add", name).inheritIO().start().waitFor();
            assertThat(namespaces()).contains(name);
            NetnsLab.cleanLeftovers();
            assertThat(namespaces()).doesNotContain(name);
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static String namespaces() throws java.io.IOException {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
