package io.reactivecarrier.link;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcCall;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.wire.DecodeException;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The opt-in relay role of a publicly reachable node: a rendezvous that introduces two
 * registered users to each other so they can punch holes, and a forwarder of opaque
 * {@link PacketKind#RELAY} packets between the two ends of a circuit when punching fails.
 *
 * <p>The relay sees only the link layer's ciphertext: it rewrites the 8-byte circuit id and
 * passes the rest on. Limits per peer (by registered user and by source address): at most
 * {@link Limits#maxCircuitsPerPeer()} circuits, {@link Limits#bytesPerSecondPerPeer()} for all that
 * the peer sends through its circuits together (token buckets per user and per source address,
 * excess dropped and counted), and {@link Limits#maxCircuitDuration()} per circuit; registrations
 * expire after {@link Limits#registrationTtl()} unless refreshed and are bounded in number.
 *
 * <pre>{@code
 * RelayServer relay = RelayServer.start(rpc, router, RelayServer.Limits.defaults());
 * }</pre>
 *
 * <p>All state is confined to the transport's scheduler.
 */
public final class RelayServer {

    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

    /**
     * Limits of a relay; immutable, copy on write, each setter validates its value.
     *
     * <pre>{@code
     * RelayServer.Limits limits = RelayServer.Limits.defaults()
     *         .maxCircuitsPerPeer(4)                     // circuits one peer may hold at once
     *         .bytesPerSecondPerPeer(2 * 1024 * 1024)    // 2 MiB/s per peer, all its circuits together
     *         .maxCircuitDuration(Duration.ofMinutes(10));
     * Carrier.builder().relay(true).relayLimits(limits);
     * }</pre>
     */
    public static final class Limits {
        /** The default of {@link #bytesPerSecondPerPeer(long)}: 10 MiB/s. */
        public static final long DEFAULT_BYTES_PER_SECOND_PER_PEER = 10L * 1024 * 1024;

        private int maxCircuitsPerPeer = 8;
        private long bytesPerSecond = DEFAULT_BYTES_PER_SECOND_PER_PEER;
        private Duration maxCircuitDuration = Duration.ofMinutes(30);
        private Duration circuitIdle = Duration.ofSeconds(90);
        private Duration registrationTtl = Duration.ofSeconds(60);
        private int maxRegistrations = 10_000;

        private Limits() {
        }

        /**
         * 8 circuits per peer, 10 MiB/s per peer, 30 min per circuit, circuits idle for 90 s closed,
         * 60 s registrations, 10,000 registered users.
         */
        public static Limits defaults() {
            return new Limits();
        }

        private Limits copy() {
            Limits l = new Limits();
            l.maxCircuitsPerPeer = maxCircuitsPerPeer;
            l.bytesPerSecond = bytesPerSecond;
            l.maxCircuitDuration = maxCircuitDuration;
            l.circuitIdle = circuitIdle;
            l.registrationTtl = registrationTtl;
            l.maxRegistrations = maxRegistrations;
            return l;
        }

        /** Circuits one peer may hold at once (1..1024). */
        public Limits maxCircuitsPerPeer(int n) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("maxCircuitsPerPeer must be 1..1024, got " + n);
            }
            Limits l = copy();
            l.maxCircuitsPerPeer = n;
            return l;
        }

        /**
         * Bytes per second one peer may send through the relay, all its circuits together (>= 1500;
         * a token bucket with a burst of a quarter second, at least 64 KiB); the excess is dropped.
         * A peer is counted both by its user id and by its source address.
         */
        public Limits bytesPerSecondPerPeer(long n) {
            if (n < 1500) {
                throw new IllegalArgumentException("bytesPerSecondPerPeer must be >= 1500, got " + n);
            }
            Limits l = copy();
            l.bytesPerSecond = n;
            return l;
        }

        /** How long a circuit lives at most, then it is closed (the link falls back to a new one). */
        public Limits maxCircuitDuration(Duration d) {
            Limits l = copy();
            l.maxCircuitDuration = positive(d, "maxCircuitDuration");
            return l;
        }

        /** A circuit that forwarded nothing this long is closed. */
        public Limits circuitIdle(Duration d) {
            Limits l = copy();
            l.circuitIdle = positive(d, "circuitIdle");
            return l;
        }

        /** How long a registration lasts without a refresh. */
        public Limits registrationTtl(Duration d) {
            Limits l = copy();
            l.registrationTtl = positive(d, "registrationTtl");
            return l;
        }

        /** Most registered users (1..1_000_000); the oldest is forgotten first. */
        public Limits maxRegistrations(int n) {
            if (n < 1 || n > 1_000_000) {
                throw new IllegalArgumentException("maxRegistrations must be 1..1000000, got " + n);
            }
            Limits l = copy();
            l.maxRegistrations = n;
            return l;
        }

        /** See {@link #maxCircuitsPerPeer(int)}. */
        public int maxCircuitsPerPeer() {
            return maxCircuitsPerPeer;
        }

        /** See {@link #bytesPerSecondPerPeer(long)}. */
        public long bytesPerSecondPerPeer() {
            return bytesPerSecond;
        }

        /** See {@link #maxCircuitDuration(Duration)}. */
        public Duration maxCircuitDuration() {
            return maxCircuitDuration;
        }

        /** See {@link #circuitIdle(Duration)}. */
        public Duration circuitIdle() {
            return circuitIdle;
        }

        /** See {@link #registrationTtl(Duration)}. */
        public Duration registrationTtl() {
            return registrationTtl;
        }

        /** See {@link #maxRegistrations(int)}. */
        public int maxRegistrations() {
            return maxRegistrations;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Limits l && l.maxCircuitsPerPeer == maxCircuitsPerPeer
                    && l.bytesPerSecond == bytesPerSecond && l.maxCircuitDuration.equals(maxCircuitDuration)
                    && l.circuitIdle.equals(circuitIdle) && l.registrationTtl.equals(registrationTtl)
                    && l.maxRegistrations == maxRegistrations;
        }

        @Override
        public int hashCode() {
            return Objects.hash(maxCircuitsPerPeer, bytesPerSecond, maxCircuitDuration, circuitIdle, registrationTtl,
                    maxRegistrations);
        }

        @Override
        public String toString() {
            return "Limits[maxCircuitsPerPeer=" + maxCircuitsPerPeer + ", bytesPerSecondPerPeer=" + bytesPerSecond
                    + ", maxCircuitDuration=" + maxCircuitDuration + ", circuitIdle=" + circuitIdle
                    + ", registrationTtl=" + registrationTtl + ", maxRegistrations=" + maxRegistrations + "]";
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }
    }

    private record Registration(UserId user, InetSocketAddress address, byte[] nodeKey,
            List<InetSocketAddress> candidates, long at) {
    }

    /** The bandwidth a peer (a user, or a source address) has left: a token bucket. */
    private static final class Bucket {
        double tokens;
        long at;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.at = now;
        }

        void refill(long now, double perMilli, double burst) {
            tokens = Math.min(burst, tokens + Math.max(0, now - at) * perMilli);
            at = now;
        }
    }

    /**
     * One direction of a circuit: packets from {@code owner} go to {@code peer} as circuit
     * {@code peerId}, charged to the owner's buckets (by user and by address).
     */
    private static final class Circuit {
        final long id;
        final UserId ownerUser;
        final InetSocketAddress owner;
        final InetSocketAddress peer;
        final long peerId;
        final long createdAt;
        final Bucket byUser;
        final Bucket byAddress;
        long lastUsedAt;

        Circuit(long id, UserId ownerUser, InetSocketAddress owner, InetSocketAddress peer, long peerId, long now,
                Bucket byUser, Bucket byAddress) {
            this.id = id;
            this.ownerUser = ownerUser;
            this.owner = owner;
            this.peer = peer;
            this.peerId = peerId;
            this.createdAt = now;
            this.lastUsedAt = now;
            this.byUser = byUser;
            this.byAddress = byAddress;
        }
    }

    private final RpcEndpoint rpc;
    private final PacketRouter router;
    private final DatagramTransport transport;
    private final Scheduler scheduler;
    private final Limits limits;
    private final SecureRandom random = new SecureRandom();
    private final LinkedHashMap<UserId, Registration> registrations = new LinkedHashMap<>();
    private final Map<Long, Circuit> circuits = new HashMap<>();
    /** The bandwidth buckets of peers that hold circuits, keyed by {@link UserId} and by {@link InetSocketAddress}. */
    private final Map<Object, Bucket> buckets = new HashMap<>();
    private final Disposable sweeper;
    private final AtomicLong forwardedPackets = new AtomicLong();
    private final AtomicLong forwardedBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    private RelayServer(RpcEndpoint rpc, PacketRouter router, Limits limits) {
        this.rpc = rpc;
        this.router = router;
        this.transport = rpc.transport();
        this.scheduler = transport.scheduler();
        this.limits = limits;
        rpc.handle(NatCodec.REGISTER, this::onRegister);
        rpc.handle(NatCodec.CONNECT, this::onConnect);
        router.route(PacketKind.RELAY, this::onRelay);
        this.sweeper = scheduler.schedulePeriodically(this::sweep, 5, 5, TimeUnit.SECONDS);
    }

    /**
     * Starts relaying on the node of {@code rpc}: serves the REGISTER and CONNECT RPCs and routes
     * {@link PacketKind#RELAY} packets from {@code router} (the node's router).
     */
    public static RelayServer start(RpcEndpoint rpc, PacketRouter router, Limits limits) {
        return new RelayServer(Objects.requireNonNull(rpc, "rpc"), Objects.requireNonNull(router, "router"),
                Objects.requireNonNull(limits, "limits"));
    }

    /** Packets forwarded so far. */
    public long forwardedPackets() {
        return forwardedPackets.get();
    }

    /** Bytes forwarded so far (whole RELAY datagrams). */
    public long forwardedBytes() {
        return forwardedBytes.get();
    }

    /** RELAY packets dropped: unknown circuit, wrong sender, over the rate or malformed. */
    public long droppedPackets() {
        return dropped.get();
    }

    /** Stops relaying: forgets registrations and circuits and unregisters the RELAY route. */
    public Mono<Void> close() {
        return Mono.<Void>fromRunnable(() -> {
            closed = true;
            sweeper.dispose();
            registrations.clear();
            circuits.clear();
            buckets.clear();
            router.remove(PacketKind.RELAY);
        }).subscribeOn(scheduler);
    }

    private long now() {
        return scheduler.now(TimeUnit.MILLISECONDS);
    }

    private Mono<byte[]> onRegister(RpcEndpoint.RpcRequest req) {
        if (closed) {
            return Mono.empty();
        }
        NatCodec.Register r;
        try {
            r = NatCodec.decodeRegister(req.body());
        } catch (DecodeException | RuntimeException e) {
            return Mono.empty();
        }
        registrations.remove(r.user());
        registrations.put(r.user(), new Registration(r.user(), req.from(), req.senderKey(), r.candidates(), now()));
        while (registrations.size() > limits.maxRegistrations) {
            Iterator<UserId> it = registrations.keySet().iterator();
            it.next();
            it.remove();
        }
        return Mono.just(NatCodec.encodeStatus(NatCodec.OK));
    }

    private Mono<byte[]> onConnect(RpcEndpoint.RpcRequest req) {
        if (closed) {
            return Mono.empty();
        }
        NatCodec.Connect c;
        try {
            c = NatCodec.decodeConnect(req.body());
        } catch (DecodeException | RuntimeException e) {
            return Mono.empty();
        }
        long now = now();
        Registration target = registrations.get(c.target());
        if (target == null || now - target.at >= limits.registrationTtl.toMillis()) {
            return Mono.just(NatCodec.encodeStatus(NatCodec.NOT_FOUND));
        }
        if (circuitsOf(c.self(), req.from()) >= limits.maxCircuitsPerPeer
                || circuitsOf(target.user, target.address) >= limits.maxCircuitsPerPeer) {
            return Mono.just(NatCodec.encodeStatus(NatCodec.LIMITED));
        }
        long idA = newCircuitId();
        circuits.put(idA, null); // reserve
        long idB = newCircuitId();
        circuits.put(idA, new Circuit(idA, c.self(), req.from(), target.address, idB, now,
                bucket(c.self(), now), bucket(req.from(), now)));
        circuits.put(idB, new Circuit(idB, target.user, target.address, req.from(), idA, now,
                bucket(target.user, now), bucket(target.address, now)));
        long token = random.nextLong();
        byte[] intro = NatCodec.encodeIntroduce(new NatCodec.Introduce(c.self(), idB, token, req.from(),
                c.candidates()));
        rpc.request(target.address, target.nodeKey, NatCodec.INTRODUCE, intro,
                        RpcCall.of(Duration.ofMillis(700), 3))
                .subscribe(r -> { }, e -> log.debug("introduction of {} to {} failed: {}", c.self().shortString(),
                        target.user.shortString(), e.toString()));
        return Mono.just(NatCodec.encodeConnected(new NatCodec.Connected(NatCodec.OK, idA, token, target.address,
                target.candidates)));
    }

    /** The bucket of a peer (a user id or a source address), full when new. */
    private Bucket bucket(Object peer, long now) {
        return buckets.computeIfAbsent(peer, k -> new Bucket(burst(), now));
    }

    private double burst() {
        return Math.max(64 * 1024, limits.bytesPerSecond / 4);
    }

    private int circuitsOf(UserId user, InetSocketAddress address) {
        int n = 0;
        for (Circuit c : circuits.values()) {
            if (c != null && (c.ownerUser.equals(user) || c.owner.equals(address))) {
                n++;
            }
        }
        return n;
    }

    private long newCircuitId() {
        while (true) {
            long id = random.nextLong();
            if (id != 0 && !circuits.containsKey(id)) {
                return id;
            }
        }
    }

    private void onRelay(InetSocketAddress sender, ByteBuf buf) {
        int len = buf.readableBytes();
        if (closed || len <= NatCodec.RELAY_HEADER) {
            dropped.incrementAndGet();
            return;
        }
        int start = buf.readerIndex();
        Circuit c = circuits.get(buf.getLong(start + 2));
        if (c == null || !c.owner.equals(sender)) {
            dropped.incrementAndGet();
            return;
        }
        long now = now();
        double perMilli = limits.bytesPerSecond / 1000.0;
        double burst = burst();
        c.byUser.refill(now, perMilli, burst);
        c.byAddress.refill(now, perMilli, burst);
        if (c.byUser.tokens < len || c.byAddress.tokens < len) {
            dropped.incrementAndGet();
            return;
        }
        c.byUser.tokens -= len;
        c.byAddress.tokens -= len;
        c.lastUsedAt = now;
        Circuit back = circuits.get(c.peerId);
        if (back != null) {
            back.lastUsedAt = now;
        }
        ByteBuf out = transport.alloc().buffer(len);
        out.writeBytes(buf, start, 2).writeLong(c.peerId).writeBytes(buf, start + NatCodec.RELAY_HEADER,
                len - NatCodec.RELAY_HEADER);
        forwardedPackets.incrementAndGet();
        forwardedBytes.addAndGet(len);
        transport.send(c.peer, out);
    }

    private void sweep() {
        long now = now();
        long maxAge = limits.maxCircuitDuration.toMillis();
        long idle = limits.circuitIdle.toMillis();
        List<Long> gone = new ArrayList<>();
        for (Circuit c : circuits.values()) {
            if (c != null && (now - c.createdAt >= maxAge || now - c.lastUsedAt >= idle)) {
                gone.add(c.id);
            }
        }
        gone.forEach(circuits::remove);
        Set<Bucket> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Circuit c : circuits.values()) {
            if (c != null) {
                inUse.add(c.byUser);
                inUse.add(c.byAddress);
            }
        }
        buckets.values().removeIf(b -> !inUse.contains(b));
        long ttl = limits.registrationTtl.toMillis();
        registrations.values().removeIf(r -> now - r.at >= ttl);
    }

    @Override
    public String toString() {
        return "RelayServer[" + transport.localAddress() + "]";
    }
}
