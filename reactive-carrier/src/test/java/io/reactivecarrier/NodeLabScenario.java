package io.reactivecarrier;

import io.reactivecarrier.link.NetnsLab;
import io.reactivecarrier.link.NetnsLab.Node;

/**
 * Whole nodes in a {@link NetnsLab}: a bootstrap node and a relay node ({@code relay(true)}) on the
 * public segment, users a and b behind the two NAT routers, each a {@link LabCarrierNode} child JVM.
 * a asks b for friendship, b accepts, they exchange a message each way and a sends b a reliable
 * stream. Used by {@link NodeNatLabTest} and by the {@code nat-lab} benchmark.
 */
public final class NodeLabScenario {

    static final int S = 120;
    static final int PORT = 33445;
    private static final String[] SMALL = {"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx192m", "-Xss512k"};
    private static final String[] USER = {"-XX:+UseSerialGC", "-Xmx256m", "-Xss512k"};

    /**
     * What one run saw.
     *
     * @param path the stream's path when it ended, at a ({@code DIRECT}, {@code PUNCHED} or {@code RELAYED})
     * @param bPath the stream's path when it ended, at b
     * @param maxPacketSize the largest packet a's stream sent at the end (path MTU probing)
     * @param connectMs from b's accept until b sees a online (in b's process)
     * @param messagesOk a message each way, delivered (receipt) and received
     * @param streamOk every byte arrived and the SHA-256 of both ends agree
     * @param streamBytes the stream's size
     * @param streamMs a's send time of the whole stream
     * @param friendPath a's {@code friends().path(b)} when the stream ended ({@code NONE} when empty)
     */
    public record Result(String aNat, String bNat, int relays, long connectMs, boolean messagesOk, boolean streamOk,
            long streamBytes, long streamMs, String path, String bPath, int maxPacketSize, String friendPath) {

        /** The stream's throughput in MB/s (10^6 bytes). */
        public double mbPerSecond() {
            return streamBytes / 1e6 / Math.max(0.001, streamMs / 1000.0);
        }
    }

    private NodeLabScenario() {
    }

    private static void phase(NetnsLab lab, String what, long t0) {
        System.out.printf("nat-lab %s: %s after %.1f s%n", lab, what, (System.nanoTime() - t0) / 1e9);
    }

    /** Starts the four nodes in {@code lab} and runs the scenario with a stream of {@code streamBytes}. */
    public static Result run(NetnsLab lab, long streamBytes) {
        long t0 = System.nanoTime();
        // the bootstrap and relay nodes start quickly; the users get the full JIT for the stream
        lab.jvmOptions(SMALL);
        Node boot = lab.start("boot", LabCarrierNode.class, "boot", String.valueOf(PORT));
        String bootSpec = NetnsLab.BOOT_IP + ":" + PORT + "/" + boot.expect("NODEID", S);
        boot.expect("READY", S);
        Node relay = lab.start("relay", LabCarrierNode.class, "relay", String.valueOf(PORT), bootSpec);
        String relaySpec = NetnsLab.RELAY_IP + ":" + PORT + "/" + relay.expect("NODEID", S);
        if (!relay.expect("ANNOUNCED", S).equals("1")) {
            throw new AssertionError("the relay did not find itself in the relay directory");
        }
        relay.expect("READY", S);
        lab.jvmOptions(USER);
        Node a = lab.start("a", LabCarrierNode.class, "peer", "40001", bootSpec, relaySpec);
        Node b = lab.start("b", LabCarrierNode.class, "peer", "40002", bootSpec, relaySpec);
        a.expect("NODEID", S);
        String aUser = a.expect("USER", S);
        a.expect("ADDRESS", S);
        String aNat = a.expect("NAT", S);
        b.expect("NODEID", S);
        String bUser = b.expect("USER", S);
        String bAddress = b.expect("ADDRESS", S);
        String bNat = b.expect("NAT", S);
        int relays = Math.min(Integer.parseInt(a.expect("RELAYS", S)), Integer.parseInt(b.expect("RELAYS", S)));
        a.expect("READY", S);
        b.expect("READY", S);

        phase(lab, "nodes ready", t0);
        a.send("request " + bAddress);
        a.expect("REQUESTED", S);
        String from = b.expect("REQUEST", S);
        if (!from.equals(aUser)) {
            throw new AssertionError("b got a request from " + from + ", not from a " + aUser);
        }
        b.send("accept " + aUser);
        b.send("online " + aUser);
        b.expect("ACCEPTED", S);
        long connectMs = Long.parseLong(b.expect("ONLINE", S));
        a.send("online " + bUser);
        a.expect("ONLINE", S);

        phase(lab, "friends online", t0);
        boolean messagesOk = true;
        a.send("send " + bUser + " hello-from-a");
        messagesOk &= a.expect("DELIVERED", S).startsWith("DELIVERED");
        messagesOk &= b.expect("MSG", S).equals(aUser + " hello-from-a");
        b.send("send " + aUser + " hello-from-b");
        messagesOk &= b.expect("DELIVERED", S).startsWith("DELIVERED");
        messagesOk &= a.expect("MSG", S).equals(bUser + " hello-from-b");

        phase(lab, "messages done", t0);
        a.send("stream " + bUser + " " + streamBytes + " 7");
        String[] sent = a.expect("STREAM_SENT", 300).split(" ");
        String[] got = b.expect("STREAM_RECV", 300).split(" ");
        boolean streamOk = sent[0].equals(String.valueOf(streamBytes)) && got[0].equals(sent[0])
                && got[1].equals(sent[1]);
        phase(lab, "stream done", t0);
        Result r = new Result(aNat, bNat, relays, connectMs, messagesOk, streamOk, streamBytes,
                Long.parseLong(sent[2]), sent[3], got[3], Integer.parseInt(sent[4]), sent[5]);
        System.out.println("nat-lab (whole nodes) " + lab + ": " + r + String.format(" %.1f MB/s", r.mbPerSecond()));
        return r;
    }
}
