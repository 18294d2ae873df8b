package io.reactivecarrier.session;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.link.LinkIdentity;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.link.LinkOptions;
import io.reactivecarrier.link.PeerContact;
import io.reactivecarrier.link.PeerResolver;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/** Friends on real loopback UDP sockets, each with its own link manager and sessions; nodes can stop and restart. */
final class Friends implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(120);

    final Map<UserId, PeerContact> directory = new ConcurrentHashMap<>();
    final PeerResolver resolver = friend -> Mono.justOrEmpty(directory.get(friend));
    final List<Node> nodes = new ArrayList<>();

    final class Node {
        final LinkIdentity identity;
        final UdpTransport transport;
        final PacketRouter router;
        final LinkManager links;
        final Sessions sessions;
        boolean stopped;

        Node(LinkIdentity identity) {
            this.identity = identity;
            transport = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)).block(TIMEOUT);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            router = PacketRouter.create(registry);
            transport.receive(router);
            links = LinkManager.create(transport, router, identity, resolver, LinkOptions.create().meterRegistry(registry));
            sessions = Sessions.create(links, transport, router);
            directory.put(id(), new PeerContact(id(), identity.staticKey().publicKey(), identity.binding(),
                    List.of(transport.localAddress())));
        }

        UserId id() {
            return identity.userId();
        }

        InetSocketAddress address() {
            return transport.localAddress();
        }

        void befriend(Node other) {
            links.setAuthorizer(u -> nodes.stream().anyMatch(n -> n != this && n.id().equals(u)));
            other.links.setAuthorizer(u -> nodes.stream().anyMatch(n -> n != other && n.id().equals(u)));
        }

        /** Stops this node as a crash would look to the friend: sockets closed, nothing said. */
        void stop() {
            if (!stopped) {
                stopped = true;
                sessions.close().onErrorResume(e -> Mono.empty()).block(TIMEOUT);
                links.close().onErrorResume(e -> Mono.empty()).block(TIMEOUT);
                transport.close().onErrorResume(e -> Mono.empty()).block(TIMEOUT);
            }
        }

        /** A new node with the same identity (a restarted process). */
        Node restart() {
            stop();
            Node n = new Node(identity);
            nodes.add(n);
            return n;
        }
    }

    Node node() {
        Node n = new Node(new LinkIdentity(Ed25519KeyPair.generate(), X25519KeyPair.generate()));
        nodes.add(n);
        return n;
    }

    /** Two nodes that are friends of each other (every node here counts as a friend of the others). */
    Node[] pair() {
        Node a = node();
        Node b = node();
        a.befriend(b);
        return new Node[] {a, b};
    }

    @Override
    public void close() {
        for (Node n : new ArrayList<>(nodes)) {
            n.stop();
        }
    }
}
