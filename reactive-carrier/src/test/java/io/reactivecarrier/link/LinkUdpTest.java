package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.reactivecarrier.link.LinkTestSupport.Directory;
import io.reactivecarrier.link.LinkTestSupport.Node;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two nodes on real UDP sockets on 127.0.0.1. */
class LinkUdpTest {

    static final int DATA = 9;
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    final List<Node> nodes = new ArrayList<>();
    final Directory dir = new Directory();

    @AfterEach
    void tearDown() {
        for (Node n : nodes) {
            n.links.close().block(TIMEOUT);
            n.transport.close().block(TIMEOUT);
        }
    }

    Node node(LinkIdentity identity) {
        UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)).block(TIMEOUT);
        Node n = new Node(identity, t, dir, LinkOptions.create());
        nodes.add(n);
        dir.publish(n);
        return n;
    }

    @Test
    void exchangesFramesAndFollowsAPeerToANewSocket() {
        Node a = node(LinkTestSupport.newIdentity());
        LinkIdentity bIdentity = LinkTestSupport.newIdentity();
        Node b = node(bIdentity);
        a.links.setAuthorizer(b.userId()::equals);
        b.links.setAuthorizer(a.userId()::equals);
        AtomicInteger receivedByB = new AtomicInteger();
        AtomicLong sumAtB = new AtomicLong();
        b.links.handle(DATA, (link, payload) -> {
            sumAtB.addAndGet(payload.readInt());
            receivedByB.incrementAndGet();
        });
        AtomicInteger receivedByA = new AtomicInteger();
        a.links.handle(DATA, (link, payload) -> receivedByA.incrementAndGet());

        Link ab = a.links.connect(b.userId()).block(TIMEOUT);
        assertThat(ab).isNotNull();
        assertThat(ab.remoteAddress()).isEqualTo(b.transport.localAddress());
        await().atMost(TIMEOUT).until(() -> b.links.link(a.userId()).map(Link::isUp).orElse(false));

        // 1000 frames, in windows of 100 so a small kernel receive buffer cannot drop them
        long expected = 0;
        for (int i = 0; i < 1000; i++) {
            assertThat(ab.send(DATA, Unpooled.buffer(4).writeInt(i))).isTrue();
            expected += i;
            if (i % 100 == 99) {
                int want = i + 1;
                await().atMost(TIMEOUT).until(() -> receivedByB.get() >= want);
            }
        }
        assertThat(receivedByB.get()).isEqualTo(1000);
        assertThat(sumAtB.get()).isEqualTo(expected);
        Link ba = b.links.link(a.userId()).orElseThrow();
        assertThat(ba.send(DATA, Unpooled.buffer(4).writeInt(1))).isTrue();
        await().atMost(TIMEOUT).until(() -> receivedByA.get() == 1);

        // b's process dies (no goodbye: its socket goes first) and comes back on another socket
        // with the same keys, then reconnects
        b.transport.close().block(TIMEOUT);
        b.links.close().block(TIMEOUT);
        nodes.remove(b);
        Node b2 = node(bIdentity);
        b2.links.setAuthorizer(a.userId()::equals);
        AtomicInteger receivedByB2 = new AtomicInteger();
        b2.links.handle(DATA, (link, payload) -> receivedByB2.incrementAndGet());
        assertThat(b2.transport.localAddress()).isNotEqualTo(b.transport.localAddress());
        Link b2a = b2.links.connect(a.userId()).block(TIMEOUT);
        assertThat(b2a).isNotNull();
        assertThat(b2a.send(DATA, Unpooled.buffer(4).writeInt(2))).isTrue();
        await().atMost(TIMEOUT).until(() -> receivedByA.get() == 2);
        Link ab2 = a.links.link(b.userId()).orElseThrow();
        assertThat(ab2).as("the same link object survives the move").isSameAs(ab);
        assertThat(ab.remoteAddress()).isEqualTo(b2.transport.localAddress());
        assertThat(a.events(LinkEvent.Type.ADDRESS_CHANGED)).isNotEmpty();
        for (int i = 0; i < 10; i++) {
            assertThat(ab.send(DATA, Unpooled.buffer(4).writeInt(i))).isTrue();
        }
        await().atMost(TIMEOUT).until(() -> receivedByB2.get() == 10);
    }
}
