package io.reactivecarrier.link;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.transport.DatagramHandler;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.SimulatedNetwork;
import io.reactivecarrier.transport.SimulatedTransport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** Nodes, a directory resolver and a tapping, rebindable transport for the link tests. */
final class LinkTestSupport {

    private LinkTestSupport() {
    }

    /** A resolver over a mutable table of contacts (what the DHT peer records will provide). */
    static final class Directory implements PeerResolver {
        final Map<UserId, PeerContact> contacts = new ConcurrentHashMap<>();

        @Override
        public Mono<PeerContact> resolve(UserId friend) {
            return Mono.justOrEmpty(contacts.get(friend));
        }

        void publish(Node n) {
            contacts.put(n.userId(), n.contact());
        }
    }

    /**
     * Delegates to a transport, counts the bytes sent, keeps copies of the sent datagrams that
     * match a filter, and can move to another transport (a rebinding NAT or a new socket) while
     * the link manager above keeps its state.
     */
    static final class TapTransport implements DatagramTransport {
        volatile DatagramTransport delegate;
        DatagramHandler handler;
        long bytesSent;
        long packetsSent;
        Predicate<ByteBuf> capture = b -> false;
        final List<ByteBuf> captured = new ArrayList<>();

        TapTransport(DatagramTransport delegate) {
            this.delegate = delegate;
        }

        void rebind(DatagramTransport next) {
            DatagramTransport old = delegate;
            delegate = next;
            if (handler != null) {
                next.receive(handler);
            }
            old.close().subscribe();
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
            bytesSent += data.readableBytes();
            packetsSent++;
            if (capture.test(data)) {
                captured.add(data.copy());
            }
            delegate.send(recipient, data);
        }

        @Override
        public void receive(DatagramHandler handler) {
            this.handler = handler;
            delegate.receive(handler);
        }

        @Override
        public Mono<Void> close() {
            return delegate.close();
        }

        void releaseCaptured() {
            captured.forEach(ByteBuf::release);
            captured.clear();
        }
    }

    /** One node: keys, transport, router, link manager, a record of its events. */
    static final class Node {
        final LinkIdentity identity;
        final TapTransport transport;
        final PacketRouter router;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final LinkManager links;
        final List<LinkEvent> events = new ArrayList<>();
        final List<Long> eventTimes = new ArrayList<>();

        Node(LinkIdentity identity, DatagramTransport transport, PeerResolver resolver, LinkOptions options) {
            this.identity = identity;
            this.transport = new TapTransport(transport);
            this.router = PacketRouter.create(registry);
            this.transport.receive(router);
            this.links = LinkManager.create(this.transport, router, identity, resolver, options.meterRegistry(registry));
            links.events().subscribe(e -> {
                synchronized (events) {
                    events.add(e);
                    eventTimes.add(transport.scheduler().now(java.util.concurrent.TimeUnit.MILLISECONDS));
                }
            });
        }

        UserId userId() {
            return identity.userId();
        }

        PeerContact contact() {
            return new PeerContact(userId(), identity.staticKey().publicKey(), identity.binding(),
                    List.of(transport.localAddress()));
        }

        FriendLink link(Node other) {
            return (FriendLink) links.link(other.userId()).orElse(null);
        }

        List<LinkEvent> events(LinkEvent.Type type) {
            synchronized (events) {
                return events.stream().filter(e -> e.type() == type).toList();
            }
        }

        long dropped(LinkMetrics.Drop reason) {
            return links.metrics().dropped(reason);
        }
    }

    static LinkIdentity newIdentity() {
        return new LinkIdentity(Ed25519KeyPair.generate(), X25519KeyPair.generate());
    }

    static Node simNode(SimulatedNetwork net, Directory dir, LinkOptions options) {
        SimulatedTransport t = net.addNode();
        Node n = new Node(newIdentity(), t, dir, options);
        dir.publish(n);
        return n;
    }

    /** Makes every node a friend of every other. */
    static void befriend(Node... nodes) {
        for (Node n : nodes) {
            List<UserId> friends = new ArrayList<>();
            for (Node m : nodes) {
                if (m != n) {
                    friends.add(m.userId());
                }
            }
            n.links.setAuthorizer(friends::contains);
        }
    }
}
