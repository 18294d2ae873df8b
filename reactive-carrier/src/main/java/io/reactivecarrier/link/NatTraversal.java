package io.reactivecarrier.link;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.transport.DatagramHandler;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcCall;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.wire.DecodeException;
import io.reactivecarrier.wire.Limits;
import io.reactivecarrier.wire.PacketKind;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * NAT traversal for the links of one node: registration with relays, hole punching and relayed
 * circuits, beneath a {@link LinkManager} that does not notice which path it runs on.
 *
 * <p>How it fits: the link manager is created on {@link #linkTransport()} and {@link #linkRouter()}
 * instead of the node's transport and router, and with {@link #resolver(PeerResolver)} wrapped
 * around the friends' resolver; then {@link #attach(LinkManager)}.
 *
 * <pre>{@code
 * NatTraversal nat = NatTraversal.create(rpc, router, identity.userId(), NatTraversal.Options.defaults());
 * LinkManager links = LinkManager.create(nat.linkTransport(), nat.linkRouter(), identity,
 *         nat.resolver(friendsResolver), LinkOptions.create());
 * nat.attach(links);
 * nat.addRelay(relayAddress, relayNodeKey);   // e.g. found in the DHT
 * }</pre>
 *
 * <h2>Connecting</h2>
 * To reach a friend, the wrapped resolver asks each relay this node is registered with to
 * CONNECT it to the friend. A relay where the friend is registered opens a circuit, INTRODUCEs
 * this node to the friend (its observed address and candidates, a circuit id and a random punch
 * token) and answers with the friend's observed address, candidates, the other circuit id and the
 * same token. Both sides then send PUNCH probes carrying the token to every candidate every
 * {@link Options#punchInterval()}, at most {@link Options#punchAttempts()} times; a probe is
 * answered by an ack. The first address a valid probe or ack arrives from is the punched path and
 * the link handshakes over it. When no probe gets through (a symmetric NAT), the link runs over
 * the relay circuit: a virtual address that this class wraps into RELAY packets. While a link is
 * relayed, the punch is retried every {@link Options#upgradeInterval()}, and on success the link
 * moves to the punched path ({@link LinkManager} follows authenticated packets to the new address).
 *
 * <p>All state is confined to the transport's scheduler.
 */
public final class NatTraversal {

    private static final Logger log = LoggerFactory.getLogger(NatTraversal.class);

    /** Settings; immutable, copy on write. */
    public static final class Options {
        private Duration punchInterval = Duration.ofMillis(200);
        private int punchAttempts = 15;
        private Duration registerInterval = Duration.ofSeconds(15);
        private Duration upgradeInterval = Duration.ofSeconds(30);
        private Duration rpcTimeout = Duration.ofSeconds(1);
        private Duration relayAfter = Duration.ofSeconds(1);
        private MeterRegistry meterRegistry;

        private Options() {
        }

        /** Probes every 200 ms, 15 times; re-register every 15 s; retry upgrades every 30 s. */
        public static Options defaults() {
            return new Options();
        }

        private Options copy() {
            Options o = new Options();
            o.punchInterval = punchInterval;
            o.punchAttempts = punchAttempts;
            o.registerInterval = registerInterval;
            o.upgradeInterval = upgradeInterval;
            o.rpcTimeout = rpcTimeout;
            o.relayAfter = relayAfter;
            o.meterRegistry = meterRegistry;
            return o;
        }

        /** Time between two probes of one punch. */
        public Options punchInterval(Duration d) {
            Options o = copy();
            o.punchInterval = positive(d, "punchInterval");
            return o;
        }

        /** Probes per punch (1..100): the punch gives up after this many. */
        public Options punchAttempts(int n) {
            if (n < 1 || n > 100) {
                throw new IllegalArgumentException("punchAttempts must be 1..100, got " + n);
            }
            Options o = copy();
            o.punchAttempts = n;
            return o;
        }

        /** How often registrations are refreshed (this also keeps the NAT mapping to the relay open). */
        public Options registerInterval(Duration d) {
            Options o = copy();
            o.registerInterval = positive(d, "registerInterval");
            return o;
        }

        /** How often a relayed link tries to move to a punched path. */
        public Options upgradeInterval(Duration d) {
            Options o = copy();
            o.upgradeInterval = positive(d, "upgradeInterval");
            return o;
        }

        /** Timeout of one signalling RPC attempt (three attempts are made). */
        public Options rpcTimeout(Duration d) {
            Options o = copy();
            o.rpcTimeout = positive(d, "rpcTimeout");
            return o;
        }

        /**
         * How long a connect waits for the punch before it goes over the relay circuit; the punch
         * goes on, and a later success moves the link to the punched path.
         */
        public Options relayAfter(Duration d) {
            Options o = copy();
            o.relayAfter = positive(d, "relayAfter");
            return o;
        }

        /** See {@link #relayAfter(Duration)}. */
        public Duration relayAfter() {
            return relayAfter;
        }

        /** Where the internal packet router counts its drops. */
        public Options meterRegistry(MeterRegistry registry) {
            Options o = copy();
            o.meterRegistry = registry;
            return o;
        }

        /** See {@link #punchInterval(Duration)}. */
        public Duration punchInterval() {
            return punchInterval;
        }

        /** See {@link #punchAttempts(int)}. */
        public int punchAttempts() {
            return punchAttempts;
        }

        /** See {@link #registerInterval(Duration)}. */
        public Duration registerInterval() {
            return registerInterval;
        }

        /** See {@link #upgradeInterval(Duration)}. */
        public Duration upgradeInterval() {
            return upgradeInterval;
        }

        /** See {@link #rpcTimeout(Duration)}. */
        public Duration rpcTimeout() {
            return rpcTimeout;
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }
    }

    /** A relay this node registers with. */
    private record Relay(InetSocketAddress address, byte[] nodeKey) {
    }

    /** This side of a relayed circuit. */
    private static final class ClientCircuit {
        final long id;
        final InetSocketAddress relay;
        final UserId friend;
        final InetSocketAddress virtual;
        final long createdAt;
        long lastUsedAt;

        ClientCircuit(long id, InetSocketAddress relay, UserId friend, long now) {
            this.id = id;
            this.relay = relay;
            this.friend = friend;
            this.virtual = virtualAddress(id);
            this.createdAt = now;
            this.lastUsedAt = now;
        }
    }

    /** One hole punch in progress (or just finished: it keeps answering probes for a while). */
    private static final class Punch {
        final long token;
        final UserId friend;
        final List<InetSocketAddress> targets;
        final Set<InetSocketAddress> direct;
        final ClientCircuit circuit;
        final long startedAt;
        MonoSink<InetSocketAddress> sink;
        Disposable timer;
        int sent;
        InetSocketAddress result;
        boolean done;
        /** The connect did not wait for this punch and went over the relay. */
        boolean fellBack;

        Punch(long token, UserId friend, List<InetSocketAddress> targets, Set<InetSocketAddress> direct,
                ClientCircuit circuit, long now) {
            this.token = token;
            this.friend = friend;
            this.targets = targets;
            this.direct = direct;
            this.circuit = circuit;
            this.startedAt = now;
        }
    }

    private static final int MAX_PUNCHES = 64;
    private static final long PUNCH_LINGER_MS = 15_000;
    private static final long CIRCUIT_UNUSED_MS = 120_000;
    private static final int MIGRATE_TRIES = 40;
    private static final long MIGRATE_RETRY_MS = 250;

    private final RpcEndpoint rpc;
    private final DatagramTransport transport;
    private final Scheduler scheduler;
    private final UserId self;
    private final Options options;
    private final PacketRouter linkRouter;
    private final VirtualTransport linkTransport;
    private final List<InetSocketAddress> candidates;
    private final List<Relay> relays = new CopyOnWriteArrayList<>();
    private final Map<Long, ClientCircuit> circuits = new HashMap<>();
    private final Map<InetSocketAddress, ClientCircuit> byVirtual = new HashMap<>();
    private final Map<Long, Punch> punches = new LinkedHashMap<>();
    private final Map<InetSocketAddress, Boolean> punched = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<InetSocketAddress, Boolean> e) {
                    return size() > 1024;
                }
            });
    private final Set<UserId> upgrading = new java.util.HashSet<>();
    /** Per relayed friend: when the next upgrade may start, and the current backoff factor. */
    private final Map<UserId, long[]> upgradeBackoff = new HashMap<>();
    private final Disposable registerTimer;
    private final Disposable upgradeTimer;
    private volatile LinkManager links;
    private volatile boolean closed;

    private NatTraversal(RpcEndpoint rpc, PacketRouter router, UserId self, Options options,
            List<InetSocketAddress> candidates) {
        this.rpc = rpc;
        this.transport = rpc.transport();
        this.scheduler = transport.scheduler();
        this.self = self;
        this.options = options;
        this.candidates = List.copyOf(candidates);
        MeterRegistry registry = options.meterRegistry != null ? options.meterRegistry : new SimpleMeterRegistry();
        this.linkRouter = PacketRouter.create(registry);
        this.linkTransport = new VirtualTransport();
        for (PacketKind k : List.of(PacketKind.LINK_HANDSHAKE_INIT, PacketKind.LINK_HANDSHAKE_RESP,
                PacketKind.LINK_COOKIE, PacketKind.LINK_DATA, PacketKind.STREAM)) {
            // stream packets follow their link's path, relayed ones included
            router.route(k, linkRouter);
        }
        router.route(PacketKind.RELAY, this::onRelay);
        router.route(PacketKind.PUNCH, this::onPunch);
        rpc.handle(NatCodec.INTRODUCE, this::onIntroduce);
        long reg = options.registerInterval.toMillis();
        this.registerTimer = scheduler.schedulePeriodically(this::registerAll, reg, reg, TimeUnit.MILLISECONDS);
        long up = options.upgradeInterval.toMillis();
        this.upgradeTimer = scheduler.schedulePeriodically(this::upgradeRelayed, up, up, TimeUnit.MILLISECONDS);
    }

    /**
     * NAT traversal on the node of {@code rpc}, registered with {@code router} (the node's router)
     * for the link packet kinds (passed on to {@link #linkRouter()}), PUNCH and RELAY. Its own
     * candidate endpoints are the interface addresses with the bound port.
     */
    public static NatTraversal create(RpcEndpoint rpc, PacketRouter router, UserId self, Options options) {
        Objects.requireNonNull(rpc, "rpc");
        return create(rpc, router, self, options, localCandidates(rpc.transport().localAddress()));
    }

    /** As {@link #create(RpcEndpoint, PacketRouter, UserId, Options)} with explicit candidate endpoints. */
    public static NatTraversal create(RpcEndpoint rpc, PacketRouter router, UserId self, Options options,
            List<InetSocketAddress> candidates) {
        List<InetSocketAddress> c = candidates.size() > NatCodec.MAX_CANDIDATES
                ? candidates.subList(0, NatCodec.MAX_CANDIDATES) : candidates;
        return new NatTraversal(Objects.requireNonNull(rpc, "rpc"), Objects.requireNonNull(router, "router"),
                Objects.requireNonNull(self, "self"), Objects.requireNonNull(options, "options"), c);
    }

    /** The transport to create the {@link LinkManager} on: it sends to relay circuits' virtual addresses too. */
    public DatagramTransport linkTransport() {
        return linkTransport;
    }

    /** The router to create the {@link LinkManager} with: it receives direct, punched and relayed link packets. */
    public PacketRouter linkRouter() {
        return linkRouter;
    }

    /** Wraps the friends' resolver: the contact it returns points at a punched path or a relay circuit. */
    public PeerResolver resolver(PeerResolver base) {
        Objects.requireNonNull(base, "base");
        return friend -> base.resolve(friend).flatMap(contact -> traverse(friend)
                .map(path -> new PeerContact(contact.user(), contact.staticKey(), contact.binding(), List.of(path)))
                .defaultIfEmpty(contact));
    }

    /** Lets the link manager report paths ({@link Link#path()}) and lets relayed links move to punched paths. */
    public void attach(LinkManager links) {
        this.links = Objects.requireNonNull(links, "links");
        links.pathClassifier(this::classify);
    }

    /** Registers with the relay at {@code address} (node key {@code nodeKey}) now and then periodically. */
    public Mono<Void> addRelay(InetSocketAddress address, byte[] nodeKey) {
        Relay r = new Relay(Objects.requireNonNull(address, "address"), Objects.requireNonNull(nodeKey, "nodeKey").clone());
        relays.removeIf(x -> x.address.equals(address));
        relays.add(r);
        return register(r);
    }

    /** The relays this node registers with. */
    public List<InetSocketAddress> relays() {
        return relays.stream().map(Relay::address).toList();
    }

    /** Stops the timers and unregisters PUNCH and RELAY from the node's router. */
    public Mono<Void> close() {
        return Mono.<Void>fromRunnable(() -> {
            closed = true;
            registerTimer.dispose();
            upgradeTimer.dispose();
            for (Punch p : new ArrayList<>(punches.values())) {
                finish(p, null);
            }
            punches.clear();
        }).subscribeOn(scheduler);
    }

    // ------------------------------------------------------------------ paths

    PathType classify(InetSocketAddress address) {
        if (address == null) {
            return PathType.DIRECT;
        }
        if (isVirtual(address)) {
            return PathType.RELAYED;
        }
        return punched.containsKey(address) ? PathType.PUNCHED : PathType.DIRECT;
    }

    static InetSocketAddress virtualAddress(long circuit) {
        byte[] ip = new byte[16];
        ip[0] = 0x01; // 100::/64, the IPv6 discard prefix (RFC 6666): never a real destination
        ByteBuffer.wrap(ip, 8, 8).putLong(circuit);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), 1);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean isVirtual(InetSocketAddress a) {
        if (!(a.getAddress() instanceof Inet6Address)) {
            return false;
        }
        byte[] ip = a.getAddress().getAddress();
        if (ip[0] != 0x01) {
            return false;
        }
        for (int i = 1; i < 8; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ registration

    private void registerAll() {
        for (Relay r : relays) {
            register(r).subscribe(null, e -> log.debug("registration with {} failed: {}", r.address, e.toString()));
        }
    }

    private Mono<Void> register(Relay r) {
        byte[] body = NatCodec.encodeRegister(new NatCodec.Register(self, candidates));
        return rpc.request(r.address, r.nodeKey, NatCodec.REGISTER, body, call()).then();
    }

    private RpcCall call() {
        return RpcCall.of(options.rpcTimeout, 3);
    }

    // ------------------------------------------------------------------ connecting

    /** Punches to {@code friend} through the first relay that knows it: the punched address, else a relay circuit. */
    Mono<InetSocketAddress> traverse(UserId friend) {
        byte[] body = NatCodec.encodeConnect(new NatCodec.Connect(friend, self, candidates));
        return Flux.fromIterable(relays)
                .concatMap(r -> rpc.request(r.address, r.nodeKey, NatCodec.CONNECT, body, call())
                        .<Object[]>handle((resp, sink) -> {
                            try {
                                NatCodec.Connected c = NatCodec.decodeConnected(resp.body());
                                if (c.status() == NatCodec.OK) {
                                    sink.next(new Object[] {r, c});
                                }
                            } catch (DecodeException e) {
                                sink.error(e);
                            }
                        })
                        .onErrorResume(e -> {
                            log.debug("CONNECT via {} failed: {}", r.address, e.toString());
                            return Mono.empty();
                        }))
                .next()
                .publishOn(scheduler)
                .flatMap(rc -> {
                    Relay r = (Relay) rc[0];
                    NatCodec.Connected c = (NatCodec.Connected) rc[1];
                    ClientCircuit circuit = addCircuit(c.circuit(), r.address, friend);
                    List<InetSocketAddress> targets = new ArrayList<>();
                    targets.add(c.observed());
                    targets.addAll(c.candidates());
                    Punch[] handle = new Punch[1];
                    return punch(c.token(), friend, targets, c.candidates(), circuit, handle)
                            .timeout(options.relayAfter, scheduler)
                            .onErrorResume(java.util.concurrent.TimeoutException.class, e -> {
                                if (handle[0] != null) {
                                    handle[0].fellBack = true; // a late success migrates the link
                                }
                                return Mono.empty();
                            })
                            .defaultIfEmpty(circuit.virtual);
                });
    }

    private ClientCircuit addCircuit(long id, InetSocketAddress relay, UserId friend) {
        ClientCircuit c = new ClientCircuit(id, relay, friend, now());
        circuits.put(id, c);
        byVirtual.put(c.virtual, c);
        return c;
    }

    private void retire(ClientCircuit c) {
        if (c != null) {
            circuits.remove(c.id);
            byVirtual.remove(c.virtual);
        }
    }

    private Mono<byte[]> onIntroduce(RpcEndpoint.RpcRequest req) {
        if (closed) {
            return Mono.empty();
        }
        NatCodec.Introduce i;
        try {
            i = NatCodec.decodeIntroduce(req.body());
        } catch (DecodeException | RuntimeException e) {
            return Mono.empty();
        }
        boolean known = false;
        for (Relay r : relays) {
            known |= r.address.equals(req.from());
        }
        LinkManager l = links;
        if (l != null && !l.authorized(i.from())) {
            return Mono.just(NatCodec.encodeStatus(NatCodec.NOT_FOUND)); // strangers get no probes, no circuit
        }
        if (!known || punches.size() >= MAX_PUNCHES || punches.containsKey(i.token())) {
            return Mono.just(NatCodec.encodeStatus(NatCodec.LIMITED));
        }
        ClientCircuit circuit = addCircuit(i.circuit(), req.from(), i.from());
        List<InetSocketAddress> targets = new ArrayList<>();
        targets.add(i.observed());
        targets.addAll(i.candidates());
        punch(i.token(), i.from(), targets, i.candidates(), circuit, new Punch[1]).subscribe(addr -> {
            migrateWhenUp(i.from(), addr, MIGRATE_TRIES); // moves a relayed link; a new link just uses the path
        }, e -> { });
        return Mono.just(NatCodec.encodeStatus(NatCodec.OK));
    }

    // ------------------------------------------------------------------ punching

    private Mono<InetSocketAddress> punch(long token, UserId friend, List<InetSocketAddress> targets,
            List<InetSocketAddress> direct, ClientCircuit circuit, Punch[] handle) {
        Set<InetSocketAddress> t = new LinkedHashSet<>(targets);
        t.removeAll(candidates); // never probe ourselves
        Punch p = new Punch(token, friend, List.copyOf(t), Set.copyOf(direct), circuit, now());
        handle[0] = p;
        return Mono.<InetSocketAddress>create(sink -> {
            p.sink = sink;
            if (closed || p.targets.isEmpty()) {
                sink.success();
                return;
            }
            punches.put(token, p);
            long every = options.punchInterval.toMillis();
            probe(p);
            p.timer = scheduler.schedulePeriodically(() -> probe(p), every, every, TimeUnit.MILLISECONDS);
        }).subscribeOn(scheduler);
    }

    private void probe(Punch p) {
        if (p.done) {
            return;
        }
        if (p.sent >= options.punchAttempts) {
            finish(p, null);
            return;
        }
        p.sent++;
        for (InetSocketAddress target : p.targets) {
            sendPunch(target, NatCodec.PUNCH_PROBE, p.token);
        }
    }

    private void sendPunch(InetSocketAddress to, int type, long token) {
        ByteBuf b = transport.alloc().buffer(NatCodec.PUNCH_LENGTH);
        b.writeByte(PacketKind.PUNCH.tag()).writeByte(Limits.PROTOCOL_VERSION).writeByte(type).writeLong(token);
        transport.send(to, b);
    }

    private void onPunch(InetSocketAddress sender, ByteBuf buf) {
        if (closed || buf.readableBytes() != NatCodec.PUNCH_LENGTH) {
            return;
        }
        int start = buf.readerIndex();
        int type = buf.getUnsignedByte(start + 2);
        Punch p = punches.get(buf.getLong(start + 3));
        if (p == null || (type != NatCodec.PUNCH_PROBE && type != NatCodec.PUNCH_ACK)) {
            return;
        }
        if (type == NatCodec.PUNCH_PROBE) {
            sendPunch(sender, NatCodec.PUNCH_ACK, p.token);
        }
        if (!p.done) {
            if (!p.direct.contains(sender)) {
                punched.put(sender, Boolean.TRUE);
            }
            finish(p, sender);
        }
    }

    private void finish(Punch p, InetSocketAddress result) {
        if (p.done) {
            return;
        }
        p.done = true;
        p.result = result;
        if (p.timer != null) {
            p.timer.dispose();
        }
        if (result != null) {
            log.debug("punched to {} at {} after {} probes", p.friend.shortString(), result, p.sent);
            p.sink.success(result);
            if (p.fellBack) {
                migrateWhenUp(p.friend, result, MIGRATE_TRIES); // the link went over the relay meanwhile: move it
            }
        } else {
            log.debug("punch to {} failed after {} probes", p.friend.shortString(), p.sent);
            p.sink.success();
        }
        // the entry stays a while to answer the friend's late probes, then goes
        scheduler.schedule(() -> punches.remove(p.token, p), PUNCH_LINGER_MS, TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ upgrading

    private void upgradeRelayed() {
        LinkManager l = links;
        if (l == null || closed) {
            return;
        }
        long now = now();
        Set<UserId> relayed = new LinkedHashSet<>();
        for (ClientCircuit c : new ArrayList<>(circuits.values())) {
            if (now - c.lastUsedAt >= CIRCUIT_UNUSED_MS) {
                retire(c);
            } else {
                relayed.add(c.friend);
            }
        }
        for (UserId friend : relayed) {
            Link link = l.link(friend).orElse(null);
            if (link == null || !link.isUp() || link.path() != PathType.RELAYED) {
                upgradeBackoff.remove(friend);
                continue;
            }
            // one side retries (the smaller user id): its INTRODUCE makes the other side punch too
            if (self.compareTo(friend) > 0 || upgrading.contains(friend)) {
                continue;
            }
            long[] backoff = upgradeBackoff.computeIfAbsent(friend, f -> new long[] {now, 1});
            if (now < backoff[0]) {
                continue;
            }
            upgrading.add(friend);
            InetSocketAddress old = link.remoteAddress();
            traverse(friend)
                    .publishOn(scheduler)
                    .doFinally(s -> upgrading.remove(friend))
                    .subscribe(addr -> {
                        if (!isVirtual(addr)) {
                            upgradeBackoff.remove(friend);
                            l.migrate(friend, addr);
                            retire(byVirtual.get(old));
                            retire(byVirtual.get(lastCircuitOf(friend)));
                        } else {
                            retire(byVirtual.get(addr)); // the new circuit is not needed: the old one works
                        }
                    }, e -> {
                        log.debug("upgrade of {} failed: {}", friend.shortString(), e.toString());
                        failedUpgrade(friend, now);
                    }, () -> failedUpgrade(friend, now)); // after a success the backoff entry is gone
        }
    }

    /**
     * Moves the friend's link to {@code to} if it runs over a relay; when the link is not up yet
     * (its handshake is still travelling through the relay), tries again a little later.
     */
    private void migrateWhenUp(UserId friend, InetSocketAddress to, int triesLeft) {
        LinkManager l = links;
        if (l == null || closed) {
            return;
        }
        Link link = l.link(friend).orElse(null);
        if (link != null && link.isUp()) {
            if (link.path() == PathType.RELAYED) {
                l.migrate(friend, to);
            }
            return;
        }
        if (triesLeft > 0) {
            scheduler.schedule(() -> migrateWhenUp(friend, to, triesLeft - 1), MIGRATE_RETRY_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** After a failed upgrade the next one waits twice as long, up to 16 upgrade intervals. */
    private void failedUpgrade(UserId friend, long now) {
        long[] b = upgradeBackoff.get(friend);
        if (b != null) {
            b[1] = Math.min(16, b[1] * 2);
            b[0] = now + b[1] * options.upgradeInterval.toMillis();
        }
    }

    private InetSocketAddress lastCircuitOf(UserId friend) {
        InetSocketAddress last = null;
        for (ClientCircuit c : circuits.values()) {
            if (c.friend.equals(friend) && (last == null || c.createdAt >= byVirtual.get(last).createdAt)) {
                last = c.virtual;
            }
        }
        return last;
    }

    // ------------------------------------------------------------------ relayed packets

    private void onRelay(InetSocketAddress sender, ByteBuf buf) {
        int len = buf.readableBytes();
        if (closed || len <= NatCodec.RELAY_HEADER) {
            return;
        }
        int start = buf.readerIndex();
        ClientCircuit c = circuits.get(buf.getLong(start + 2));
        if (c == null || !c.relay.equals(sender)) {
            return;
        }
        c.lastUsedAt = now();
        linkRouter.onDatagram(c.virtual, buf.slice(start + NatCodec.RELAY_HEADER, len - NatCodec.RELAY_HEADER));
    }

    private long now() {
        return scheduler.now(TimeUnit.MILLISECONDS);
    }

    static List<InetSocketAddress> localCandidates(InetSocketAddress bound) {
        if (!bound.getAddress().isAnyLocalAddress()) {
            return List.of(bound);
        }
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (!a.isLinkLocalAddress() && out.size() < NatCodec.MAX_CANDIDATES) {
                        out.add(new InetSocketAddress(a, bound.getPort()));
                    }
                }
            }
        } catch (SocketException e) {
            // no interfaces to list: no local candidates
        }
        return out;
    }

    /** The node's transport, with relay circuits' virtual addresses wrapped into RELAY packets. */
    private final class VirtualTransport implements DatagramTransport {

        @Override
        public InetSocketAddress localAddress() {
            return transport.localAddress();
        }

        @Override
        public Scheduler scheduler() {
            return scheduler;
        }

        @Override
        public ByteBufAllocator alloc() {
            return transport.alloc();
        }

        @Override
        public void send(InetSocketAddress recipient, ByteBuf data) {
            if (!isVirtual(recipient)) {
                transport.send(recipient, data);
                return;
            }
            try {
                ClientCircuit c = byVirtual.get(recipient);
                if (c == null) {
                    return;
                }
                c.lastUsedAt = now();
                ByteBuf out = transport.alloc().buffer(NatCodec.RELAY_HEADER + data.readableBytes());
                out.writeByte(PacketKind.RELAY.tag()).writeByte(Limits.PROTOCOL_VERSION).writeLong(c.id)
                        .writeBytes(data);
                transport.send(c.relay, out);
            } finally {
                data.release();
            }
        }

        @Override
        public void receive(DatagramHandler handler) {
            throw new UnsupportedOperationException("the link transport's datagrams arrive through linkRouter()");
        }

        @Override
        public Mono<Void> close() {
            return Mono.empty(); // the node closes the real transport
        }
    }

    @Override
    public String toString() {
        return "NatTraversal[" + self.shortString() + ", relays " + relays() + "]";
    }
}
