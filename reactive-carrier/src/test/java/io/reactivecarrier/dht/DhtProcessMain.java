package io.reactivecarrier.dht;

import io.reactivecarrier.crypto.X25519KeyPair;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One DHT node in its own JVM, for {@link DhtMultiProcessTest}: binds 127.0.0.1 on any port,
 * bootstraps from the {@code host:port:nodeIdHex} arguments and answers line commands on stdin
 * (results go to stdout prefixed with {@code @@}, so log lines cannot be mistaken for them):
 * {@code FIND <idHex>}, {@code STORE <text>}, {@code GET <keyHex>}, {@code QUIT}.
 */
public final class DhtProcessMain {

    static final Duration T = Duration.ofSeconds(30);

    private DhtProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        io.reactivecarrier.testing.BlockHoundSetup.install(); // as in the test JVM that started this one
        List<NodeInfo> bootstrap = new ArrayList<>();
        for (String a : args) {
            String[] p = a.split(":");
            bootstrap.add(new NodeInfo(NodeId.fromHex(p[2]), new InetSocketAddress(p[0], Integer.parseInt(p[1]))));
        }
        UdpDhtNode node = UdpDhtNode.create(X25519KeyPair.generate(), 0, DhtOptions.defaults().bootstrap(bootstrap))
                .block(T);
        node.dht().start().block(T);
        say("READY " + node.dht().id().toHex() + " " + node.transport().localAddress().getPort());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] cmd = line.trim().split(" ", 2);
            try {
                switch (cmd[0]) {
                    case "FIND" -> {
                        List<NodeInfo> found = node.dht().findNode(NodeId.fromHex(cmd[1])).block(T);
                        NodeInfo first = found == null || found.isEmpty() ? null : found.get(0);
                        say(first != null && first.id().toHex().equals(cmd[1])
                                ? "FOUND " + first.id().toHex() + " " + first.address().getPort() : "NOTFOUND");
                    }
                    case "STORE" -> {
                        DhtValue.Immutable v = DhtValue.immutable(cmd[1].getBytes(StandardCharsets.UTF_8),
                                System.currentTimeMillis() + 600_000);
                        say("STORED " + node.dht().storeValue(v).block(T) + " " + v.key().toHex());
                    }
                    case "GET" -> {
                        List<DhtValue> values = node.dht().findValue(NodeId.fromHex(cmd[1])).block(T);
                        say(values == null || values.isEmpty() ? "NOVALUE"
                                : "VALUE " + new String(values.get(0).data(), StandardCharsets.UTF_8));
                    }
                    case "QUIT" -> {
                        node.close().block(T);
                        say("BYE");
                        System.exit(0);
                    }
                    default -> say("UNKNOWN " + cmd[0]);
                }
            } catch (RuntimeException e) {
                say("ERROR " + e);
            }
        }
        node.close().block(T);
        System.exit(0);
    }

    private static void say(String s) {
        System.out.println("@@" + s);
        System.out.flush();
    }
}
