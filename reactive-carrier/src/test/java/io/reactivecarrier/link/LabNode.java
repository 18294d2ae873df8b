package io.reactivecarrier.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.dht.DhtNode;
import io.reactivecarrier.dht.DhtOptions;
import io.reactivecarrier.dht.LanDiscovery;
import io.reactivecarrier.dht.NatInfo;
import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.RelayDirectory;
import io.reactivecarrier.dht.RpcDhtTransport;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;

/**
 * A node inside a namespace of the {@link NetnsLab}, driven by lines on stdin, answering on stdout.
 *
 * <p>Arguments: {@code boot PORT}, {@code relay PORT BOOT} or {@code peer PORT BOOT RELAY} where
 * BOOT and RELAY are {@code ip:port:nodeKeyHex}. Every role prints {@code NODEKEY hex} and
 * {@code READY}; a peer also prints {@code USER base58 STATIC hex BINDING hex ENDPOINT ip:port}
 * and {@code NAT type external}. Peer commands: {@code friend USER STATIC BINDING ENDPOINT},
 * {@code connect USER} (prints {@code CONNECTED path remote ms} or {@code CONNECT_FAILED why}),
 * {@code send USER text} (the friend prints {@code RECV text}), {@code path USER}
 * ({@code PATH path remote}), {@code bulk USER frames} (the friend prints {@code BULK n} per 1000).
 */
public final class LabNode {

    static final int TEXT = 0x4F;
    static final int BULK = 0x4E;
    private static final Duration T = Duration.ofSeconds(30);
    private static final HexFormat HEX = HexFormat.of();
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private LabNode() {
    }

    public static void main(String[] args) throws Exception {
        String role = args[0];
        int port = Integer.parseInt(args[1]);
        if (role.equals("spoof")) {
            // one LAN announcement of a node id that nobody holds
            byte[] packet = new byte[2 + 32];
            packet[0] = (byte) io.reactivecarrier.wire.PacketKind.LAN_DISCOVERY.tag();
            packet[1] = (byte) io.reactivecarrier.wire.Limits.PROTOCOL_VERSION;
            byte[] id = new byte[32];
            new java.security.SecureRandom().nextBytes(id);
            System.arraycopy(id, 0, packet, 2, 32);
            try (java.net.DatagramSocket s = new java.net.DatagramSocket(port)) {
                s.send(new java.net.DatagramPacket(packet, packet.length,
                        new InetSocketAddress(LanDiscovery.GROUP, LanDiscovery.PORT)));
            }
            OUT.println("SPOOFED " + HEX.formatHex(id));
            return;
        }
        String bind = System.getenv().getOrDefault("LAB_BIND", "0.0.0.0"); // "::" for dual stack
        UdpTransport transport = UdpTransport.bind(UdpTransportOptions.create().host(bind).port(port)).block(T);
        PacketRouter router = PacketRouter.create(new SimpleMeterRegistry());
        transport.receive(router);
        X25519KeyPair nodeKey = X25519KeyPair.generate();
        RpcEndpoint rpc = RpcEndpoint.create(transport, router, nodeKey, RpcOptions.create());
        List<NodeInfo> bootstrap = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            bootstrap.add(nodeInfo(args[i]));
        }
        DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)),
                DhtOptions.defaults().bootstrap(bootstrap).prefixLimits(20, 200));
        OUT.println("NODEKEY " + HEX.formatHex(nodeKey.publicKey()));
        if (role.equals("relay")) {
            RelayServer.start(rpc, router, RelayServer.Limits.defaults());
        }
        dht.start().block(T);
        if (role.equals("lan")) {
            // no bootstrap node at all: other nodes must be found by LAN multicast
            try (LanDiscovery lan = LanDiscovery.start(dht, transport)) {
                OUT.println("READY");
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.trim().equals("table")) {
                        List<NodeInfo> known = dht.snapshot().block(T);
                        OUT.println("TABLE " + known.size() + " "
                                + (known.isEmpty() ? "- -" : known.get(0).id().toHex() + " "
                                        + hostPort(known.get(0).address()))
                                + " pinged " + lan.pinged() + " unanswered " + lan.unanswered());
                    }
                }
            }
            System.exit(0);
            return;
        }
        if (role.equals("relay")) {
            RelayServer.start(rpc, router, RelayServer.Limits.defaults());
        }
        dht.start().block(T);
        if (role.equals("lan")) {
            // no bootstrap node at all: the other node must be found by LAN multicast
            try (LanDiscovery lan = LanDiscovery.start(dht, transport)) {
                OUT.println("READY");
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline) {
                    List<NodeInfo> known = dht.snapshot().block(T);
                    if (!known.isEmpty()) {
                        OUT.println("LAN_PEER " + known.get(0).id().toHex() + " " + hostPort(known.get(0).address())
                                + " pinged " + lan.pinged());
                        break;
                    }
                    Thread.sleep(200); // polling the routing table of this standalone process
                }
                waitForEof();
            }
            return;
        }
        if (role.equals("relay")) {
            // announce this relay in the DHT at the address the bootstrap node sees it at
            InetSocketAddress seen = dht.observedAddress();
            Integer stored = RelayDirectory.announce(dht, new NodeInfo(dht.id(), seen), Duration.ofMinutes(30)).block(T);
            OUT.println("ANNOUNCED " + hostPort(seen) + " on " + stored);
        }
        if (!role.equals("peer")) {
            OUT.println("READY");
            waitForEof();
            return;
        }
        peer(transport, router, rpc, dht);
    }

    private static void peer(UdpTransport transport, PacketRouter router, RpcEndpoint rpc, DhtNode dht)
            throws Exception {
        LinkIdentity identity = new LinkIdentity(Ed25519KeyPair.generate(), X25519KeyPair.generate());
        Map<UserId, PeerContact> friends = new ConcurrentHashMap<>();
        NatTraversal nat = NatTraversal.create(rpc, router, identity.userId(),
                NatTraversal.Options.defaults().upgradeInterval(Duration.ofSeconds(5)));
        LinkManager links = LinkManager.create(nat.linkTransport(), nat.linkRouter(), identity,
                nat.resolver(u -> Mono.justOrEmpty(friends.get(u))), LinkOptions.create());
        nat.attach(links);
        links.setAuthorizer(friends::containsKey);
        links.handle(TEXT, (link, payload) -> OUT.println("RECV " + payload.toString(StandardCharsets.UTF_8)));
        AtomicLong bulk = new AtomicLong();
        links.handle(BULK, (link, payload) -> {
            long n = bulk.incrementAndGet();
            if (n % 1000 == 0) {
                OUT.println("BULK " + n);
            }
        });
        // relays come from the DHT's relay directory (the relay announced itself there)
        List<NodeInfo> relays = RelayDirectory.find(dht).block(T);
        if (relays.isEmpty()) {
            OUT.println("ERROR no relay announced in the DHT");
        }
        for (NodeInfo r : relays) {
            nat.addRelay(r.address(), r.id().bytes()).block(T);
        }
        OUT.println("RELAYS " + relays.size());
        NatInfo info = dht.probeNat(4).block(T);
        InetSocketAddress local = NatTraversal.localCandidates(transport.localAddress()).get(0);
        OUT.println("USER " + identity.userId() + " STATIC " + HEX.formatHex(identity.staticKey().publicKey())
                + " BINDING " + HEX.formatHex(identity.binding()) + " ENDPOINT " + hostPort(local));
        OUT.println("NAT " + info.type() + " " + (info.external() == null ? "-" : hostPort(info.external())));
        OUT.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] w = line.trim().split(" ", 3);
            try {
                switch (w[0]) {
                    case "friend" -> {
                        String[] f = line.trim().split(" ");
                        UserId u = UserId.parse(f[1]);
                        friends.put(u, new PeerContact(u, HEX.parseHex(f[2]), HEX.parseHex(f[3]),
                                List.of(parse(f[4]))));
                        OUT.println("FRIENDED");
                    }
                    case "connect" -> {
                        long t0 = System.nanoTime();
                        links.connect(UserId.parse(w[1])).subscribe(
                                l -> OUT.println("CONNECTED " + l.path() + " " + l.remoteAddress() + " "
                                        + (System.nanoTime() - t0) / 1_000_000),
                                e -> OUT.println("CONNECT_FAILED " + e));
                    }
                    case "send" -> {
                        Link l = links.link(UserId.parse(w[1])).orElseThrow();
                        boolean ok = l.send(TEXT, Unpooled.copiedBuffer(w[2], StandardCharsets.UTF_8));
                        OUT.println("SENT " + ok);
                    }
                    case "path" -> {
                        Link l = links.link(UserId.parse(w[1])).orElse(null);
                        OUT.println("PATH " + (l == null ? "NONE -" : l.path() + " " + l.remoteAddress()
                                + (l.isUp() ? " up" : " down")));
                    }
                    case "bulk" -> {
                        Link l = links.link(UserId.parse(w[1])).orElseThrow();
                        int frames = Integer.parseInt(w[2]);
                        byte[] chunk = new byte[1000];
                        for (int i = 0; i < frames; i++) {
                            ByteBuf b = Unpooled.wrappedBuffer(chunk);
                            l.send(BULK, b);
                            if (i % 50 == 49) {
                                Thread.sleep(2); // a crude pace: link frames are unreliable datagrams
                            }
                        }
                        OUT.println("BULK_SENT " + frames);
                    }
                    default -> OUT.println("UNKNOWN " + line);
                }
            } catch (RuntimeException e) {
                OUT.println("ERROR " + e);
            }
        }
        System.exit(0);
    }

    private static void waitForEof() throws Exception {
        while (System.in.read() >= 0) {
            // serve until the lab closes our stdin or kills us
        }
        System.exit(0);
    }

    /** {@code ip:port:nodeKeyHex}, the ip an IPv4 or IPv6 literal. */
    static NodeInfo nodeInfo(String spec) {
        int k = spec.lastIndexOf(':');
        return new NodeInfo(NodeId.fromHex(spec.substring(k + 1)), parse(spec.substring(0, k)));
    }

    static InetSocketAddress parse(String hostPort) {
        int i = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, i).replace("[", "").replace("]", "");
        return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(i + 1)));
    }

    static String hostPort(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
