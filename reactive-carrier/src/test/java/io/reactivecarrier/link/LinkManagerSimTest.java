package io.reactivecarrier.link;

import static io.reactivecarrier.link.LinkTestSupport.befriend;
import static io.reactivecarrier.link.LinkTestSupport.simNode;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.link.LinkTestSupport.Directory;
import io.reactivecarrier.link.LinkTestSupport.Node;
import io.reactivecarrier.transport.LinkProfile;
import io.reactivecarrier.transport.SimulatedNetwork;
import io.reactivecarrier.transport.SimulatedTransport;
import io.reactivecarrier.wire.PacketKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The friend link over the simulated network, on virtual time. */
class LinkManagerSimTest {

    static final int TEXT = 7;

    VirtualTimeScheduler vts;
    SimulatedNetwork net;
    Directory dir;
    LinkOptions options;
    final List<Node> nodes = new ArrayList<>();

    @BeforeEach
    void setUp() {
        vts = VirtualTimeScheduler.create();
        net = SimulatedNetwork.create(vts, 42);
        net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(10)));
        dir = new Directory();
        options = LinkOptions.create();
    }

    @AfterEach
    void tearDown() {
        for (Node n : nodes) {
            n.links.close().subscribe();
            n.transport.releaseCaptured();
        }
        vts.advanceTimeBy(Duration.ofSeconds(1));
        vts.dispose();
    }

    Node node() {
        Node n = simNode(net, dir, options);
        nodes.add(n);
        return n;
    }

    void advance(Duration d) {
        vts.advanceTimeBy(d);
    }

    long now() {
        return vts.now(TimeUnit.MILLISECONDS);
    }

    static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    /** Records the text frames a node receives. */
    static List<String> inbox(Node n) {
        List<String> inbox = new ArrayList<>();
        n.links.handle(TEXT, (link, payload) -> inbox.add(payload.toString(StandardCharsets.UTF_8)));
        return inbox;
    }

    CompletableFuture<Link> connect(Node from, Node to) {
        return from.links.connect(to.userId()).toFuture();
    }

    @Test
    void connectsAndCarriesDataBothWays() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        List<String> inA = inbox(a);
        List<String> inB = inbox(b);

        CompletableFuture<Link> f = connect(a, b);
        advance(Duration.ofMillis(100));
        assertThat(f).isCompleted();
        Link ab = f.join();
        assertThat(ab.isUp()).isTrue();
        assertThat(ab.path()).isEqualTo(PathType.DIRECT);
        assertThat(ab.remoteAddress()).isEqualTo(b.transport.localAddress());
        assertThat(ab.maxPayload()).isEqualTo(1280 - 31);

        Link ba = b.links.link(a.userId()).orElseThrow();
        assertThat(ba.isUp()).as("the responder confirmed the session on the initiator's keepalive").isTrue();
        assertThat(ab.send(TEXT, text("hello b"))).isTrue();
        assertThat(ba.send(TEXT, text("hello a"))).isTrue();
        advance(Duration.ofMillis(100));
        assertThat(inB).containsExactly("hello b");
        assertThat(inA).containsExactly("hello a");

        // mutual authentication: each side knows the other's user id and static key
        assertThat(a.link(b).staticKey).isEqualTo(b.identity.staticKey().publicKey());
        assertThat(b.link(a).staticKey).isEqualTo(a.identity.staticKey().publicKey());
        assertThat(a.events(LinkEvent.Type.UP)).hasSize(1);
        assertThat(b.events(LinkEvent.Type.UP)).hasSize(1);

        // reserved and oversized frames are refused (and released)
        assertThat(ab.send(0, text("x"))).isFalse();
        assertThat(ab.send(TEXT, Unpooled.wrappedBuffer(new byte[ab.maxPayload() + 1]))).isFalse();
        assertThat(ab.send(TEXT, Unpooled.wrappedBuffer(new byte[ab.maxPayload()]))).isTrue();

        // a second connect returns the same link at once
        CompletableFuture<Link> again = connect(a, b);
        assertThat(again).isCompletedWithValue(ab);
    }

    @Test
    void concurrentConnectsShareOneHandshake() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        CompletableFuture<Link> f1 = connect(a, b);
        CompletableFuture<Link> f2 = connect(a, b);
        advance(Duration.ofMillis(200));
        assertThat(f1.join()).isSameAs(f2.join());
        assertThat(a.links.metrics().handshakes(LinkMetrics.Outcome.INITIATED)).isEqualTo(1);
    }

    @Test
    void simultaneousInitiationLeavesOneSession() {
        for (long seed = 1; seed <= 5; seed++) {
            net = SimulatedNetwork.create(vts, seed);
            net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(10)).jitter(Duration.ofMillis(5)));
            Node a = node();
            Node b = node();
            befriend(a, b);
            List<String> inA = inbox(a);
            List<String> inB = inbox(b);
            CompletableFuture<Link> fa = connect(a, b);
            CompletableFuture<Link> fb = connect(b, a);
            advance(Duration.ofSeconds(10));
            assertThat(fa).isCompleted();
            assertThat(fb).isCompleted();
            FriendLink ab = a.link(b);
            FriendLink ba = b.link(a);
            assertThat(ab.current.localIndex).isEqualTo(ba.current.remoteIndex);
            assertThat(ba.current.localIndex).isEqualTo(ab.current.remoteIndex);
            // the surviving session is the one the larger user id initiated
            Node larger = a.userId().compareTo(b.userId()) > 0 ? a : b;
            assertThat(larger.link(larger == a ? b : a).current.initiator).isTrue();
            assertThat(fa.join().send(TEXT, text("x"))).isTrue();
            assertThat(fb.join().send(TEXT, text("y"))).isTrue();
            advance(Duration.ofMillis(100));
            assertThat(inB).containsExactly("x");
            assertThat(inA).containsExactly("y");
        }
    }

    @Test
    void handshakeSucceedsUnderThirtyPercentLoss() {
        int retransmitted = 0;
        for (long seed = 1; seed <= 10; seed++) {
            net = SimulatedNetwork.create(vts, seed);
            net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(20)).loss(0.3));
            Node a = node();
            Node b = node();
            befriend(a, b);
            CompletableFuture<Boolean> f = connect(a, b).thenApply(Link::isUp);
            advance(Duration.ofSeconds(60));
            assertThat(f).as("seed %d", seed).isCompletedWithValue(true);
            retransmitted += (int) (a.links.metrics().handshakes(LinkMetrics.Outcome.INITIATED) - 1);
        }
        assertThat(retransmitted).as("some initiations were lost and retransmitted").isPositive();
    }

    @Test
    void connectFailsAfterBoundedAttemptsWhenTheFriendIsSilent() {
        options = options.handshakeAttempts(4);
        Node a = node();
        Node b = node();
        befriend(a, b);
        net.kill(b.transport.localAddress());
        CompletableFuture<Link> f = connect(a, b);
        advance(Duration.ofSeconds(60));
        assertThat(f).isCompletedExceptionally();
        assertThat(f.handle((l, e) -> ((LinkException) e).reason()).join()).isEqualTo(LinkException.Reason.TIMEOUT);
        assertThat(a.links.metrics().handshakes(LinkMetrics.Outcome.INITIATED)).isEqualTo(4);
    }

    @Test
    void replayedInitiationIsRejectedByItsTimestamp() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        a.transport.capture = p -> p.getUnsignedByte(0) == PacketKind.LINK_HANDSHAKE_INIT.tag();
        connect(a, b);
        advance(Duration.ofMillis(100));
        assertThat(a.transport.captured).hasSize(1);
        long responded = b.links.metrics().handshakes(LinkMetrics.Outcome.RESPONDED);

        // an attacker replays the initiation, from A's address and from its own
        SimulatedTransport attacker = net.addNode();
        a.transport.delegate.send(b.transport.localAddress(), a.transport.captured.get(0).retainedDuplicate());
        attacker.send(b.transport.localAddress(), a.transport.captured.get(0).retainedDuplicate());
        advance(Duration.ofMillis(100));
        assertThat(b.dropped(LinkMetrics.Drop.REPLAYED_INIT)).isEqualTo(2);
        assertThat(b.links.metrics().handshakes(LinkMetrics.Outcome.RESPONDED)).isEqualTo(responded);
        assertThat(b.link(a).remoteAddress()).isEqualTo(a.transport.localAddress());
    }

    @Test
    void replayedDataIsRejectedByTheWindow() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        List<String> inB = inbox(b);
        Link ab = connectNow(a, b);
        a.transport.capture = p -> p.getUnsignedByte(0) == PacketKind.LINK_DATA.tag() && p.readableBytes() > 31;
        ab.send(TEXT, text("pay 10"));
        advance(Duration.ofMillis(100));
        assertThat(inB).containsExactly("pay 10");
        ByteBuf copy = a.transport.captured.get(0);
        a.transport.delegate.send(b.transport.localAddress(), copy.retainedDuplicate());
        net.addNode().send(b.transport.localAddress(), copy.retainedDuplicate());
        advance(Duration.ofMillis(100));
        assertThat(inB).containsExactly("pay 10");
        assertThat(b.dropped(LinkMetrics.Drop.REPLAY)).isEqualTo(2);
        assertThat(b.link(a).remoteAddress()).as("an unauthenticated replay does not move the endpoint")
                .isEqualTo(a.transport.localAddress());
    }

    @Test
    void corruptPacketsAreDroppedAndNeverDelivered() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        List<String> inB = inbox(b);
        Link ab = connectNow(a, b);
        net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(10)).corrupt(0.3));
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String s = "frame " + i;
            sent.add(s);
            ab.send(TEXT, text(s));
            advance(Duration.ofMillis(5));
        }
        advance(Duration.ofMillis(100));
        assertThat(sent).containsAll(inB);
        assertThat(inB.size()).isBetween(100, 199);
        // every corrupted datagram was counted as a drop, by the router (kind, version) or the link
        double dropped = b.dropped(LinkMetrics.Drop.DATA_AUTH) + b.dropped(LinkMetrics.Drop.UNKNOWN_INDEX)
                + b.dropped(LinkMetrics.Drop.REPLAY) + b.dropped(LinkMetrics.Drop.MALFORMED)
                + b.registry.counter("carrier.transport.packets.dropped", "reason", "unknown_kind").count()
                + b.registry.counter("carrier.transport.packets.dropped", "reason", "bad_version").count();
        assertThat(b.dropped(LinkMetrics.Drop.DATA_AUTH)).isPositive();
        assertThat(dropped).isGreaterThanOrEqualTo(200 - inB.size());
    }

    @Test
    void unauthorizedInitiatorIsDroppedSilently() {
        Node a = node();
        Node b = node();
        Node stranger = node();
        befriend(a, b);
        stranger.links.setAuthorizer(u -> true);
        stranger.transport.capture = p -> true;
        CompletableFuture<Link> f = connect(stranger, b);
        advance(Duration.ofSeconds(120));
        assertThat(f).isCompletedExceptionally();
        assertThat(b.dropped(LinkMetrics.Drop.UNAUTHORIZED)).isPositive();
        assertThat(b.links.link(stranger.userId())).isEmpty();
        assertThat(b.transport.packetsSent).as("nothing is sent back to a stranger").isZero();
    }

    @Test
    void contactWithForgedBindingIsRefused() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        PeerContact real = b.contact();
        byte[] forged = real.binding();
        forged[0] ^= 1;
        dir.contacts.put(b.userId(), new PeerContact(b.userId(), real.staticKey(), forged, real.endpoints()));
        CompletableFuture<Link> f = connect(a, b);
        advance(Duration.ofSeconds(1));
        assertThat(f.handle((l, e) -> ((LinkException) e).reason()).join()).isEqualTo(LinkException.Reason.BAD_BINDING);
        dir.contacts.remove(b.userId());
        CompletableFuture<Link> g = connect(a, b);
        advance(Duration.ofSeconds(1));
        assertThat(g.handle((l, e) -> ((LinkException) e).reason()).join()).isEqualTo(LinkException.Reason.NOT_FOUND);
        assertThat(a.links.link(b.userId())).as("a failed connect leaves no state").isEmpty();
    }

    @Test
    void aResolverThatNeverAnswersTimesOut() {
        Node a = new Node(LinkTestSupport.newIdentity(), net.addNode(), friend -> reactor.core.publisher.Mono.never(), options);
        nodes.add(a);
        Node b = node();
        CompletableFuture<Link> f = connect(a, b);
        advance(LinkManager.RESOLVE_TIMEOUT.plusSeconds(1));
        assertThat(f.handle((l, e) -> ((LinkException) e).reason()).join()).isEqualTo(LinkException.Reason.NOT_FOUND);
    }

    @Test
    void floodOfInitiationsCostsBoundedWorkAndAFriendGetsThroughWithACookie() {
        options = options.handshakeRateLimit(20, 10).underLoadThreshold(32);
        Node a = node();
        Node b = node();
        befriend(a, b);
        List<String> inB = inbox(b);
        LinkPackets packets = new LinkPackets();
        byte[] mac1Key = LinkPackets.mac1Key(b.identity.staticKey().publicKey());
        SplittableRandom random = new SplittableRandom(7);
        List<SimulatedTransport> attackers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            attackers.add(net.addNode());
        }
        long start = now();
        CompletableFuture<Link> f = null;
        // 10,000 initiations from random keys over 10 s, each with a valid mac1 (b's public key is public)
        for (int i = 0; i < 10_000; i++) {
            ByteBuf init = Unpooled.buffer(LinkPackets.INIT_LENGTH);
            init.writeByte(PacketKind.LINK_HANDSHAKE_INIT.tag()).writeByte(1).writeInt(random.nextInt());
            byte[] noise = new byte[LinkPackets.NOISE_MSG1];
            random.nextBytes(noise);
            init.writeBytes(noise).writeZero(32);
            packets.writeMac(mac1Key, init, LinkPackets.INIT_MAC1);
            attackers.get(i % attackers.size()).send(b.transport.localAddress(), init);
            if (i % 10 == 9) {
                advance(Duration.ofMillis(10));
            }
            if (i == 2000) {
                f = connect(a, b);
            }
        }
        advance(Duration.ofSeconds(1));
        long elapsedS = (now() - start + 999) / 1000;
        long processed = (long) b.links.metrics().processed.count();
        assertThat(processed).as("DH work is bounded by the global bucket").isLessThanOrEqualTo(10 + 20 * elapsedS);
        assertThat(b.links.metrics().cookiesSent.count()).isPositive();
        assertThat(b.dropped(LinkMetrics.Drop.COOKIE_REQUIRED)).isGreaterThan(9000);
        assertThat(f).isCompleted();
        assertThat(a.link(b).cookie).as("the friend went through the cookie path").isNotNull();
        assertThat(f.join().send(TEXT, text("made it"))).isTrue();
        advance(Duration.ofMillis(100));
        assertThat(inB).containsExactly("made it");
    }

    @Test
    void rekeysWithoutLosingData() {
        options = options.rekeyAfterTime(Duration.ofSeconds(10)).rejectAfterTime(Duration.ofSeconds(15));
        Node a = node();
        Node b = node();
        befriend(a, b);
        List<String> inA = inbox(a);
        List<String> inB = inbox(b);
        Link ab = connectNow(a, b);
        Link ba = b.links.link(a.userId()).orElseThrow();
        List<LinkSession> seen = new ArrayList<>();
        int sent = 0;
        for (int i = 0; i < 600; i++) { // 60 s
            assertThat(ab.send(TEXT, text("a" + i))).isTrue();
            assertThat(ba.send(TEXT, text("b" + i))).isTrue();
            sent++;
            advance(Duration.ofMillis(100));
            LinkSession c = a.link(b).current;
            if (seen.isEmpty() || seen.get(seen.size() - 1) != c) {
                seen.add(c);
            }
        }
        advance(Duration.ofMillis(100));
        assertThat(seen.size()).as("sessions (keys) over 60 s with rekey after 10 s").isGreaterThanOrEqualTo(5);
        assertThat(inB).hasSize(sent);
        assertThat(inA).hasSize(sent);
        assertThat(a.events(LinkEvent.Type.DOWN)).isEmpty();
        assertThat(b.events(LinkEvent.Type.DOWN)).isEmpty();
        assertThat(a.dropped(LinkMetrics.Drop.DATA_AUTH) + b.dropped(LinkMetrics.Drop.DATA_AUTH)).isZero();
    }

    @Test
    void rekeysAfterABoundedNumberOfPackets() {
        options = options.rekeyAfterMessages(100);
        Node a = node();
        Node b = node();
        befriend(a, b);
        List<String> inB = inbox(b);
        Link ab = connectNow(a, b);
        LinkSession first = a.link(b).current;
        for (int i = 0; i < 250; i++) {
            assertThat(ab.send(TEXT, text("m" + i))).isTrue();
            advance(Duration.ofMillis(20));
        }
        advance(Duration.ofSeconds(2));
        assertThat(a.link(b).current).isNotSameAs(first);
        assertThat(a.links.metrics().handshakes(LinkMetrics.Outcome.COMPLETED)).isGreaterThanOrEqualTo(3);
        assertThat(inB).hasSize(250);
    }

    @Test
    void presenceDownWithinDeadAfterAndUpWhenTheFriendReturns() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        long t0 = now();
        connectNow(a, b);
        assertThat(a.eventTimes.get(0) - t0).as("online within 5 s").isLessThanOrEqualTo(5000);
        advance(Duration.ofSeconds(30));
        assertThat(a.events(LinkEvent.Type.DOWN)).as("keepalives hold an idle link").isEmpty();

        long killed = now();
        net.kill(b.transport.localAddress());
        advance(Duration.ofSeconds(20));
        assertThat(a.events(LinkEvent.Type.DOWN)).hasSize(1);
        long downAt = a.eventTimes.get(a.events.indexOf(a.events(LinkEvent.Type.DOWN).get(0)));
        assertThat(downAt - killed).as("offline within 15 s").isLessThanOrEqualTo(15_000);
        assertThat(a.links.link(b.userId()).orElseThrow().isUp()).isFalse();

        long back = now();
        net.restart(b.transport.localAddress());
        advance(Duration.ofSeconds(10));
        assertThat(a.events(LinkEvent.Type.UP)).hasSize(2);
        long upAt = a.eventTimes.get(a.eventTimes.size() - 1);
        assertThat(upAt - back).as("online again within 5 s").isLessThanOrEqualTo(5000);
    }

    @Test
    void aFriendThatClosesSaysGoodbyeAndIsDownAtOnce() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        connectNow(a, b);
        assertThat(a.events(LinkEvent.Type.DOWN)).isEmpty();
        b.links.close().block(Duration.ofSeconds(5));
        advance(Duration.ofMillis(500));
        // the authenticated goodbye, not the 12 s dead timer, took the link down
        assertThat(a.events(LinkEvent.Type.DOWN)).hasSize(1);
        assertThat(a.links.link(b.userId()).map(Link::isUp).orElse(false)).isFalse();
    }

    @Test
    void aFriendThatRestartsWithFreshStateReconnects() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        connectNow(a, b);
        // b's process crashes and restarts: a new manager with the same keys on a new socket
        // (killed first, so no goodbye reaches a)
        net.kill(b.transport.localAddress());
        b.links.close().subscribe();
        Node b2 = new Node(b.identity, net.addNode(), dir, options);
        nodes.add(b2);
        dir.publish(b2);
        b2.links.setAuthorizer(a.userId()::equals);
        List<String> inA = inbox(a);
        CompletableFuture<Link> f = connect(b2, a);
        advance(Duration.ofSeconds(1));
        assertThat(f).isCompleted();
        assertThat(f.join().send(TEXT, text("I'm back"))).isTrue();
        advance(Duration.ofMillis(100));
        assertThat(inA).containsExactly("I'm back");
        assertThat(a.events(LinkEvent.Type.ADDRESS_CHANGED)).isNotEmpty();
        assertThat(a.link(b).remoteAddress()).isEqualTo(b2.transport.localAddress());
    }

    @Test
    void linkFollowsItsFriendToANewAddress() {
        Node a = node();
        Node b = node();
        befriend(a, b);
        List<String> inA = inbox(a);
        List<String> inB = inbox(b);
        Link ab = connectNow(a, b);
        Link ba = b.links.link(a.userId()).orElseThrow();
        // b's NAT rebinds: same state, new source address
        SimulatedTransport moved = net.addNode();
        b.transport.rebind(moved);
        assertThat(ba.send(TEXT, text("from my new address"))).isTrue();
        advance(Duration.ofMillis(100));
        assertThat(inA).containsExactly("from my new address");
        assertThat(ab.remoteAddress()).isEqualTo(moved.localAddress());
        assertThat(a.events(LinkEvent.Type.ADDRESS_CHANGED)).hasSize(1);
        assertThat(ab.send(TEXT, text("got it"))).isTrue();
        advance(Duration.ofMillis(100));
        assertThat(inB).containsExactly("got it");
        assertThat(a.events(LinkEvent.Type.DOWN)).isEmpty();
    }

    @Test
    void idleTrafficOfAHundredFriendsStaysUnderTwoKilobytesPerSecond() {
        Node hub = node();
        List<Node> friends = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            friends.add(node());
        }
        List<Node> all = new ArrayList<>(friends);
        all.add(hub);
        befriend(all.toArray(Node[]::new));
        for (Node f : friends) {
            connect(hub, f);
        }
        advance(Duration.ofSeconds(10));
        assertThat(hub.events(LinkEvent.Type.UP)).hasSize(100);
        long bytes0 = hub.transport.bytesSent;
        long packets0 = hub.transport.packetsSent;
        long t0 = now();
        advance(Duration.ofMinutes(10)); // includes 5 rekeys of every link
        double seconds = (now() - t0) / 1000.0;
        double payloadPerSecond = (hub.transport.bytesSent - bytes0) / seconds;
        double withHeaders = (hub.transport.bytesSent - bytes0 + 28.0 * (hub.transport.packetsSent - packets0)) / seconds;
        assertThat(withHeaders).as("idle bytes/s sent by a node with 100 friends, IPv4+UDP headers included")
                .isLessThanOrEqualTo(2000);
        assertThat(payloadPerSecond / 100).as("idle UDP payload bytes/s per friend").isLessThanOrEqualTo(20);
        assertThat(hub.events(LinkEvent.Type.DOWN)).isEmpty();
    }

    @Test
    void disconnectAndCloseEmitDown() {
        Node a = node();
        Node b = node();
        Node c = node();
        befriend(a, b, c);
        connectNow(a, b);
        connectNow(a, c);
        a.links.disconnect(b.userId()).subscribe();
        assertThat(a.links.link(b.userId())).isEmpty();
        a.links.close().subscribe();
        assertThat(a.events(LinkEvent.Type.DOWN)).hasSize(2);
        CompletableFuture<Link> f = connect(a, c);
        assertThat(f.handle((l, e) -> ((LinkException) e).reason()).join()).isEqualTo(LinkException.Reason.CLOSED);
    }


    @Test
    void presenceHoldsUnderTenPercentLossAndRecoversUnderThirty() {
        for (double loss : new double[] {0.1, 0.3}) {
            for (long seed = 1; seed <= 5; seed++) {
                net = SimulatedNetwork.create(vts, seed);
                net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(20)));
                Node a = node();
                Node b = node();
                befriend(a, b);
                connectNow(a, b);
                net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(20)).loss(loss));
                advance(Duration.ofMinutes(10)); // five rekeys under loss
                net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(20)));
                advance(Duration.ofSeconds(10));
                for (Node n : List.of(a, b)) {
                    if (loss < 0.2) {
                        // keepalive probes make a false DOWN need ~6 lost round trips in a row
                        assertThat(n.events(LinkEvent.Type.DOWN)).as("loss %s seed %d", loss, seed).isEmpty();
                    }
                    assertThat(n.links.link((n == a ? b : a).userId()).orElseThrow().isUp())
                            .as("up at the end, loss %s seed %d", loss, seed).isTrue();
                }
            }
        }
    }

    Link connectNow(Node from, Node to) {
        CompletableFuture<Link> f = connect(from, to);
        advance(Duration.ofMillis(200));
        assertThat(f).isCompleted();
        return f.join();
    }
}
