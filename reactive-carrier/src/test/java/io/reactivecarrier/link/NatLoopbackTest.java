package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.transport.DatagramHandler;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** Relay and punch signalling between three real UDP nodes on 127.0.0.1 (no NAT, no root needed). */
class NatLoopbackTest {

    static final Duration T = Duration.ofSeconds(20);
    static final int TEXT = 0x4F;

    final List<Runnable> cleanup = new ArrayList<>();
    final Map<UserId, PeerContact> directory = new ConcurrentHashMap<>();

    @AfterEach
    void tearDown() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    final class Peer {
        final LinkIdentity identity = LinkTestSupport.newIdentity();
        final UdpTransport transport = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)).block(T);
        final PacketRouter router = PacketRouter.create(new SimpleMeterRegistry());
        final RpcEndpoint rpc;
        final NatTraversal nat;
        final LinkManager links;
        final List<String> received = new CopyOnWriteArrayList<>();

        Peer(NatTraversal.Options options) {
            transport.receive(router);
            rpc = RpcEndpoint.create(transport, router, X25519KeyPair.generate(), RpcOptions.create());
            nat = NatTraversal.create(rpc, router, identity.userId(), options);
            links = LinkManager.create(nat.linkTransport(), nat.linkRouter(), identity,
                    nat.resolver(u -> Mono.justOrEmpty(directory.get(u))), LinkOptions.create());
            nat.attach(links);
            links.setAuthorizer(directory::containsKey);
            links.handle(TEXT, (l, p) -> received.add(p.toString(StandardCharsets.UTF_8)));
            directory.put(identity.userId(), new PeerContact(identity.userId(), identity.staticKey().publicKey(),
                    identity.binding(), List.of(transport.localAddress())));
            cleanup.add(() -> {
                links.close().block(T);
                nat.close().block(T);
                rpc.close().block(T);
                transport.close().block(T);
            });
        }
    }

    /** Copies of the RELAY packets the relay sent (what it forwarded), in order. */
    final List<byte[]> relayed = new CopyOnWriteArrayList<>();

    /** The relay's socket, recording every RELAY packet the relay sends before it goes out. */
    final class RecordingTransport implements DatagramTransport {
        final UdpTransport delegate;

        RecordingTransport(UdpTransport delegate) {
            this.delegate = delegate;
        }

        @Override
        public InetSocketAddress localAddress() {
            return delegate.localAddress();
        }

        @Override
        public Scheduler scheduler() {
            return delegate.scheduler();
        }

        @Override
        public ByteBufAllocator alloc() {
            return delegate.alloc();
        }

        @Override
        public void send(InetSocketAddress recipient, ByteBuf data) {
            if (data.readableBytes() > 0 && data.getByte(data.readerIndex()) == PacketKind.RELAY.tag()
                    && relayed.size() < 100_000) {
                relayed.add(ByteBufUtil.getBytes(data));
            }
            delegate.send(recipient, data);
        }

        @Override
        public void receive(DatagramHandler handler) {
            delegate.receive(handler);
        }

        @Override
        public Mono<Void> close() {
            return delegate.close();
        }
    }

    RelayServer relay(RelayServer.Limits limits, RpcEndpoint[] rpcOut) {
        UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)).block(T);
        PacketRouter router = PacketRouter.create(new SimpleMeterRegistry());
        t.receive(router);
        RpcEndpoint rpc = RpcEndpoint.create(new RecordingTransport(t), router, X25519KeyPair.generate(),
                RpcOptions.create());
        RelayServer relay = RelayServer.start(rpc, router, limits);
        cleanup.add(() -> {
            relay.close().block(T);
            rpc.close().block(T);
            t.close().block(T);
        });
        rpcOut[0] = rpc;
        return relay;
    }

    @Test
    void punchedOnLoopbackIsDirectAndNeedsNoRelayTraffic() {
        RpcEndpoint[] relayRpc = new RpcEndpoint[1];
        RelayServer relay = relay(RelayServer.Limits.defaults(), relayRpc);
        // the connect waits for the punch (which takes one round trip here), however slow the machine
        NatTraversal.Options patient = NatTraversal.Options.defaults().relayAfter(Duration.ofSeconds(15));
        Peer a = new Peer(patient);
        Peer b = new Peer(patient);
        a.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);
        b.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);

        Link ab = a.links.connect(b.identity.userId()).block(T);
        assertThat(ab.path()).as("b's own address answered the punch: a direct path").isEqualTo(PathType.DIRECT);
        assertThat(ab.remoteAddress()).isEqualTo(b.transport.localAddress());
        assertThat(ab.send(TEXT, Unpooled.copiedBuffer("hi", StandardCharsets.UTF_8))).isTrue();
        await().atMost(T).until(() -> b.received.contains("hi"));
        assertThat(relay.forwardedPackets()).isZero();
    }

    @Test
    void fallsBackToTheRelayWhenPunchesAreLostAndTheRelaySeesOnlyCiphertext() {
        RpcEndpoint[] relayRpc = new RpcEndpoint[1];
        RelayServer relay = relay(RelayServer.Limits.defaults(), relayRpc);
        NatTraversal.Options fast = NatTraversal.Options.defaults().punchAttempts(3).punchInterval(Duration.ofMillis(50));
        Peer a = new Peer(fast);
        Peer b = new Peer(fast);
        // both sides lose every PUNCH packet, as behind symmetric NATs
        a.router.remove(PacketKind.PUNCH);
        b.router.remove(PacketKind.PUNCH);
        a.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);
        b.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);

        Link ab = a.links.connect(b.identity.userId()).block(T);
        assertThat(ab.path()).isEqualTo(PathType.RELAYED);
        assertThat(NatTraversal.isVirtual(ab.remoteAddress())).isTrue();
        String secret = "PLAINTEXT-MARKER a->b the relay must never see";
        String secretBack = "PLAINTEXT-MARKER b->a the relay must never see";
        assertThat(ab.send(TEXT, Unpooled.copiedBuffer(secret, StandardCharsets.UTF_8))).isTrue();
        await().atMost(T).until(() -> b.received.contains(secret));
        Link ba = b.links.link(a.identity.userId()).orElseThrow();
        assertThat(ba.path()).isEqualTo(PathType.RELAYED);
        assertThat(ba.send(TEXT, Unpooled.copiedBuffer(secretBack, StandardCharsets.UTF_8))).isTrue();
        await().atMost(T).until(() -> a.received.contains(secretBack));
        assertThat(relay.forwardedPackets()).isGreaterThanOrEqualTo(4);
        // every packet the relay forwarded was recorded (handshake, both texts, keepalives)
        await().atMost(T).until(() -> relayed.size() >= relay.forwardedPackets());
        assertThat(relayed).hasSizeGreaterThanOrEqualTo(4);
        byte[] marker = "PLAINTEXT-MARKER".getBytes(StandardCharsets.UTF_8);
        // the marker check finds plaintext where there is some (the check itself can fail)
        assertThat(indexOf(("xx" + secret).getBytes(StandardCharsets.UTF_8), marker)).isEqualTo(2);
        for (byte[] packet : relayed) {
            assertThat(indexOf(packet, marker)).as("a packet the relay forwarded holds the friends' plaintext")
                    .isEqualTo(-1);
            assertThat(indexOf(packet, "the relay must never see".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        }
        // and the texts were forwarded by the relay at all: some forwarded packets are as long as a text frame
        assertThat(relayed).anyMatch(p -> p.length > secret.length());
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void theRelayEnforcesItsRatePerCircuit() {
        RpcEndpoint[] relayRpc = new RpcEndpoint[1];
        RelayServer relay = relay(RelayServer.Limits.defaults().bytesPerSecondPerPeer(1500), relayRpc);
        NatTraversal.Options fast = NatTraversal.Options.defaults().punchAttempts(2).punchInterval(Duration.ofMillis(50));
        Peer a = new Peer(fast);
        Peer b = new Peer(fast);
        a.router.remove(PacketKind.PUNCH);
        b.router.remove(PacketKind.PUNCH);
        a.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);
        b.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);
        Link ab = a.links.connect(b.identity.userId()).block(T);
        assertThat(ab.path()).isEqualTo(PathType.RELAYED);
        byte[] kb = new byte[1000];
        for (int i = 0; i < 200; i++) { // 200 KB at once: far over the burst of 64 KiB
            ab.send(TEXT, Unpooled.wrappedBuffer(kb));
        }
        await().atMost(T).until(() -> relay.droppedPackets() > 0);
        assertThat(relay.forwardedBytes()).isLessThan(200_000);
    }

    @Test
    void theRelayCapsBandwidthPerPeerAcrossAllItsCircuits() {
        RpcEndpoint[] relayRpc = new RpcEndpoint[1];
        // 1500 B/s with the smallest burst, 64 KiB: what one peer may send at once through all its circuits
        RelayServer relay = relay(RelayServer.Limits.defaults().bytesPerSecondPerPeer(1500), relayRpc);
        NatTraversal.Options fast = NatTraversal.Options.defaults().punchAttempts(2).punchInterval(Duration.ofMillis(50));
        Peer a = new Peer(fast);
        Peer b = new Peer(fast);
        Peer c = new Peer(fast);
        for (Peer p : List.of(a, b, c)) {
            p.router.remove(PacketKind.PUNCH);
            p.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);
        }
        Link ab = a.links.connect(b.identity.userId()).block(T);
        Link ac = a.links.connect(c.identity.userId()).block(T);
        assertThat(ab.path()).isEqualTo(PathType.RELAYED);
        assertThat(ac.path()).isEqualTo(PathType.RELAYED);
        long droppedBefore = relay.droppedPackets();
        // 40 KB on each circuit: each alone fits the burst (a per-circuit limit would drop nothing),
        // together (80 KB) they are over what a may send at once
        byte[] kb = new byte[1000];
        for (int i = 0; i < 40; i++) {
            assertThat(ab.send(TEXT, Unpooled.wrappedBuffer(kb))).isTrue();
            assertThat(ac.send(TEXT, Unpooled.wrappedBuffer(kb))).isTrue();
        }
        await().atMost(T).until(() -> relay.droppedPackets() > droppedBefore);
        assertThat(b.received.size() + c.received.size()).isLessThan(80);
    }

    @Test
    void anUnregisteredFriendIsTriedDirectly() {
        RpcEndpoint[] relayRpc = new RpcEndpoint[1];
        relay(RelayServer.Limits.defaults(), relayRpc);
        Peer a = new Peer(NatTraversal.Options.defaults());
        Peer b = new Peer(NatTraversal.Options.defaults()); // never registers with the relay
        a.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);
        Link ab = a.links.connect(b.identity.userId()).block(T);
        assertThat(ab.path()).isEqualTo(PathType.DIRECT);
        assertThat(ab.remoteAddress()).isEqualTo(b.transport.localAddress());
    }

    @Test
    void aPunchThatSucceedsAfterTheRelayFallbackMovesTheLink() {
        RpcEndpoint[] relayRpc = new RpcEndpoint[1];
        relay(RelayServer.Limits.defaults(), relayRpc);
        // the connect does not wait for the punch at all; periodic upgrades are off
        NatTraversal.Options impatient = NatTraversal.Options.defaults().relayAfter(Duration.ofNanos(1))
                .upgradeInterval(Duration.ofHours(1));
        Peer a = new Peer(impatient);
        Peer b = new Peer(impatient);
        a.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);
        b.nat.addRelay(relayRpc[0].transport().localAddress(), relayRpc[0].nodeKey()).block(T);
        Link ab = a.links.connect(b.identity.userId()).block(T);
        await().atMost(T).until(() -> ab.path() == PathType.DIRECT);
        assertThat(ab.remoteAddress()).isEqualTo(b.transport.localAddress());
        await().atMost(T).until(() -> b.links.link(a.identity.userId()).map(l -> l.path() == PathType.DIRECT)
                .orElse(false));
        assertThat(ab.send(TEXT, Unpooled.copiedBuffer("moved", StandardCharsets.UTF_8))).isTrue();
        await().atMost(T).until(() -> b.received.contains("moved"));
        Link ba = b.links.link(a.identity.userId()).orElseThrow();
        assertThat(ba.send(TEXT, Unpooled.copiedBuffer("moved-back", StandardCharsets.UTF_8))).isTrue();
        await().atMost(T).until(() -> a.received.contains("moved-back"));
    }

    @Test
    void anIntroductionOfAStrangerIsRefused() throws Exception {
        // a stand-in relay that accepts registrations and sends introductions itself
        UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)).block(T);
        PacketRouter router = PacketRouter.create(new SimpleMeterRegistry());
        t.receive(router);
        RpcEndpoint relayRpc = RpcEndpoint.create(t, router, X25519KeyPair.generate(), RpcOptions.create());
        relayRpc.handle(NatCodec.REGISTER, req -> Mono.just(NatCodec.encodeStatus(NatCodec.OK)));
        cleanup.add(() -> {
            relayRpc.close().block(T);
            t.close().block(T);
        });
        Peer b = new Peer(NatTraversal.Options.defaults());
        b.nat.addRelay(t.localAddress(), relayRpc.nodeKey()).block(T);
        UserId friend = LinkTestSupport.newIdentity().userId();
        UserId stranger = LinkTestSupport.newIdentity().userId();
        b.links.setAuthorizer(friend::equals);
        for (UserId from : List.of(stranger, friend)) {
            byte[] intro = NatCodec.encodeIntroduce(new NatCodec.Introduce(from, 7, from.hashCode(),
                    new java.net.InetSocketAddress("127.0.0.1", 9), List.of()));
            byte[] status = relayRpc.request(b.transport.localAddress(), b.rpc.nodeKey(), NatCodec.INTRODUCE, intro)
                    .block(T).body();
            assertThat(status).as("introduction of %s", from == friend ? "a friend" : "a stranger")
                    .containsExactly(from == friend ? NatCodec.OK : NatCodec.NOT_FOUND);
        }
    }
}
