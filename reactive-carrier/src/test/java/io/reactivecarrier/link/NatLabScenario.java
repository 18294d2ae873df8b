package io.reactivecarrier.link;

import io.reactivecarrier.link.NetnsLab.Node;

/**
 * One friend-to-friend scenario in a {@link NetnsLab}: a bootstrap node and a relay on the public
 * segment, friends a and b behind the two routers. Used by {@link NatLabTest} and by the
 * {@code nat-lab} benchmark.
 */
public final class NatLabScenario {

    static final int S = 60;

    /** What one run saw. {@code connectMs} is measured inside a's process around {@code connect}. */
    public record Result(String path, long connectMs, boolean messagesOk, String aNat, String bNat,
            String bPath, int relays) {
    }

    final NetnsLab lab;
    final Node a;
    final Node b;
    final String aUser;
    final String bUser;
    final String aNat;
    final String bNat;
    final int relays;

    NatLabScenario(NetnsLab lab, Node a, Node b, String aUser, String bUser, String aNat, String bNat,
            int relays) {
        this.lab = lab;
        this.a = a;
        this.b = b;
        this.aUser = aUser;
        this.bUser = bUser;
        this.aNat = aNat;
        this.bNat = bNat;
        this.relays = relays;
    }

    /** Starts the four nodes and makes a and b friends (each knows the other's key, nothing more). */
    public static NatLabScenario start(NetnsLab lab) {
        return start(lab, false);
    }

    /** As {@link #start(NetnsLab)}; with {@code ipv6} the nodes bind dual-stack and bootstrap over IPv6 only. */
    public static NatLabScenario start(NetnsLab lab, boolean ipv6) {
        String bootIp = ipv6 ? "[" + NetnsLab.BOOT_IP6 + "]" : NetnsLab.BOOT_IP;
        String relayIp = ipv6 ? "[" + NetnsLab.RELAY_IP6 + "]" : NetnsLab.RELAY_IP;
        if (ipv6) {
            lab.env("LAB_BIND", "::");
        }
        Node boot = lab.start("boot", LabNode.class, "boot", "33445");
        String bootKey = boot.expect("NODEKEY", S);
        boot.expect("READY", S);
        String bootSpec = bootIp + ":33445:" + bootKey;
        Node relay = lab.start("relay", LabNode.class, "relay", "33445", bootSpec);
        String relayKey = relay.expect("NODEKEY", S);
        String announced = relay.expect("ANNOUNCED", S);
        String relayAt = LabNode.hostPort(new java.net.InetSocketAddress(
                ipv6 ? NetnsLab.RELAY_IP6 : NetnsLab.RELAY_IP, 33445));
        if (!announced.startsWith(relayAt + " on ")) {
            throw new AssertionError("the relay announced " + announced);
        }
        relay.expect("READY", S);
        String relaySpec = relayIp + ":33445:" + relayKey;
        Node a = lab.start("a", LabNode.class, "peer", "40001", bootSpec, relaySpec);
        Node b = lab.start("b", LabNode.class, "peer", "40002", bootSpec, relaySpec);
        int relays = Integer.parseInt(a.expect("RELAYS", S));
        relays = Math.min(relays, Integer.parseInt(b.expect("RELAYS", S)));
        String[] aInfo = a.expect("USER", S).split(" ");
        String aNat = a.expect("NAT", S);
        a.expect("READY", S);
        String[] bInfo = b.expect("USER", S).split(" ");
        String bNat = b.expect("NAT", S);
        b.expect("READY", S);
        // after the USER prefix: u STATIC s BINDING b ENDPOINT e
        a.send("friend " + bInfo[0] + " " + bInfo[2] + " " + bInfo[4] + " " + bInfo[6]);
        a.expect("FRIENDED", S);
        b.send("friend " + aInfo[0] + " " + aInfo[2] + " " + aInfo[4] + " " + aInfo[6]);
        b.expect("FRIENDED", S);
        return new NatLabScenario(lab, a, b, aInfo[0], bInfo[0], aNat, bNat, relays);
    }

    /** a connects to b; one message each way; b's view of the path. */
    public Result connectAndTalk() {
        a.send("connect " + bUser);
        String[] connected = a.expect("CONNECTED", S).split(" ");
        boolean ok = true;
        a.send("send " + bUser + " hello-from-a");
        ok &= a.expect("SENT", S).equals("true");
        ok &= b.expect("RECV", S).equals("hello-from-a");
        b.send("send " + aUser + " hello-from-b");
        ok &= b.expect("SENT", S).equals("true");
        ok &= a.expect("RECV", S).equals("hello-from-b");
        b.send("path " + aUser);
        String bPath = b.expect("PATH", S);
        Result r = new Result(connected[0], Long.parseLong(connected[2]), ok, aNat, bNat, bPath, relays);
        System.out.println("nat-lab " + lab + ": " + r);
        return r;
    }
}
