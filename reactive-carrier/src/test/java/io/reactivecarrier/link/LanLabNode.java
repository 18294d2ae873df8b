package io.reactivecarrier.link;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.dht.DhtNode;
import io.reactivecarrier.dht.DhtOptions;
import io.reactivecarrier.dht.LanDiscovery;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.RpcDhtTransport;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A child JVM of {@link LanDiscoveryLabTest}: a DHT node with LAN discovery and no bootstrap node.
 * Arguments {@code BIND PORT GROUPS}: the socket's host ({@code ::} for dual stack, an IPv6
 * address for IPv6 only), its port, and the groups ({@code default} for
 * {@link LanDiscovery#start(DhtNode, io.reactivecarrier.transport.DatagramTransport)}, else
 * comma-separated). Prints {@code NODEKEY hex}, {@code GROUPS ...}, {@code READY}; on the line
 * {@code table} prints {@code TABLE n [id address]... pinged p unanswered u}.
 * {@code spoof6 PORT INTERFACE} instead sends one IPv6 announcement of an id nobody holds.
 */
public final class LanLabNode {

    private static final Duration T = Duration.ofSeconds(30);
    private static final HexFormat HEX = HexFormat.of();
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private LanLabNode() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("spoof6")) {
            byte[] packet = new byte[2 + 32];
            packet[0] = (byte) io.reactivecarrier.wire.PacketKind.LAN_DISCOVERY.tag();
            packet[1] = (byte) io.reactivecarrier.wire.Limits.PROTOCOL_VERSION;
            byte[] id = new byte[32];
            new SecureRandom().nextBytes(id);
            System.arraycopy(id, 0, packet, 2, 32);
            InetAddress group = Inet6Address.getByAddress(null, InetAddress.getByName(LanDiscovery.GROUP6).getAddress(),
                    NetworkInterface.getByName(args[2]));
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("::", Integer.parseInt(args[1])))) {
                s.send(new DatagramPacket(packet, packet.length, new InetSocketAddress(group, LanDiscovery.PORT)));
            }
            OUT.println("SPOOFED " + HEX.formatHex(id));
            return;
        }
        String bind = args[0];
        int port = Integer.parseInt(args[1]);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        UdpTransport transport = UdpTransport.bind(UdpTransportOptions.create().host(bind).port(port)).block(T);
        PacketRouter router = PacketRouter.create(registry);
        transport.receive(router);
        X25519KeyPair nodeKey = X25519KeyPair.generate();
        RpcEndpoint rpc = RpcEndpoint.create(transport, router, nodeKey, RpcOptions.create());
        DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)), DhtOptions.defaults());
        OUT.println("NODEKEY " + HEX.formatHex(nodeKey.publicKey()));
        dht.start().block(T);
        try (LanDiscovery lan = args[2].equals("default") ? LanDiscovery.start(dht, transport)
                : LanDiscovery.start(dht, transport, List.of(args[2].split(",")), LanDiscovery.PORT)) {
            OUT.println("GROUPS " + lan.groups().stream().map(LanLabNode::hostPort).collect(Collectors.joining(" ")));
            OUT.println("READY");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.trim().equals("table")) {
                    List<NodeInfo> known = dht.snapshot().block(T);
                    OUT.println("TABLE " + known.size() + " " + known.stream().map(n -> n.id().toHex() + " "
                            + hostPort(n.address())).collect(Collectors.joining(" "))
                            + " pinged " + lan.pinged() + " unanswered " + lan.unanswered());
                }
            }
        }
        System.exit(0);
    }

    /** {@code host:port}, the host without brackets, a link-local IPv6 address with its {@code %interface}. */
    static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
