package io.reactivecarrier.dht;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.dht.DhtCodec.Status;
import io.reactivecarrier.wire.DecodeException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A DHT node over a {@link DhtTransport}: serves the DHT RPCs, keeps the routing table alive
 * (liveness pings, replacement, bucket refresh) and runs iterative lookups for the API of
 * {@link Dht}. All state lives on the transport's scheduler.
 *
 * <pre>{@code
 * RpcEndpoint rpc = RpcEndpoint.create(transport, router, nodeKey, RpcOptions.create());
 * NodeInfo bootstrap = new NodeInfo(NodeId.fromHex(bootstrapHex), bootstrapAddress);
 * DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)),
 *         DhtOptions.defaults().bootstrap(List.of(bootstrap)));
 * dht.start().block(Duration.ofSeconds(30));         // joined: the self-lookup is done
 * dht.storeValue(DhtValue.immutable(data, System.currentTimeMillis() + 3_600_000))
 *         .subscribe(n -> log.info("stored on {} nodes", n));
 * dht.probeNat(3).subscribe(nat -> log.info("seen from outside as {}", nat.external()));
 * }</pre>
 */
public final class DhtNode implements Dht {

    /** Stale entries are pinged before a newcomer may replace them only if unseen this long. */
    static final long EVICTION_PING_AFTER_MS = 60_000;

    private final DhtTransport transport;
    private final DhtOptions options;
    private final Scheduler scheduler;
    private final NodeId self;
    private final RandomGenerator random;
    private final RoutingTable table;
    private final ValueStore store;
    private final StoreTokens tokens;
    private final Set<NodeId> pinging = new HashSet<>();
    private final Counter lookups;
    private final Counter lookupRpcs;
    private final DistributionSummary hops;
    private final Timer latency;
    private volatile InetSocketAddress observedAddress;
    private final NatDetector nat = new NatDetector();
    private Disposable refreshTimer;
    private boolean started;

    private DhtNode(DhtTransport transport, DhtOptions options, RandomGenerator random) {
        this.transport = transport;
        this.options = options;
        this.scheduler = transport.scheduler();
        this.self = transport.self();
        this.random = random;
        long now = now();
        this.table = new RoutingTable(self, options.k, options.perBucketPrefix, options.perTablePrefix, now);
        this.store = new ValueStore(options.maxStoredBytes, options.maxEntriesPerSource,
                options.maxValueTtl.toMillis(), this::now, options.persistence);
        this.tokens = new StoreTokens(random, options.tokenRotation.toMillis(), now);
        MeterRegistry registry = options.meterRegistry != null ? options.meterRegistry : new SimpleMeterRegistry();
        this.lookups = Counter.builder("carrier.dht.lookups").description("iterative lookups run").register(registry);
        this.lookupRpcs = Counter.builder("carrier.dht.lookup.rpcs").description("RPCs sent by lookups").register(registry);
        this.hops = DistributionSummary.builder("carrier.dht.lookup.hops").description("hops of a lookup")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.latency = Timer.builder("carrier.dht.lookup.latency").description("lookup latency")
                .publishPercentiles(0.5, 0.99).register(registry);
        Gauge.builder("carrier.dht.routing.size", table, RoutingTable::size).description("nodes in the routing table")
                .register(registry);
        Gauge.builder("carrier.dht.values.count", store, ValueStore::count).description("values held for others")
                .register(registry);
        Gauge.builder("carrier.dht.values.bytes", store, ValueStore::bytes).description("bytes held for others")
                .register(registry);
    }

    /** A node over {@code transport}; call {@link #start()} to serve and bootstrap. */
    public static DhtNode create(DhtTransport transport, DhtOptions options) {
        return new DhtNode(transport, options, new SecureRandom());
    }

    static DhtNode create(DhtTransport transport, DhtOptions options, RandomGenerator random) {
        return new DhtNode(transport, options, random);
    }

    private long now() {
        return scheduler.now(TimeUnit.MILLISECONDS);
    }

    @Override
    public NodeId id() {
        return self;
    }

    /** The address the last PONG said we were seen from, or {@code null}. */
    public InetSocketAddress observedAddress() {
        return observedAddress;
    }

    /**
     * This node's external address and NAT type as the nodes that answered its PINGs saw it:
     * settled once {@value NatDetector#QUORUM} distinct nodes agree, updated as reports change.
     */
    public NatInfo natInfo() {
        return nat.info();
    }

    /**
     * Pings up to {@code observers} verified nodes of the routing table (in parallel) so that
     * several distinct nodes report this node's address, then emits {@link #natInfo()}.
     */
    public Mono<NatInfo> probeNat(int observers) {
        if (observers < 1) {
            throw new IllegalArgumentException("observers must be >= 1, got " + observers);
        }
        return Mono.defer(() -> Flux.fromIterable(table.verifiedNodes())
                        .take(observers)
                        .flatMap(n -> ping(n).onErrorResume(e -> Mono.empty()))
                        .then(Mono.fromSupplier(nat::info)))
                .subscribeOn(scheduler);
    }

    RoutingTable table() {
        return table;
    }

    ValueStore store() {
        return store;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Serves the RPCs, pings the saved snapshot and the bootstrap nodes (one round trip, in
     * parallel), then looks up its own id. Completes when the self-lookup is done.
     */
    public Mono<Void> start() {
        return Mono.defer(() -> {
            if (!started) {
                started = true;
                serveAll();
                long period = options.refreshCheck.toMillis();
                refreshTimer = scheduler.schedulePeriodically(this::refresh, period, period, TimeUnit.MILLISECONDS);
            }
            Set<NodeInfo> initial = new LinkedHashSet<>(options.snapshot);
            initial.addAll(options.bootstrap);
            return Flux.fromIterable(initial)
                    .flatMap(n -> ping(n).onErrorResume(e -> Mono.empty()))
                    .then(Mono.defer(() -> lookup(self, DhtCodec.FIND_NODE, DhtCodec.encodeTarget(self), null)))
                    .then();
        }).subscribeOn(scheduler);
    }

    /** Stops the timers and completes {@link #events()}. */
    public Mono<Void> stop() {
        return Mono.<Void>fromRunnable(() -> {
            if (refreshTimer != null) {
                refreshTimer.dispose();
            }
            table.close();
        }).subscribeOn(scheduler);
    }

    /** The verified nodes of the routing table: save them and pass them to {@link DhtOptions#snapshot}. */
    public Mono<List<NodeInfo>> snapshot() {
        return Mono.fromCallable(table::verifiedNodes).subscribeOn(scheduler);
    }

    @Override
    public Flux<RoutingTableEvent> events() {
        return table.events();
    }

    /** Refreshes the buckets untouched for the refresh interval. */
    void refresh() {
        List<Integer> stale = table.bucketsToRefresh(now(), options.bucketRefresh.toMillis());
        Flux.fromIterable(stale)
                .concatMap(i -> {
                    NodeId target = self.randomInBucket(i, random);
                    table.touch(target, now());
                    return lookup(target, DhtCodec.FIND_NODE, DhtCodec.encodeTarget(target), null);
                }, 0)
                .subscribe(r -> { }, e -> { });
    }

    // ------------------------------------------------------------------ RPC plumbing

    private Mono<byte[]> rpc(NodeInfo to, int method, byte[] body) {
        return Mono.defer(() -> transport.call(to, method, body))
                .timeout(options.rpcTimeout, scheduler)
                .publishOn(scheduler)
                .doOnNext(b -> answered(to))
                .doOnError(e -> table.failed(to.id()));
    }

    private void answered(NodeInfo n) {
        RoutingTable.Offer o = table.offer(n, true, now());
        if (o == RoutingTable.Offer.REPLACEMENT) {
            pingEvictionCandidate(n.id());
        }
    }

    private void pingEvictionCandidate(NodeId newcomer) {
        NodeInfo old = table.evictionCandidate(newcomer);
        if (old == null) {
            return;
        }
        RoutingTable.Entry e = table.get(old.id());
        if (e != null && now() - e.lastSeen >= EVICTION_PING_AFTER_MS) {
            verify(old);
        }
    }

    /** Pings {@code n} once (deduplicated): an answer verifies it, silence counts a failure. */
    private void verify(NodeInfo n) {
        if (pinging.add(n.id())) {
            ping(n).doFinally(s -> pinging.remove(n.id())).subscribe(a -> { }, e -> { });
        }
    }

    Mono<InetSocketAddress> ping(NodeInfo n) {
        return rpc(n, DhtCodec.PING, DhtCodec.encodePing()).handle((b, sink) -> {
            try {
                InetSocketAddress a = DhtCodec.decodePong(b);
                observedAddress = a;
                nat.observe(n.id(), a, now());
                sink.next(a);
            } catch (DecodeException e) {
                sink.error(e);
            }
        });
    }

    private void inbound(NodeInfo from) {
        RoutingTable.Offer o = table.offer(from, false, now());
        if (o == RoutingTable.Offer.ADDED) {
            verify(from);
        } else if (o == RoutingTable.Offer.REPLACEMENT) {
            pingEvictionCandidate(from.id());
        }
    }

    // ------------------------------------------------------------------ handlers

    private interface Handler {
        byte[] handle(DhtRequest req) throws DecodeException;
    }

    private void serve(int method, Handler h) {
        transport.serve(method, req -> {
            try {
                byte[] out = h.handle(req);
                inbound(req.from());
                return out == null ? Mono.empty() : Mono.just(out);
            } catch (DecodeException e) {
                if (e.reason() == DecodeException.Reason.OVERSIZED
                        && (method == DhtCodec.STORE_VALUE || method == DhtCodec.ANNOUNCE_PEER)) {
                    return Mono.just(result(Status.TOO_LARGE, 0)); // tell an honest sender which limit it hit
                }
                return Mono.empty();
            }
        });
    }

    private void serveAll() {
        serve(SealedPages.FIND_SEALED, req -> {
            SealedPages.Request m = SealedPages.decodeRequest(req.body());
            return SealedPages.encodePage(SealedPages.page(store.get(m.key()), m.after(), req.maxResponseBodyBytes()));
        });
        serve(DhtCodec.PING, req -> {
            DhtCodec.decodePing(req.body());
            return DhtCodec.encodePong(req.from().address());
        });
        serve(DhtCodec.FIND_NODE, req -> {
            NodeId target = DhtCodec.decodeTarget(req.body());
            byte[] token = tokens.issue(req.from().address(), now());
            int budget = req.maxResponseBodyBytes() - DhtCodec.TOKEN_LENGTH - 1;
            return DhtCodec.encodeNodes(new DhtCodec.Nodes(token, fit(target, req.from(), budget)));
        });
        serve(DhtCodec.FIND_VALUE, req -> {
            NodeId key = DhtCodec.decodeTarget(req.body());
            byte[] token = tokens.issue(req.from().address(), now());
            int budget = req.maxResponseBodyBytes() - DhtCodec.TOKEN_LENGTH - 2;
            List<DhtValue> values = new ArrayList<>();
            for (DhtValue v : store.get(key)) {
                int size = DhtCodec.valueSize(v);
                if (size <= budget && values.size() < DhtCodec.MAX_VALUES) {
                    values.add(v);
                    budget -= size;
                }
            }
            return DhtCodec.encodeValues(new DhtCodec.Values(token, fit(key, req.from(), budget), values));
        });
        serve(DhtCodec.FIND_PEER, req -> {
            NodeId key = DhtCodec.decodeTarget(req.body());
            byte[] token = tokens.issue(req.from().address(), now());
            int budget = req.maxResponseBodyBytes() - DhtCodec.TOKEN_LENGTH - 2;
            List<PeerRecord> records = new ArrayList<>();
            for (PeerRecord r : store.records(key)) {
                DhtCodec.Out o = new DhtCodec.Out();
                DhtCodec.writeRecord(o, r);
                if (o.size() <= budget && records.size() < DhtCodec.MAX_RECORDS) {
                    records.add(r);
                    budget -= o.size();
                }
            }
            return DhtCodec.encodePeers(new DhtCodec.Peers(token, fit(key, req.from(), budget), records));
        });
        serve(DhtCodec.STORE_VALUE, req -> {
            DhtCodec.Store m = DhtCodec.decodeStore(req.body());
            if (!tokens.valid(m.token(), req.from().address(), now())) {
                return result(Status.BAD_TOKEN, 0);
            }
            ValueStore.Result r = store.put(m.value(), source(req), m.cas(), m.expectedSeq());
            return result(r.status(), r.seq());
        });
        serve(DhtCodec.ANNOUNCE_PEER, req -> {
            DhtCodec.Announce m = DhtCodec.decodeAnnounce(req.body());
            if (!tokens.valid(m.token(), req.from().address(), now())) {
                return result(Status.BAD_TOKEN, 0);
            }
            ValueStore.Result r = store.putRecord(m.record(), source(req));
            return result(r.status(), r.seq());
        });
        serve(DhtCodec.DELETE_SEALED, req -> {
            DhtCodec.DeleteSealed m = DhtCodec.decodeDelete(req.body());
            if (!tokens.valid(m.token(), req.from().address(), now())) {
                return result(Status.BAD_TOKEN, 0);
            }
            return result(store.deleteSealed(m.key(), m.entryId(), m.signature()), 0);
        });
    }

    private static String source(DhtRequest req) {
        return req.from().address().getAddress().getHostAddress();
    }

    private static byte[] result(Status s, long seq) {
        return DhtCodec.encodeStoreResult(new DhtCodec.StoreResult(s, seq));
    }

    /** The closest verified nodes to {@code target} (not the requester) that fit {@code budget} bytes. */
    private List<NodeInfo> fit(NodeId target, NodeInfo requester, int budget) {
        List<NodeInfo> out = new ArrayList<>();
        for (NodeInfo n : table.closest(target, options.k + 1)) {
            if (n.id().equals(requester.id())) {
                continue;
            }
            int size = DhtCodec.nodeSize(n);
            if (size > budget || out.size() == options.k) {
                break;
            }
            out.add(n);
            budget -= size;
        }
        return out;
    }

    // ------------------------------------------------------------------ lookups

    /** Collects what a lookup's replies carry besides nodes. */
    private interface Collector {
        /** Returns true to stop the lookup early. */
        boolean collect(NodeInfo from, byte[] body, List<NodeInfo> closerOut, byte[][] tokenOut) throws DecodeException;
    }

    /** The outcome of one lookup with its latency on the DHT clock. */
    record Outcome(Lookup.Result result, long latencyMs, int index) {
        Outcome(Lookup.Result result, long latencyMs) {
            this(result, latencyMs, -1);
        }

        Outcome withIndex(int i) {
            return new Outcome(result, latencyMs, i);
        }
    }

    Mono<Outcome> lookup(NodeId target, int method, byte[] body, Collector collector) {
        return lookup(target, method, body, collector, false);
    }

    /**
     * One iterative lookup. {@code locate}: a node lookup that ends once the target node has
     * answered or an answering node has named it (else it runs until the k closest answered).
     */
    Mono<Outcome> lookup(NodeId target, int method, byte[] body, Collector collector, boolean locate) {
        return Mono.defer(() -> {
            long start = now();
            table.touch(target, start);
            Lookup l = new Lookup(self, target, options.k, options.alpha, options.perBucketPrefix, options.rpcSoftTimeout.toMillis(), scheduler,
                    n -> rpc(n, method, body).handle((b, sink) -> {
                        try {
                            List<NodeInfo> closer = new ArrayList<>();
                            byte[][] token = new byte[1][];
                            boolean stop;
                            if (collector == null) {
                                DhtCodec.Nodes m = DhtCodec.decodeNodes(b);
                                closer.addAll(m.nodes());
                                token[0] = m.token();
                                stop = locate && n.id().equals(target);
                            } else {
                                stop = collector.collect(n, b, closer, token);
                            }
                            sink.next(new Lookup.Reply(closer, token[0], stop));
                        } catch (DecodeException e) {
                            table.remove(n.id());
                            sink.error(e);
                        }
                    }));
            List<NodeInfo> seeds = table.closestForLookup(target, options.k);
            if (seeds.size() < options.k && !options.bootstrap.isEmpty()) {
                // a thin table (just started, or cut off) also asks the configured bootstrap nodes:
                // a node whose first ping to its bootstrap was lost and that only knows the few
                // nodes that joined through it would otherwise stay an island with them
                seeds = new ArrayList<>(seeds);
                for (NodeInfo b : options.bootstrap) {
                    if (!b.id().equals(self) && !table.contains(b.id())) {
                        seeds.add(b);
                    }
                }
            }
            if (locate) {
                l.locate();
            }
            return l.run(seeds).map(r -> {
                long ms = now() - start;
                lookups.increment();
                lookupRpcs.increment(r.rpcs());
                hops.record(r.hops());
                latency.record(Duration.ofMillis(ms));
                return new Outcome(r, ms);
            });
        }).subscribeOn(scheduler);
    }

    @Override
    public Mono<List<NodeInfo>> findNode(NodeId target) {
        return lookup(target, DhtCodec.FIND_NODE, DhtCodec.encodeTarget(target), null, true)
                .map(o -> o.result().closest());
    }

    /** Most entries read from one storing node by {@link #sealedEntries}. */
    static final int MAX_SEALED_PER_NODE = 10_000;
    /** How long the closest nodes of a sealed set's key are reused by later reads of that set. */
    static final long SEALED_CLOSEST_TTL_MS = 10 * 60_000;
    /** Keys whose closest nodes are remembered (a node reads its mailbox and the relay directory). */
    static final int SEALED_CLOSEST_KEYS = 16;

    /** Closest nodes found for a sealed set's key, and when; guarded by itself. */
    private final Map<NodeId, Closest> sealedClosest = new LinkedHashMap<>();

    private record Closest(List<NodeInfo> nodes, long foundAt) {
    }

    /**
     * {@inheritDoc}
     *
     * <p>The nodes closest to the key that a lookup found are reused by the reads of the same key
     * in the next {@value #SEALED_CLOSEST_TTL_MS} ms (a node reads the same few sets again and
     * again: its mailbox every poll, the relay directory): a repeated read asks those nodes for
     * their pages directly, without the lookup's FIND_NODE round trips, which were most of an idle
     * node's DHT traffic. Only a full set (k nodes) is reused. A read at which fewer than half of
     * them answered forgets them, so the next read looks the key up again.
     */
    @Override
    public Flux<DhtValue.Sealed> sealedEntries(NodeId key) {
        // this node may be one of the closest to the key: its own store holds part of the set
        Flux<DhtValue.Sealed> local = Mono.fromCallable(() -> store.get(key)).subscribeOn(scheduler)
                .flatMapIterable(l -> l).ofType(DhtValue.Sealed.class);
        Mono<List<NodeInfo>> closest = Mono.defer(() -> {
            List<NodeInfo> known = knownClosest(key);
            return known != null ? Mono.just(known) : findNode(key).doOnNext(nodes -> remember(key, nodes));
        });
        return local.concatWith(closest
                .flatMapMany(nodes -> {
                    java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
                    return Flux.fromIterable(nodes)
                            .flatMap(n -> sealedPages(n, key, answered), options.alpha)
                            .doOnComplete(() -> {
                                if (answered.get() * 2 < nodes.size()) {
                                    forget(key);
                                }
                            });
                }))
                .filter(v -> v.expiresAt() > now() && v.key().equals(key))
                .distinct(DhtValue::entryId);
    }

    private List<NodeInfo> knownClosest(NodeId key) {
        synchronized (sealedClosest) {
            Closest c = sealedClosest.get(key);
            if (c == null || now() - c.foundAt() >= SEALED_CLOSEST_TTL_MS) {
                return null;
            }
            return c.nodes();
        }
    }

    private void remember(NodeId key, List<NodeInfo> nodes) {
        if (nodes.size() < options.k) {
            // a thin table (a node that started when the network was small, or nodes that share IP
            // prefixes): keep looking up, else the nodes that join later would go unasked for minutes
            return;
        }
        synchronized (sealedClosest) {
            sealedClosest.remove(key);
            if (sealedClosest.size() >= SEALED_CLOSEST_KEYS) {
                sealedClosest.remove(sealedClosest.keySet().iterator().next()); // the oldest
            }
            sealedClosest.put(key, new Closest(List.copyOf(nodes), now()));
        }
    }

    private void forget(NodeId key) {
        synchronized (sealedClosest) {
            sealedClosest.remove(key);
        }
    }

    private Flux<DhtValue.Sealed> sealedPages(NodeInfo node, NodeId key, java.util.concurrent.atomic.AtomicInteger answered) {
        return sealedPage(node, key, NodeId.of(new byte[NodeId.LENGTH]))
                .doOnNext(first -> answered.incrementAndGet())
                .expand(page -> page.more() && !page.entries().isEmpty()
                        ? sealedPage(node, key, page.entries().get(page.entries().size() - 1).entryId())
                        : Mono.empty())
                .flatMapIterable(SealedPages.Page::entries)
                .take(MAX_SEALED_PER_NODE)
                .onErrorResume(e -> Flux.empty());
    }

    private Mono<SealedPages.Page> sealedPage(NodeInfo node, NodeId key, NodeId after) {
        return transport.call(node, SealedPages.FIND_SEALED,
                        SealedPages.encodeRequest(new SealedPages.Request(key, after)))
                .timeout(options.rpcTimeout, scheduler)
                .flatMap(body -> {
                    try {
                        return Mono.just(SealedPages.decodePage(body));
                    } catch (io.reactivecarrier.wire.DecodeException e) {
                        return Mono.error(e);
                    }
                });
    }

    @Override
    public Mono<List<DhtValue>> findValue(NodeId key) {
        return Mono.defer(() -> {
            Map<NodeId, DhtValue> found = new LinkedHashMap<>();
            DhtValue.Mutable[] best = new DhtValue.Mutable[1];
            Collector c = (from, b, closer, token) -> {
                DhtCodec.Values m = DhtCodec.decodeValues(b);
                closer.addAll(m.nodes());
                token[0] = m.token();
                boolean stop = false;
                long now = now();
                for (DhtValue v : m.values()) {
                    if (v.expiresAt() <= now || !v.key().equals(key)) {
                        continue;
                    }
                    if (v instanceof DhtValue.Immutable) {
                        found.putIfAbsent(v.entryId(), v);
                        stop = true;
                    } else if (v instanceof DhtValue.Mutable mv) {
                        if ((best[0] == null || mv.seq() > best[0].seq()) && mv.verify()) {
                            best[0] = mv;
                        }
                    } else {
                        found.putIfAbsent(v.entryId(), v);
                    }
                }
                return stop;
            };
            return lookup(key, DhtCodec.FIND_VALUE, DhtCodec.encodeTarget(key), c).map(o -> {
                List<DhtValue> out = new ArrayList<>(found.values());
                if (best[0] != null) {
                    out.add(0, best[0]);
                }
                return out;
            });
        }).subscribeOn(scheduler);
    }

    @Override
    public Mono<Integer> storeValue(DhtValue value) {
        return store(value, false, 0);
    }

    @Override
    public Mono<Integer> storeValue(DhtValue.Mutable value, long expectedSeq) {
        return store(value, true, expectedSeq);
    }

    private Mono<Integer> store(DhtValue value, boolean cas, long expectedSeq) {
        if (value instanceof DhtValue.Mutable m && !m.verify()) {
            return Mono.error(new IllegalArgumentException("the mutable value's signature does not verify"));
        }
        return writeToClosest(value.key(), DhtCodec.STORE_VALUE,
                token -> DhtCodec.encodeStore(new DhtCodec.Store(token, cas, expectedSeq, value)),
                closest -> {
                    // Kademlia's k closest include the writer itself: a reader whose lookup asks
                    // this node (it never asks itself) finds the value here too
                    if (amongClosest(value.key(), closest)) {
                        store.put(value, LOCAL_SOURCE, cas, expectedSeq);
                    }
                });
    }

    /** The source that this node's own writes are counted against in its store. */
    static final String LOCAL_SOURCE = "self";

    /** Whether this node is one of the k closest to {@code key}, given the lookup's closest others. */
    private boolean amongClosest(NodeId key, List<NodeInfo> closest) {
        return closest.size() < options.k
                || key.byDistance().compare(self, closest.get(closest.size() - 1).id()) < 0;
    }

    @Override
    public Mono<Integer> deleteSealed(NodeId key, NodeId entryId, Ed25519KeyPair recipient) {
        return deleteSealed(key, List.of(entryId), recipient);
    }

    @Override
    public Mono<Integer> deleteSealed(NodeId key, List<NodeId> entryIds, Ed25519KeyPair recipient) {
        if (entryIds.isEmpty()) {
            return Mono.just(0);
        }
        List<NodeId> ids = List.copyOf(entryIds);
        List<byte[]> sigs = ids.stream().map(id -> recipient.sign(DhtValue.deleteMessage(key, id))).toList();
        List<java.util.function.Function<byte[], byte[]>> deletes = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            NodeId id = ids.get(i);
            byte[] sig = sigs.get(i);
            deletes.add(token -> DhtCodec.encodeDelete(new DhtCodec.DeleteSealed(token, key, id, sig)));
        }
        // one lookup for the whole batch, then every deletion to every one of the closest nodes
        return Mono.fromRunnable(() -> {
                    for (int i = 0; i < ids.size(); i++) {
                        store.deleteSealed(key, ids.get(i), sigs.get(i));
                    }
                }).subscribeOn(scheduler)
                .then(writeToClosest(key, DhtCodec.DELETE_SEALED, deletes, closest -> { }));
    }

    @Override
    public Mono<Integer> announcePeer(PeerRecord record) {
        if (!record.verify()) {
            return Mono.error(new IllegalArgumentException("the peer record's signature does not verify"));
        }
        return writeToClosest(record.key(), DhtCodec.ANNOUNCE_PEER,
                token -> DhtCodec.encodeAnnounce(new DhtCodec.Announce(token, record)));
    }

    private Mono<Integer> writeToClosest(NodeId key, int method, java.util.function.Function<byte[], byte[]> body) {
        return writeToClosest(key, method, List.of(body), closest -> { });
    }

    private Mono<Integer> writeToClosest(NodeId key, int method, java.util.function.Function<byte[], byte[]> body,
            java.util.function.Consumer<List<NodeInfo>> local) {
        return writeToClosest(key, method, List.of(body), local);
    }

    /**
     * Sends each of {@code bodies} (given the node's write token) to the k closest nodes that
     * answered one lookup, after {@code local} saw them (on the scheduler). Emits how many writes
     * (node and body) were taken: with one body, how many nodes took it (this node not counted).
     */
    private Mono<Integer> writeToClosest(NodeId key, int method, List<java.util.function.Function<byte[], byte[]>> bodies,
            java.util.function.Consumer<List<NodeInfo>> local) {
        return lookup(key, DhtCodec.FIND_NODE, DhtCodec.encodeTarget(key), null)
                .doOnNext(o -> local.accept(o.result().closest()))
                .flatMapMany(o -> Flux.fromIterable(o.result().closest())
                        .filter(n -> o.result().tokens().containsKey(n.id()))
                        .flatMap(n -> Flux.fromIterable(bodies)
                                .flatMap(body -> rpc(n, method, body.apply(o.result().tokens().get(n.id())))
                                        .retry(1)
                                        .handle((b, sink) -> {
                                            try {
                                                if (DhtCodec.decodeStoreResult(b).status() == Status.OK) {
                                                    sink.next(n);
                                                }
                                            } catch (DecodeException e) {
                                                sink.error(e);
                                            }
                                        })
                                        .onErrorResume(e -> Mono.empty()), WRITES_IN_FLIGHT)))
                .count()
                .map(Long::intValue);
    }

    /** Writes of one batch in flight to one node. */
    private static final int WRITES_IN_FLIGHT = 16;

    @Override
    public Mono<PeerRecord> findPeer(byte[] userId) {
        NodeId key = PeerRecord.keyOf(userId);
        return Mono.defer(() -> {
            PeerRecord[] best = new PeerRecord[1];
            Collector c = (from, b, closer, token) -> {
                DhtCodec.Peers m = DhtCodec.decodePeers(b);
                closer.addAll(m.nodes());
                token[0] = m.token();
                for (PeerRecord r : m.records()) {
                    if (Arrays.equals(r.userId(), userId) && r.expiresAt() > now()
                            && (best[0] == null || r.seq() > best[0].seq()) && r.verify()) {
                        best[0] = r;
                    }
                }
                return false;
            };
            return lookup(key, DhtCodec.FIND_PEER, DhtCodec.encodeTarget(key), c)
                    .flatMap(o -> Mono.justOrEmpty(best[0]));
        }).subscribeOn(scheduler);
    }
}
