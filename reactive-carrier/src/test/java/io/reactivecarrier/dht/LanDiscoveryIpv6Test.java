package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import io.reactivecarrier.wire.Limits;
import io.reactivecarrier.wire.PacketKind;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * LAN discovery over IPv6 on this machine: two DHT nodes on dual-stack sockets ({@code ::}), no
 * bootstrap node, only the IPv6 group {@link LanDiscovery#GROUP6}. The kernel loops multicast back
 * to the sending host, so both listeners hear both nodes on any up interface with IPv6 and
 * multicast (not {@code lo}: it has no multicast). Skipped with the reason where there is none.
 * The two-host case runs in the namespace lab ({@code link.NatLabTest}).
 */
class LanDiscoveryIpv6Test {

    private static final Duration T = Duration.ofSeconds(60);
    /** A port of its own, so that parallel test runs on this machine do not hear each other's announcements. */
    private final int port = 40_000 + new SecureRandom().nextInt(20_000);
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<UdpTransport> transports = new ArrayList<>();

    private record Node(UdpTransport transport, DhtNode dht) {
    }

    private Node node(String host) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host(host).port(0).meterRegistry(registry))
                .block(T);
        transports.add(t);
        PacketRouter router = PacketRouter.create(registry);
        t.receive(router);
        RpcEndpoint rpc = RpcEndpoint.create(t, router, X25519KeyPair.generate(), RpcOptions.create().meterRegistry(registry));
        DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)), DhtOptions.defaults());
        dht.start().block(T);
        open.add(() -> dht.stop().block(T));
        return new Node(t, dht);
    }

    private LanDiscovery lan(Node n, List<String> groups) throws IOException {
        LanDiscovery lan = LanDiscovery.start(n.dht(), n.transport(), groups, port);
        open.add(lan);
        return lan;
    }

    @AfterEach
    void close() throws Exception {
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            c.close();
        }
        for (UdpTransport t : transports) {
            t.close().block(T);
        }
    }

    /** An up, multicast-capable, non-loopback interface with an IPv6 address, or a skip saying why not. */
    private static NetworkInterface ipv6MulticastInterface() throws IOException {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (ni.isUp() && ni.supportsMulticast() && !ni.isLoopback()
                    && ni.inetAddresses().anyMatch(a -> a instanceof Inet6Address)) {
                return ni;
            }
        }
        Assumptions.abort("no up, multicast-capable interface with an IPv6 address on this machine "
                + "(lo has no multicast): IPv6 LAN discovery cannot be tried here");
        return null;
    }

    @Test
    void dualStackNodesFindEachOtherOverTheIpv6GroupAndASpoofedAnnouncementIsNotBelieved() throws Exception {
        NetworkInterface ni = ipv6MulticastInterface();
        Node a = node("::");
        Node b = node("::");
        LanDiscovery lanA;
        try {
            lanA = lan(a, List.of(LanDiscovery.GROUP6));
            lan(b, List.of(LanDiscovery.GROUP6));
        } catch (IOException e) {
            Assumptions.abort("cannot join " + LanDiscovery.GROUP6 + " here: " + e.getMessage());
            return;
        }
        // one announcement target per IPv6 interface, the interface as the group's scope
        assertThat(lanA.groups()).allSatisfy(g -> {
            assertThat(g.getAddress()).isInstanceOf(Inet6Address.class);
            assertThat(((Inet6Address) g.getAddress()).getScopedInterface()).isNotNull();
            assertThat(g.getPort()).isEqualTo(port);
        }).anySatisfy(g -> assertThat(((Inet6Address) g.getAddress()).getScopedInterface()).isEqualTo(ni));

        // each finds the other at an IPv6 address, with the port of the other's node socket
        await().atMost(T).untilAsserted(() -> assertThat(a.dht().snapshot().block(T))
                .anySatisfy(n -> {
                    assertThat(n.id()).isEqualTo(b.dht().id());
                    assertThat(n.address().getAddress()).isInstanceOf(Inet6Address.class);
                    assertThat(n.address().getPort()).isEqualTo(b.transport().localAddress().getPort());
                }));
        await().atMost(T).untilAsserted(() -> assertThat(b.dht().snapshot().block(T))
                .anySatisfy(n -> assertThat(n.id()).isEqualTo(a.dht().id())));

        // a forged announcement of an id nobody holds: pinged, unanswered, never in the table
        long unanswered = lanA.unanswered();
        byte[] packet = new byte[LanDiscovery.LENGTH];
        packet[0] = (byte) PacketKind.LAN_DISCOVERY.tag();
        packet[1] = (byte) Limits.PROTOCOL_VERSION;
        byte[] forged = new byte[NodeId.LENGTH];
        new SecureRandom().nextBytes(forged);
        System.arraycopy(forged, 0, packet, 2, forged.length);
        NodeId forgedId = NodeId.of(forged);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("::", 0))) {
            s.send(new DatagramPacket(packet, packet.length, new InetSocketAddress(
                    Inet6Address.getByAddress(null, Inet6Address.getByName(LanDiscovery.GROUP6).getAddress(), ni), port)));
        }
        await().atMost(T).untilAsserted(() -> assertThat(lanA.unanswered()).isGreaterThan(unanswered));
        assertThat(a.dht().snapshot().block(T)).noneMatch(n -> n.id().equals(forgedId));
    }

    @Test
    void anIpv4SocketCannotUseTheIpv6GroupAndSaysWhy() {
        Node v4 = node("127.0.0.1");
        assertThatThrownBy(() -> lan(v4, List.of(LanDiscovery.GROUP6)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot reach [" + LanDiscovery.GROUP6 + "]")
                .hasMessageContaining("bound to ::");
    }

    @Test
    void aDualStackNodeJoinsBothGroups() throws Exception {
        NetworkInterface ni = ipv6MulticastInterface();
        Node n = node("::");
        LanDiscovery lan;
        try {
            lan = lan(n, List.of(LanDiscovery.GROUP, LanDiscovery.GROUP6));
        } catch (IOException e) {
            Assumptions.abort("cannot join the LAN groups here: " + e.getMessage());
            return;
        }
        assertThat(lan.groups()).extracting(g -> g.getAddress().getHostAddress())
                .anyMatch(h -> h.equals(LanDiscovery.GROUP))
                .anyMatch(h -> h.startsWith("ff12:0:0:0:0:0:4361:7272%"));
        assertThat(ni).isNotNull();
    }
}
