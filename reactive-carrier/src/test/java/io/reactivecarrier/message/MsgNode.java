package io.reactivecarrier.message;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.dht.DhtNode;
import io.reactivecarrier.dht.DhtOptions;
import io.reactivecarrier.dht.Mailbox;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.PeerRecord;
import io.reactivecarrier.dht.RpcDhtTransport;
import io.reactivecarrier.link.LinkEvent;
import io.reactivecarrier.link.LinkIdentity;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.link.LinkOptions;
import io.reactivecarrier.link.PeerContact;
import io.reactivecarrier.store.NodeStore;
import io.reactivecarrier.store.StoredIdentity;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A node for the message tests and benchmarks, composed as the node will be: store, UDP
 * transport, router, RPC, DHT, links (resolved through signed DHT peer records), mailbox and the
 * message service. Also a DHT-only node ({@link #dhtOnly}) for storage.
 */
public final class MsgNode {

    public static final Duration T = Duration.ofSeconds(30);

    public final NodeStore store;
    public final Ed25519KeyPair identity;
    public final X25519KeyPair nodeKey;
    public final UdpTransport transport;
    public final RpcEndpoint rpc;
    public final DhtNode dht;
    public final LinkManager links;
    public final Mailbox mailbox;
    public final TestFriends friends;
    public final MessageService messages;
    public io.micrometer.core.instrument.MeterRegistry registry;

    private MsgNode(NodeStore store, Ed25519KeyPair identity, X25519KeyPair nodeKey, UdpTransport transport,
            RpcEndpoint rpc, DhtNode dht, LinkManager links, Mailbox mailbox, TestFriends friends,
            MessageService messages) {
        this.store = store;
        this.identity = identity;
        this.nodeKey = nodeKey;
        this.transport = transport;
        this.rpc = rpc;
        this.dht = dht;
        this.links = links;
        this.mailbox = mailbox;
        this.friends = friends;
        this.messages = messages;
    }

    /** A friend table over a set, and the link manager's UP events as "online". */
    public static final class TestFriends implements FriendDirectory {
        public final Set<UserId> set = ConcurrentHashMap.newKeySet();
        LinkManager links;

        @Override
        public boolean isFriend(UserId user) {
            return set.contains(user);
        }

        @Override
        public Flux<UserId> online() {
            return links.events().filter(e -> e.type() == LinkEvent.Type.UP).map(LinkEvent::peer);
        }
    }

    /** Starts a full node in {@code dir} (keeping the identity stored there across restarts). */
    public static MsgNode start(Path dir, List<NodeInfo> bootstrap, MessageOptions options, int port,
            UserId... initialFriends) {
        NodeStore store = NodeStore.open(dir).block(T);
        StoredIdentity id = store.identityOrCreate(() -> new StoredIdentity(Ed25519KeyPair.generate().seed(),
                X25519KeyPair.generate().privateKey(), new SecureRandom().nextInt())).block(T);
        Ed25519KeyPair identity = Ed25519KeyPair.fromSeed(id.ed25519Seed());
        X25519KeyPair nodeKey = X25519KeyPair.fromPrivateKey(id.x25519Private());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // histogram buckets that count since the start, not over a rolling two-minute window: the
        // messages benchmark subtracts two snapshots' bucket counts (a rotation between them made
        // "forces over 1 ms" larger than the forces in a run)
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id meter, DistributionStatisticConfig config) {
                return DistributionStatisticConfig.builder().expiry(Duration.ofDays(365)).bufferLength(1).build()
                        .merge(config);
            }
        });
        store.bindMetrics(registry, UserId.of(identity.publicKey()).shortString());
        UdpTransport transport = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(port)
                .meterRegistry(registry)).block(T);
        PacketRouter router = PacketRouter.create(registry);
        transport.receive(router);
        RpcEndpoint rpc = RpcEndpoint.create(transport, router, nodeKey, RpcOptions.create().meterRegistry(registry));
        DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)),
                DhtOptions.defaults().bootstrap(bootstrap).storage(64L << 20, 100_000, Duration.ofDays(7))
                        .meterRegistry(registry));
        dht.start().block(T);
        TestFriends friends = new TestFriends();
        friends.set.addAll(List.of(initialFriends));
        LinkManager links = LinkManager.create(transport, router, new LinkIdentity(identity, nodeKey),
                user -> dht.findPeer(user.toBytes())
                        .map(r -> new PeerContact(user, r.nodeId().bytes(), null, r.endpoints()))
                        .onErrorResume(e -> Mono.empty()),
                LinkOptions.create().meterRegistry(registry));
        links.setAuthorizer(friends::isFriend);
        friends.links = links;
        Mailbox mailbox = Mailbox.of(dht, identity);
        MessageService messages = MessageService.create(store, links, mailbox, friends,
                options.meterRegistry(registry));
        MsgNode node = new MsgNode(store, identity, nodeKey, transport, rpc, dht, links, mailbox, friends, messages);
        node.registry = registry;
        node.announce();
        messages.start().block(T);
        return node;
    }

    /** Publishes this node's signed peer record (how friends find its link key and address). */
    public void announce() {
        long now = System.currentTimeMillis();
        dht.announcePeer(PeerRecord.create(identity, dht.id(), List.of(transport.localAddress()), now,
                now + 3_600_000)).block(T);
    }

    public UserId userId() {
        return UserId.of(identity.publicKey());
    }

    public void befriend(MsgNode other) {
        friends.set.add(other.userId());
        other.friends.set.add(userId());
    }

    /** Closes everything (the store last). */
    public void stop() {
        messages.close().onErrorResume(e -> Mono.empty()).block(T);
        links.close().onErrorResume(e -> Mono.empty()).block(T);
        dht.stop().onErrorResume(e -> Mono.empty()).block(T);
        rpc.close().onErrorResume(e -> Mono.empty()).block(T);
        transport.close().onErrorResume(e -> Mono.empty()).block(T);
        store.close().onErrorResume(e -> Mono.empty()).block(T);
    }

    /** A DHT-only node (storage for mailboxes), stopped by the returned runnable. */
    public record DhtOnly(UdpTransport transport, RpcEndpoint rpc, DhtNode dht) {
        public NodeInfo info() {
            InetSocketAddress a = transport.localAddress();
            return new NodeInfo(dht.id(), a);
        }

        public void stop() {
            dht.stop().onErrorResume(e -> Mono.empty()).block(T);
            rpc.close().onErrorResume(e -> Mono.empty()).block(T);
            transport.close().onErrorResume(e -> Mono.empty()).block(T);
        }
    }

    public static DhtOnly dhtOnly(List<NodeInfo> bootstrap) {
        UdpTransport transport = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)).block(T);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PacketRouter router = PacketRouter.create(registry);
        transport.receive(router);
        RpcEndpoint rpc = RpcEndpoint.create(transport, router, X25519KeyPair.generate(),
                RpcOptions.create().meterRegistry(registry));
        DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)),
                DhtOptions.defaults().bootstrap(bootstrap).storage(64L << 20, 100_000, Duration.ofDays(7))
                        .meterRegistry(registry));
        dht.start().block(T);
        return new DhtOnly(transport, rpc, dht);
    }
}
