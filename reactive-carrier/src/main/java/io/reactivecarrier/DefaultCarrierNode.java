package io.reactivecarrier;

import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.dht.Dht;
import io.reactivecarrier.dht.DhtNode;
import io.reactivecarrier.dht.DhtOptions;
import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.PeerRecord;
import io.reactivecarrier.dht.RoutingSnapshot;
import io.reactivecarrier.dht.RpcDhtTransport;
import io.reactivecarrier.dht.StorePersistence;
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
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The composition root of a node: store, UDP transport, RPC endpoint and DHT, started in that
 * order and stopped in the reverse one.
 */
final class DefaultCarrierNode implements CarrierNode {

    private static final Logger log = LoggerFactory.getLogger(DefaultCarrierNode.class);
    private static final byte[] SNAPSHOT_KEY = "dht.snapshot".getBytes(StandardCharsets.US_ASCII);

    private final CarrierBuilder config;
    private final Mono<Void> startOnce;

    private volatile Running running;
    private volatile boolean stopped;

    /** Everything a started node holds. */
    private record Running(NodeStore store, Ed25519KeyPair identity, X25519KeyPair nodeKey, int nospam,
            UdpTransport transport, RpcEndpoint rpc, DhtNode dht, KeyValueMap nodeMap, Disposable announcer) {
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
        return NodeStore.open(config.dataDir)
                .publishOn(Schedulers.parallel())
                .flatMap(store -> startWith(store)
                        .onErrorResume(e -> store.close().onErrorResume(x -> Mono.empty()).then(Mono.error(e))))
                .timeout(config.startTimeout, Mono.error(() -> new IllegalStateException(
                        "node did not start within " + config.startTimeout + "; are the bootstrap nodes reachable?")));
    }

    private Mono<Void> startWith(NodeStore store) {
        KeyValueMap nodeMap = store.map("node");
        return store.identityOrCreate(DefaultCarrierNode::newIdentity)
                .zipWith(nodeMap.get(SNAPSHOT_KEY))
                .zipWith(StorePersistence.load(store))
                .publishOn(Schedulers.parallel())
                .flatMap(t -> {
                    StoredIdentity id = t.getT1().getT1();
                    List<NodeInfo> snapshot = t.getT1().getT2().map(DefaultCarrierNode::decodeSnapshot)
                            .orElse(List.of());
                    Ed25519KeyPair identity = Ed25519KeyPair.fromSeed(id.ed25519Seed());
                    X25519KeyPair nodeKey = X25519KeyPair.fromPrivateKey(id.x25519Private());
                    return UdpTransport.bind(UdpTransportOptions.create()
                                    .host(config.bindHost).port(config.bindPort)
                                    .meterRegistry(config.meterRegistry))
                            .flatMap(transport -> {
                                PacketRouter router = PacketRouter.create(config.meterRegistry);
                                transport.receive(router);
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
                                return dht.start()
                                        .then(Mono.fromSupplier(() -> new Running(store, identity, nodeKey,
                                                id.nospam(), transport, rpc, dht, nodeMap, null)))
                                        .onErrorResume(e -> rpc.close().then(transport.close()).then(Mono.error(e)));
                            });
                })
                .flatMap(r -> {
                    Running withAnnouncer = new Running(r.store, r.identity, r.nodeKey, r.nospam, r.transport, r.rpc,
                            r.dht, r.nodeMap, scheduleAnnouncements(r));
                    running = withAnnouncer;
                    log.info("node {} started on {} (node id {})", UserId.of(r.identity.publicKey()).shortString(),
                            r.transport.localAddress(), r.dht.id());
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

    private Disposable scheduleAnnouncements(Running r) {
        long period = config.peerRecordTtl.toMillis() / 2;
        return r.transport.scheduler().schedulePeriodically(
                () -> announce(r).subscribe(null, e -> log.debug("peer-record announcement failed: {}", e.toString())),
                period, period, TimeUnit.MILLISECONDS);
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
            Running r = running;
            running = null;
            if (r == null) {
                return Mono.empty();
            }
            if (r.announcer != null) {
                r.announcer.dispose();
            }
            return r.dht.snapshot()
                    .flatMap(nodes -> r.nodeMap.put(SNAPSHOT_KEY, RoutingSnapshot.encode(nodes)))
                    .onErrorResume(e -> {
                        log.warn("could not save the routing table: {}", e.toString());
                        return Mono.empty();
                    })
                    .then(r.dht.stop())
                    .then(r.rpc.close())
                    .then(r.transport.close())
                    .then(r.store.close())
                    .doOnSuccess(v -> log.info("node {} stopped", UserId.of(r.identity.publicKey()).shortString()));
        });
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
        return Address.of(UserId.of(r.identity.publicKey()), r.nospam);
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

    @Override
    public String toString() {
        Running r = running;
        return r == null ? "CarrierNode[" + config.dataDir + ", not running]"
                : "CarrierNode[" + UserId.of(r.identity.publicKey()).shortString() + " @ " + r.transport.localAddress() + "]";
    }
}
