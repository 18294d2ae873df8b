package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.link.LinkTestSupport.Directory;
import io.reactivecarrier.link.LinkTestSupport.Node;
import io.reactivecarrier.transport.LinkProfile;
import io.reactivecarrier.transport.SimulatedNetwork;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Hostile link packets (INIT, RESP, COOKIE, DATA: docs/protocol/link.md) at a node with an UP link
 * to one friend and a pending handshake to another: random bytes of every kind and length, random
 * bodies of the exact lengths with a valid mac1 and the index of the pending handshake (so they
 * reach Noise and the cookie box), and every captured real packet with bits flipped. Each one is
 * dropped and counted exactly once, never throws into the router (no {@code handler_error}),
 * leaves the caller's buffer alone, never reaches a frame handler, and the link stays UP.
 */
class LinkPacketProperties {

    static final int TEXT = 7;
    static final int[] KINDS = {PacketKind.LINK_HANDSHAKE_INIT.tag(), PacketKind.LINK_HANDSHAKE_RESP.tag(),
            PacketKind.LINK_COOKIE.tag(), PacketKind.LINK_DATA.tag()};

    final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    final SimulatedNetwork net = SimulatedNetwork.create(vts, 5);
    final Directory dir = new Directory();
    final Node a;
    final Node b;
    final Node c;
    final List<byte[]> captured = new ArrayList<>();
    final List<String> delivered = new ArrayList<>();
    final Link ab;

    LinkPacketProperties() {
        net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(10)));
        a = LinkTestSupport.simNode(net, dir, LinkOptions.create());
        b = LinkTestSupport.simNode(net, dir, LinkOptions.create());
        c = LinkTestSupport.simNode(net, dir, LinkOptions.create());
        // a and b are friends; a also initiates to c, which does not know a: a's handshake stays pending
        a.links.setAuthorizer(u -> u.equals(b.userId()) || u.equals(c.userId()));
        b.links.setAuthorizer(u -> u.equals(a.userId()));
        c.links.setAuthorizer(u -> false);
        a.transport.capture = p -> true;
        b.transport.capture = p -> true;
        a.links.handle(TEXT, (link, payload) -> delivered.add(payload.toString(StandardCharsets.UTF_8)));
        b.links.handle(TEXT, (link, payload) -> delivered.add(payload.toString(StandardCharsets.UTF_8)));
        CompletableFuture<Link> f = a.links.connect(b.userId()).toFuture();
        vts.advanceTimeBy(Duration.ofMillis(200));
        ab = f.join();
        ab.send(TEXT, Unpooled.copiedBuffer("hello", StandardCharsets.UTF_8));
        b.links.link(a.userId()).orElseThrow().send(TEXT, Unpooled.copiedBuffer("hi", StandardCharsets.UTF_8));
        a.links.connect(c.userId()).subscribe(l -> { }, e -> { });
        vts.advanceTimeBy(Duration.ofMillis(200));
        for (ByteBuf p : a.transport.captured) {
            captured.add(bytes(p));
        }
        for (ByteBuf p : b.transport.captured) {
            captured.add(bytes(p));
        }
        a.transport.releaseCaptured();
        b.transport.releaseCaptured();
        a.transport.capture = p -> false;
        b.transport.capture = p -> false;
        assertThat(delivered).containsExactlyInAnyOrder("hello", "hi");
        delivered.clear();
        assertThat(captured.stream().map(p -> p[0] & 0xff).distinct().sorted().toList())
                .as("kinds captured").contains(0x10, 0x11, 0x13);
    }

    static byte[] bytes(ByteBuf p) {
        byte[] out = new byte[p.readableBytes()];
        p.getBytes(p.readerIndex(), out);
        return out;
    }

    /** The index of a's pending initiation to c (fresh after each retransmission). */
    int pendingIndex() {
        FriendLink l = a.link(c);
        return l.pending == null ? 0 : l.pending.localIndex;
    }

    static double drops(Node n) {
        double sum = 0;
        for (LinkMetrics.Drop d : LinkMetrics.Drop.values()) {
            sum += n.dropped(d);
        }
        return sum + n.registry.find("carrier.transport.packets.dropped").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    static double handlerErrors(Node n) {
        Counter errors = n.registry.find("carrier.transport.packets.dropped").tag("reason", "handler_error").counter();
        return errors == null ? 0 : errors.count();
    }

    static InetSocketAddress source(Random r) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, (byte) r.nextInt(256),
                    (byte) r.nextInt(256), (byte) (1 + r.nextInt(254))}), 1 + r.nextInt(65535));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Delivers {@code bytes} to {@code to} from {@code from} and checks it was dropped once and harmlessly. */
    void assertDroppedOnce(Node to, InetSocketAddress from, byte[] bytes) {
        double before = drops(to);
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        to.router.onDatagram(from, in);
        assertThat(in.refCnt()).as("the caller's buffer").isEqualTo(1);
        in.release();
        assertThat(handlerErrors(to)).as("exceptions out of the link manager").isZero();
        assertThat(drops(to)).as("drops counted").isEqualTo(before + 1);
        assertThat(delivered).as("frames delivered").isEmpty();
        assertThat(ab.isUp()).as("the link stays up").isTrue();
    }

    @Property(tries = 400)
    void randomBytesOfEveryKindAreDroppedOnce(@ForAll @IntRange(min = 0, max = 3) int kind,
            @ForAll @Size(max = 1400) byte[] tail, @ForAll boolean toInitiator) {
        byte[] p = new byte[2 + tail.length];
        p[0] = (byte) KINDS[kind];
        p[1] = 1;
        System.arraycopy(tail, 0, p, 2, tail.length);
        Random r = new Random(tail.length);
        assertDroppedOnce(toInitiator ? a : b, source(r), p);
    }

    @Property(tries = 400)
    void exactLengthBodiesWithValidMacsAndKnownIndicesAreDroppedOnce(@ForAll long seed) {
        Random r = new Random(seed);
        LinkPackets packets = new LinkPackets();
        int which = r.nextInt(4);
        Node to = which == 0 ? b : a;
        int length = switch (which) {
            case 0 -> LinkPackets.INIT_LENGTH;
            case 1 -> LinkPackets.RESP_LENGTH;
            case 2 -> LinkPackets.COOKIE_PACKET_LENGTH;
            default -> LinkPackets.DATA_OVERHEAD + r.nextInt(1200);
        };
        byte[] p = new byte[length];
        r.nextBytes(p);
        p[0] = (byte) KINDS[which];
        p[1] = 1;
        ByteBuf buf = Unpooled.wrappedBuffer(p);
        switch (which) {
            case 0 -> {
                buf.setZero(LinkPackets.INIT_MAC2, LinkPackets.MAC_LENGTH);
                packets.writeMac(LinkPackets.mac1Key(b.identity.staticKey().publicKey()), buf, LinkPackets.INIT_MAC1);
            }
            case 1 -> {
                buf.setInt(LinkPackets.RESP_RECEIVER, pendingIndex());
                buf.setZero(LinkPackets.RESP_MAC2, LinkPackets.MAC_LENGTH);
                packets.writeMac(LinkPackets.mac1Key(a.identity.staticKey().publicKey()), buf, LinkPackets.RESP_MAC1);
            }
            case 2 -> buf.setInt(LinkPackets.COOKIE_RECEIVER, pendingIndex());
            default -> {
                FriendLink l = a.link(b);
                if (l.current != null && r.nextBoolean()) {
                    buf.setInt(LinkPackets.DATA_RECEIVER, l.current.localIndex);
                    buf.setLong(LinkPackets.DATA_COUNTER, r.nextInt(1 << 20));
                }
            }
        }
        assertDroppedOnce(to, source(r), p);
        if (r.nextInt(8) == 0) {
            vts.advanceTimeBy(Duration.ofMillis(1100)); // refills the handshake token buckets; retransmits to c
        }
    }

    @Property(tries = 600)
    void everyCapturedPacketWithBitsFlippedIsDroppedOnce(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] p = captured.get(r.nextInt(captured.size())).clone();
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            int bit = r.nextInt(p.length * 8);
            p[bit >>> 3] ^= (byte) (1 << (bit & 7));
        }
        // a packet of a goes to b and the other way round; the source is the real peer's address
        boolean fromA = (p[0] & 0xff) == PacketKind.LINK_HANDSHAKE_INIT.tag() ? true
                : (p[0] & 0xff) == PacketKind.LINK_HANDSHAKE_RESP.tag() ? false : r.nextBoolean();
        Node to = fromA ? b : a;
        Node from = fromA ? a : b;
        assertDroppedOnce(to, from.transport.localAddress(), p);
    }

    @Property(tries = 200)
    void everyCapturedPacketCutShortIsDroppedOnce(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] p = captured.get(r.nextInt(captured.size()));
        byte[] cut = java.util.Arrays.copyOf(p, r.nextInt(p.length));
        assertDroppedOnce(r.nextBoolean() ? a : b, source(r), cut);
    }
}
