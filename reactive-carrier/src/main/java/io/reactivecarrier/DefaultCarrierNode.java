package io.reactivecarrier;

import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.dht.Dht;
import io.reactivecarrier.dht.DhtNode;
import io.reactivecarrier.dht.DhtOptions;
import io.reactivecarrier.dht.LanDiscovery;
import io.reactivecarrier.dht.NatInfo;
import io.reactivecarrier.dht.RelayDirectory;
import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.PeerRecord;
import io.reactivecarrier.dht.RoutingSnapshot;
import io.reactivecarrier.dht.RpcDhtTransport;
import io.reactivecarrier.dht.StorePersistence;
import io.reactivecarrier.friend.DhtPeerResolver;
import io.reactivecarrier.friend.FriendService;
import io.reactivecarrier.friend.Friends;
import io.reactivecarrier.link.LinkIdentity;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.link.LinkOptions;
import io.reactivecarrier.link.NatTraversal;
import io.reactivecarrier.link.RelayServer;
import io.reactivecarrier.dht.Mailbox;
import io.reactivecarrier.friend.FriendEvent;
import io.reactivecarrier.message.FriendDirectory;
import io.reactivecarrier.message.MessageService;
import io.reactivecarrier.message.Messages;
import io.reactivecarrier.session.FileTransfers;
import io.reactivecarrier.session.PortForwarding;
import io.reactivecarrier.session.Sessions;
import io.reactivecarrier.store.KeyValueMap;
import io.reactivecarrier.store.NodeStore;
import io.reactivecarrier.store.StoredIdentity;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import io.reactivecarrier.wire.DecodeException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The composition root of a node: store, UDP transport, RPC endpoint, DHT, friend links and the
 * friend service, started in that order and stopped in the reverse one.
 */
final class DefaultCarrierNode implements CarrierNode {

    private static final Logger log = LoggerFactory.getLogger(DefaultCarrierNode.class);
    private static final long ANNOUNCE_RETRY_MS = 5_000;
    private static final byte[] SNAPSHOT_KEY = "dht.snapshot".getBytes(StandardCharsets.US_ASCII);

    private final CarrierBuilder config;
    /** The router of the node's socket (the NAT roles register packet kinds on it). */
    private volatile PacketRouter router;
    private final Mono<Void> startOnce;

    private volatile Running running;
    private volatile boolean stopped;
    /** A start was subscribed to (it may still be under way). */
    private volatile boolean starting;
    /** Saves the routing-table snapshot periodically while the node runs (not only on stop). */
    private volatile RoutingSnapshotSaver snapshotSaver;
    /** The opt-in NAT roles (relay, LAN discovery) of the running node; see startNatRoles. */
    private volatile List<AutoCloseable> natRoles = List.of();

    /** Everything a started node holds. */
    private record Running(NodeStore store, Ed25519KeyPair identity, X25519KeyPair nodeKey, int nospam,
            UdpTransport transport, RpcEndpoint rpc, DhtNode dht, KeyValueMap nodeMap, Disposable announcer,
            LinkManager links, FriendService friends, NatTraversal nat, MessageService messages, Sessions sessions,
            PortForwarding forwarding, FileTransfers files) {
    }

    DefaultCarrierNode(CarrierBuilder config) {
        this.config = config;
        this.startOnce = Mono.defer(this::doStart).cache();
    }

    @Override
    public Mono<Void> start() {
        return startOnce;
    }

    private Mono<Void> doStart() {
        if (stopped) {
            return Mono.error(new IllegalStateException("this node was stopped; build a new one to start again"));
        }
        starting = true;
        // the step under way, named when the start times out
        java.util.concurrent.atomic.AtomicReference<String> step = new java.util.concurrent.atomic.AtomicReference<>(
                "opening the store");
        return NodeStore.open(config.dataDir)
                .publishOn(Schedulers.parallel())
                .flatMap(store -> startWith(store, step)
                        .onErrorResume(e -> store.close().onErrorResume(x -> Mono.empty()).then(Mono.error(e))))
                .timeout(config.startTimeout, Mono.error(() -> new IllegalStateException("node did not start within "
                        + config.startTimeout + " (still " + step.get() + "); are the bootstrap nodes reachable?"
                        + (STORE_STEPS.contains(step.get()) ? storeThreads() : ""))));
    }

    /** Start steps that wait for the store only. */
    private static final java.util.Set<String> STORE_STEPS = java.util.Set.of("opening the store",
            "reading the identity and the routing table snapshot", "loading the message outbox and inbox",
            "loading friends");

    /**
     * For a start that timed out in a store step: what the store threads are doing. (A start was seen stuck in the
     * store's first reads: in tests, BlockHound's error thrown out of the store queue's contended lock lost the
     * store thread's wake-up, which then slept in its queue's take() with tasks queued; see BlockHoundSetup.)
     */
    private static String storeThreads() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().startsWith("carrier-store")) {
                b.append("\n  ").append(thread.getName()).append(' ').append(thread.getState());
                for (int i = 0; i < Math.min(stack.length, 12); i++) {
                    b.append("\n    at ").append(stack[i]);
                }
            }
        });
        return b.length() == 0 ? "" : "\nstore threads:" + b;
    }

    private Mono<Void> startWith(NodeStore store, java.util.concurrent.atomic.AtomicReference<String> step) {
        KeyValueMap nodeMap = store.map("node");
        step.set("reading the identity and the routing table snapshot");
        java.util.concurrent.atomic.AtomicReference<List<NodeInfo>> loadedSnapshot =
                new java.util.concurrent.atomic.AtomicReference<>(List.of());
        return store.identityOrCreate(DefaultCarrierNode::newIdentity)
                .zipWith(nodeMap.get(SNAPSHOT_KEY))
                .zipWith(StorePersistence.load(store))
                .publishOn(Schedulers.parallel())
                .flatMap(t -> {
                    StoredIdentity id = t.getT1().getT1();
                    List<NodeInfo> snapshot = t.getT1().getT2().map(DefaultCarrierNode::decodeSnapshot)
                            .orElse(List.of());
                    loadedSnapshot.set(snapshot);
                    Ed25519KeyPair identity = Ed25519KeyPair.fromSeed(id.ed25519Seed());
                    X25519KeyPair nodeKey = X25519KeyPair.fromPrivateKey(id.x25519Private());
                    store.bindMetrics(config.meterRegistry, UserId.of(identity.publicKey()).shortString());
                    step.set("binding the UDP socket");
                    return UdpTransport.bind(UdpTransportOptions.create()
                                    .host(config.bindHost).port(config.bindPort)
                                    .meterRegistry(config.meterRegistry))
                            .flatMap(transport -> {
                                PacketRouter router = PacketRouter.create(config.meterRegistry);
                                transport.receive(router);
                                DefaultCarrierNode.this.router = router;
                                RpcEndpoint rpc = RpcEndpoint.create(transport, router, nodeKey,
                                        RpcOptions.create().meterRegistry(config.meterRegistry));
                                List<NodeInfo> bootstrap = config.bootstrap.stream()
                                        .map(BootstrapNode::toNodeInfo).toList();
                                DhtOptions dhtOptions = DhtOptions.defaults()
                                        .bootstrap(bootstrap).snapshot(snapshot)
                                        .persistence(t.getT2())
                                        .meterRegistry(config.meterRegistry);
                                DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)),
                                        dhtOptions);
                                NatTraversal nat = NatTraversal.create(rpc, router, UserId.of(identity.publicKey()),
                                        NatTraversal.Options.defaults().meterRegistry(config.meterRegistry));
                                LinkManager links = LinkManager.create(nat.linkTransport(), nat.linkRouter(),
                                        new LinkIdentity(identity, nodeKey), nat.resolver(DhtPeerResolver.over(dht)),
                                        LinkOptions.create().meterRegistry(config.meterRegistry));
                                nat.attach(links);
                                FriendService friends = FriendService.create(store, links, dht, rpc, identity,
                                        id.nospam(), config.friendOptions);
                                MessageService messages = MessageService.create(store, links,
                                        Mailbox.of(dht, identity), directoryOf(friends),
                                        config.messageOptions.mailboxPoll(Duration.ZERO)
                                                .meterRegistry(config.meterRegistry));
                                Sessions sessions = Sessions.create(links, nat.linkTransport(), nat.linkRouter(),
                                        config.meterRegistry);
                                PortForwarding forwarding = PortForwarding.create(sessions, config.forwardingIdleTimeout);
                                FileTransfers files = FileTransfers.create(sessions);
                                for (int type = MESSAGE_ITEMS_FROM; type <= MESSAGE_ITEMS_TO; type++) {
                                    friends.mailbox().register(type, messages::onMailboxItem);
                                }
                                step.set("joining the DHT");
                                return dht.start()
                                        .then(Mono.defer(() -> {
                                            step.set("loading the message outbox and inbox");
                                            return messages.start();
                                        }))
                                        .then(Mono.defer(() -> {
                                            step.set("loading friends");
                                            return friends.start();
                                        }))
                                        .then(Mono.fromSupplier(() -> new Running(store, identity, nodeKey,
                                                id.nospam(), transport, rpc, dht, nodeMap, null, links, friends, nat,
                                                messages, sessions, forwarding, files)))
                                        .onErrorResume(e -> files.close().then(forwarding.close())
                                                .then(sessions.close()).then(messages.close()).then(friends.stop()).then(nat.close())
                                                .then(links.close()).then(rpc.close())
                                                .then(transport.close()).then(Mono.error(e)));
                            });
                })
                .flatMap(r -> {
                    Running withAnnouncer = new Running(r.store, r.identity, r.nodeKey, r.nospam, r.transport, r.rpc,
                            r.dht, r.nodeMap, scheduleAnnouncements(r), r.links, r.friends, r.nat, r.messages, r.sessions, r.forwarding, r.files);
                    running = withAnnouncer;
                    snapshotSaver = RoutingSnapshotSaver.start(r.dht::snapshot,
                            bytes -> r.nodeMap.put(SNAPSHOT_KEY, bytes), loadedSnapshot.get(),
                            config.routingSnapshotPeriod, Schedulers.parallel());
                    startNatRoles(withAnnouncer);
                    log.info("node {} started on {} (node id {})", UserId.of(r.identity.publicKey()).shortString(),
                            r.transport.localAddress(), r.dht.id());
                    step.set("announcing the peer record for the first time");
                    return announce(withAnnouncer).onErrorResume(e -> {
                        log.info("first peer-record announcement failed ({}); will retry", e.toString());
                        return Mono.empty();
                    }).then();
                });
    }

    private static StoredIdentity newIdentity() {
        Ed25519KeyPair identity = Ed25519KeyPair.generate();
        X25519KeyPair nodeKey = X25519KeyPair.generate();
        return new StoredIdentity(identity.seed(), nodeKey.privateKey(), new SecureRandom().nextInt());
    }

    private static List<NodeInfo> decodeSnapshot(byte[] bytes) {
        try {
            return RoutingSnapshot.decode(bytes);
        } catch (DecodeException e) {
            log.warn("ignoring an unreadable routing-table snapshot: {}", e.getMessage());
            return List.of();
        }
    }

    /**
     * Re-announces the peer record every half TTL, and every few seconds while the last
     * announcement reached no node (the first node of a network has nobody to store it with until
     * others join: without the retry its friends could not find it for half an hour).
     */
    private Disposable scheduleAnnouncements(Running r) {
        long period = config.peerRecordTtl.toMillis() / 2;
        long retry = Math.min(period, ANNOUNCE_RETRY_MS);
        java.util.concurrent.atomic.AtomicLong nextAt = new java.util.concurrent.atomic.AtomicLong(
                System.currentTimeMillis() + retry);
        java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
        return r.transport.scheduler().schedulePeriodically(() -> {
            if (System.currentTimeMillis() < nextAt.get() || !busy.compareAndSet(false, true)) {
                return;
            }
            announce(r).defaultIfEmpty(0).onErrorResume(e -> {
                log.debug("peer-record announcement failed: {}", e.toString());
                return Mono.just(0);
            }).subscribe(stored -> {
                nextAt.set(System.currentTimeMillis() + (stored > 0 ? period : retry));
                busy.set(false);
            });
        }, retry, retry, TimeUnit.MILLISECONDS);
    }

    /** Signs and stores this node's peer record: which node serves this user, at which endpoints. */
    private Mono<Integer> announce(Running r) {
        return Mono.defer(() -> {
            long now = System.currentTimeMillis();
            PeerRecord record = PeerRecord.create(r.identity, r.dht.id(), endpoints(r), now,
                    now + config.peerRecordTtl.toMillis());
            return r.dht.announcePeer(record);
        });
    }

    private List<InetSocketAddress> endpoints(Running r) {
        InetSocketAddress local = r.transport.localAddress();
        List<InetSocketAddress> list = new ArrayList<>();
        InetSocketAddress observed = r.dht.observedAddress();
        if (observed != null) {
            list.add(observed);
        }
        if (!local.getAddress().isAnyLocalAddress()) {
            if (!list.contains(local)) {
                list.add(local);
            }
        } else {
            for (InetAddress a : interfaceAddresses()) {
                InetSocketAddress e = new InetSocketAddress(a, local.getPort());
                if (list.size() < PeerRecord.MAX_ENDPOINTS && !list.contains(e)) {
                    list.add(e);
                }
            }
        }
        if (list.isEmpty()) {
            list.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), local.getPort()));
        }
        return list;
    }

    private static List<InetAddress> interfaceAddresses() {
        try {
            List<InetAddress> out = new ArrayList<>();
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (ni.isUp()) {
                    for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                        if (!a.isLinkLocalAddress()) {
                            out.add(a);
                        }
                    }
                }
            }
            out.sort((a, b) -> Boolean.compare(a.isLoopbackAddress(), b.isLoopbackAddress()));
            return out;
        } catch (SocketException e) {
            return List.of();
        }
    }

    @Override
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            stopped = true;
            if (starting && running == null) {
                // a start under way: let it end (it fails or times out by itself) and stop what it
                // started, else its store would stay open and the data directory locked
                return startOnce.onErrorResume(e -> Mono.empty()).then(Mono.defer(this::stopRunning));
            }
            return stopRunning();
        });
    }

    private Mono<Void> stopRunning() {
        return Mono.defer(() -> {
            Running r = running;
            running = null;
            if (r == null) {
                return Mono.empty();
            }
            if (r.announcer != null) {
                r.announcer.dispose();
            }
            RoutingSnapshotSaver saver = snapshotSaver;
            if (saver != null) {
                saver.dispose();
            }
            stopNatRoles();
            // each step is deferred: some close() methods act when called, and the transport must
            // stay open until the links have said goodbye
            // a step that fails is logged and the rest still run: the store must always close (it
            // holds the data directory's lock)
            return step("file transfers", () -> r.files.close())
                    .then(step("port forwarding", () -> r.forwarding.close()))
                    .then(step("sessions", () -> r.sessions.close()))
                    .then(step("messages", () -> r.messages.close()))
                    .then(step("friends", () -> r.friends.stop()))
                    .then(step("NAT traversal", () -> r.nat.close()))
                    .then(step("links", () -> r.links.close()))
                    .then(step("routing table snapshot", () -> r.dht.snapshot()
                            .flatMap(nodes -> r.nodeMap.put(SNAPSHOT_KEY, RoutingSnapshot.encode(nodes)))
                            .then()))
                    .then(step("DHT", () -> r.dht.stop()))
                    .then(step("RPC", () -> r.rpc.close()))
                    .then(step("UDP transport", () -> r.transport.close()))
                    .then(Mono.defer(() -> r.store.close()))
                    .doOnSuccess(v -> log.info("node {} stopped", UserId.of(r.identity.publicKey()).shortString()));
        });
    }

    /** The nodes in the last routing-table snapshot the periodic saver wrote since start, 0 before (tests). */
    int periodicallySavedSnapshotNodes() {
        RoutingSnapshotSaver saver = snapshotSaver;
        return saver == null ? 0 : saver.lastSavedNodes();
    }

    /** One step of {@link #stop()}: deferred, and its failure logged instead of ending the stop. */
    private static Mono<Void> step(String what, java.util.function.Supplier<? extends Mono<?>> close) {
        return Mono.defer(close).then().onErrorResume(e -> {
            log.warn("stopping: closing the {} failed: {}", what, e.toString());
            return Mono.empty();
        });
    }

    /** Starts the relay role and LAN discovery when the builder asked for them. */
    private void startNatRoles(Running r) {
        List<AutoCloseable> roles = new ArrayList<>();
        if (config.relay) {
            RelayServer relay = RelayServer.start(r.rpc, routerOf(r), config.relayLimits);
            Duration ttl = Duration.ofMinutes(30);
            // announced at once, again every half TTL, every few seconds while the last announcement
            // reached no node, and again soon after the network grew while it reached fewer than k
            // nodes (the DHT does not pass it on to nodes that join later closer to its key)
            Disposable timer = RelayDirectory.keepAnnounced(r.dht, () -> new NodeInfo(r.dht.id(), publicAddress(r)),
                    ttl, r.transport.scheduler());
            roles.add(() -> {
                timer.dispose();
                relay.close().subscribe();
            });
        }
        // every node looks for relays in the DHT and registers with them, so a friend behind a
        // symmetric NAT can reach it; a relay does not register with itself
        Runnable findRelays = () -> RelayDirectory.find(r.dht)
                .flatMapMany(Flux::fromIterable)
                .filter(relay -> !relay.id().equals(r.dht.id()) && !r.nat.relays().contains(relay.address()))
                .flatMap(relay -> r.nat.addRelay(relay.address(), relay.id().bytes())
                        .onErrorResume(e -> {
                            log.debug("relay {} did not take the registration: {}", relay.address(), e.toString());
                            return Mono.empty();
                        }))
                .subscribe(null, e -> log.debug("relay lookup failed: {}", e.toString()));
        // the first lookup runs right after the DHT join; while no relay is registered the lookup
        // is repeated after 2 s, 4 s, 8 s, 16 s, then every RELAY_LOOKUP_RETRY_MAX for the first
        // RELAY_LOOKUP_FAST_TRIES, so a node that started before any relay was announced (or whose
        // first lookup timed out) does not wait minutes; after that the wait doubles up to
        // RELAY_LOOKUP_EVERY. Every reader asks the same k nodes (those closest to the directory's
        // key): in a network without relays, a lookup every 20 s from every node would keep those
        // nodes busy (5 requests a second each with 100 nodes)
        java.util.concurrent.atomic.AtomicLong nextLookup = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong backoff = new java.util.concurrent.atomic.AtomicLong(
                RELAY_LOOKUP_FIRST.toMillis());
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        Runnable relayTick = () -> {
            long now = System.currentTimeMillis();
            if (now < nextLookup.get()) {
                return;
            }
            long wait = RELAY_LOOKUP_EVERY.toMillis();
            if (r.nat.relays().isEmpty()) {
                long cap = tries.incrementAndGet() < RELAY_LOOKUP_FAST_TRIES ? RELAY_LOOKUP_RETRY_MAX.toMillis()
                        : RELAY_LOOKUP_EVERY.toMillis();
                wait = backoff.getAndUpdate(b -> Math.min(b * 2, cap));
            } else {
                backoff.set(RELAY_LOOKUP_FIRST.toMillis());
                tries.set(0);
            }
            nextLookup.set(now + wait);
            findRelays.run();
        };
        Disposable relayFinder = r.transport.scheduler().schedulePeriodically(relayTick,
                0, RELAY_LOOKUP_FIRST.toMillis(), TimeUnit.MILLISECONDS);
        roles.add(relayFinder::dispose);
        if (config.lanDiscovery) {
            try {
                roles.add(LanDiscovery.start(r.dht, r.transport));
            } catch (java.io.IOException e) {
                log.warn("LAN discovery is off: {}", e.getMessage());
            }
        }
        natRoles = List.copyOf(roles);
    }

    private void stopNatRoles() {
        for (AutoCloseable c : natRoles) {
            try {
                c.close();
            } catch (Exception e) {
                log.debug("closing a NAT role failed: {}", e.toString());
            }
        }
        natRoles = List.of();
    }

    private PacketRouter routerOf(Running r) {
        return router;
    }

    /** Where others reach this node: the address DHT nodes agree on, else the last one seen, else the bound one. */
    private static InetSocketAddress publicAddress(Running r) {
        NatInfo nat = r.dht.natInfo();
        if (nat.external() != null) {
            return nat.external();
        }
        InetSocketAddress seen = r.dht.observedAddress();
        if (seen != null) {
            return seen;
        }
        InetSocketAddress local = r.transport.localAddress();
        return local.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), local.getPort()) : local;
    }

    /** Message items in the mailbox (types 0x10-0x1F) go to the message service. */
    private static final int MESSAGE_ITEMS_FROM = 0x10;
    private static final Duration RELAY_LOOKUP_FIRST = Duration.ofSeconds(2);
    private static final Duration RELAY_LOOKUP_EVERY = Duration.ofMinutes(5);
    /** The longest wait between the first relay lookups while no relay is registered. */
    private static final Duration RELAY_LOOKUP_RETRY_MAX = Duration.ofSeconds(20);
    /** Lookups (without a relay registered) waiting at most RELAY_LOOKUP_RETRY_MAX: about 70 s. */
    private static final int RELAY_LOOKUP_FAST_TRIES = 6;
    private static final int MESSAGE_ITEMS_TO = 0x1F;

    /** The friends layer as the message layer sees it: who is a friend, who just came online. */
    private static FriendDirectory directoryOf(FriendService friends) {
        return new FriendDirectory() {
            @Override
            public boolean isFriend(UserId user) {
                return friends.isFriend(user);
            }

            @Override
            public Flux<UserId> online() {
                return friends.events().filter(e -> e.type() == FriendEvent.Type.ONLINE).map(e -> e.friend().id());
            }
        };
    }

    @Override
    public PortForwarding forwarding() {
        return running().forwarding;
    }

    @Override
    public FileTransfers files() {
        return running().files;
    }

    @Override
    public Sessions sessions() {
        return running().sessions;
    }

    @Override
    public Messages messages() {
        return running().messages;
    }

    @Override
    public NatInfo natInfo() {
        return running().dht.natInfo();
    }

    @Override
    public boolean isRunning() {
        return running != null;
    }

    private Running running() {
        Running r = running;
        if (r == null) {
            throw new IllegalStateException(stopped ? "the node is stopped" : "the node is not started; subscribe to start() first");
        }
        return r;
    }

    @Override
    public UserId userId() {
        return UserId.of(running().identity.publicKey());
    }

    @Override
    public Address address() {
        Running r = running();
        return r.friends.address();
    }

    @Override
    public NodeId nodeId() {
        return running().dht.id();
    }

    @Override
    public InetSocketAddress localAddress() {
        return running().transport.localAddress();
    }

    @Override
    public BootstrapNode bootstrapInfo() {
        Running r = running();
        InetSocketAddress local = r.transport.localAddress();
        InetSocketAddress reachable = local.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), local.getPort())
                : local;
        return new BootstrapNode(reachable, r.dht.id());
    }

    /** The signing identity, for this package's services and tests; never part of the API. */
    Ed25519KeyPair identityForTests() {
        return running().identity;
    }

    @Override
    public Path dataDir() {
        return config.dataDir;
    }

    @Override
    public Dht dht() {
        return running().dht;
    }

    /** {@inheritDoc} The service's {@link FriendService#mailbox()} is the node's mailbox dispatcher. */
    @Override
    public Friends friends() {
        return running().friends;
    }

    /** The node's friend service (for the layers above: messages use its mailbox and events). */
    FriendService friendService() {
        return running().friends;
    }

    /** The relays this node registers with (for tests). */
    List<InetSocketAddress> registeredRelays() {
        return running().nat.relays();
    }

    /** The node's link manager (for the layers above). */
    LinkManager links() {
        return running().links;
    }

    @Override
    public String toString() {
        Running r = running;
        return r == null ? "CarrierNode[" + config.dataDir + ", not running]"
                : "CarrierNode[" + UserId.of(r.identity.publicKey()).shortString() + " @ " + r.transport.localAddress() + "]";
    }
}
