package io.reactivecarrier.link;

import static io.reactivecarrier.link.LinkPackets.*;

import com.google.crypto.tink.subtle.XChaCha20Poly1305;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.PacketAead;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.wire.Limits;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * The secure links of one node to its friends.
 *
 * <p>Each link starts with a Noise {@code IK} handshake ({@code Noise_IK_25519_AESGCM_SHA256},
 * prologue {@code "reactive-carrier link v1"}): the initiator knows the friend's static X25519
 * key from a {@link PeerResolver}, both sides prove their Ed25519 identity by a signature that
 * binds their static key to their user id, and the transport keys are forward secret. Transport
 * packets carry a 64-bit counter nonce checked against a sliding replay window; keys rotate after
 * {@link LinkOptions#rekeyAfterTime()}. Handshake initiations are checked with a cheap MAC before
 * any Diffie-Hellman, rate-limited per source and globally, and answered with a cookie reply when
 * the node is under load. Keepalives keep the path and the friend's presence fresh; a link
 * follows its friend to a new address. The wire format is in {@code docs/protocol/link.md}.
 *
 * <pre>{@code
 * LinkManager links = LinkManager.create(transport, router, identity, resolver, LinkOptions.create());
 * links.setAuthorizer(friends::contains);
 * links.handle(7, (link, payload) -> ...);
 * links.connect(friendId).subscribe(link -> link.send(7, payload));
 * }</pre>
 *
 * <h2>Threading</h2>
 * All state is confined to the transport's scheduler ({@link DatagramTransport#scheduler()}),
 * where packets arrive, timers fire and frame handlers run. Public methods may be called from any
 * thread. The caller routes the transport's datagrams to {@code router}
 * ({@code transport.receive(router)}); the manager registers the four link packet kinds there.
 */
public final class LinkManager {

    private static final Logger log = LoggerFactory.getLogger(LinkManager.class);

    /** Cookie secrets rotate this often; an initiator uses a cookie for a little less. */
    static final long COOKIE_SECRET_MAX_AGE_MS = 120_000;
    static final long COOKIE_VALID_MS = COOKIE_SECRET_MAX_AGE_MS - 5_000;
    /** How long a connect waits for the resolver. */
    static final java.time.Duration RESOLVE_TIMEOUT = java.time.Duration.ofSeconds(10);
    /** A session is not used to send once this many packets were sent under it. */
    static final long REJECT_AFTER_MESSAGES = Long.MAX_VALUE - (1L << 13);

    /** The payload of a keepalive that asks for an immediate keepalive back. */
    static final byte KEEPALIVE_PROBE = 1;
    /** A keepalive with this byte says the sender closed the link (its node stops or it disconnected). */
    static final byte KEEPALIVE_GOODBYE = 2;
    private static final ByteBuf GOODBYE = io.netty.buffer.Unpooled.unreleasableBuffer(
            io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {KEEPALIVE_GOODBYE}).asReadOnly());
    private static final ByteBuf PROBE = io.netty.buffer.Unpooled.unreleasableBuffer(
            io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {KEEPALIVE_PROBE}).asReadOnly());

    private static final NoiseHandshake.Pattern IK = NoiseHandshake.Pattern.IK;
    private static final PacketAead.Algorithm AEAD = PacketAead.Algorithm.AES_256_GCM;

    private final DatagramTransport transport;
    private final PacketRouter router;
    private final Scheduler scheduler;
    private final LinkIdentity identity;
    private final UserId self;
    private final byte[] selfId;
    private final byte[] binding;
    private final byte[] ownMac1Key;
    private final XChaCha20Poly1305 cookieSealer;
    private final PeerResolver resolver;
    private final LinkOptions options;
    private final LinkMetrics metrics;
    private final LinkPackets packets = new LinkPackets();
    private final HandshakeLimiter limiter;
    private final SecureRandom random = new SecureRandom();
    private final Map<UserId, FriendLink> links = new ConcurrentHashMap<>();
    private final Map<Integer, LinkSession> sessions = new HashMap<>();
    private final Map<Integer, FriendLink> pendings = new HashMap<>();
    private final AtomicReferenceArray<LinkFrameHandler> handlers = new AtomicReferenceArray<>(256);
    private final Sinks.Many<LinkEvent> events;
    private final long keepaliveMs;
    private final long deadAfterMs;
    private final long rekeyAfterMs;
    private final long rejectAfterMs;
    private final long retryMs;
    private final long retryMaxMs;
    private final int maxPayload;
    private final long probeAfterMs;
    private final Disposable tick;

    private volatile Predicate<UserId> authorizer = user -> false;
    private volatile java.util.function.Function<InetSocketAddress, PathType> pathClassifier = a -> PathType.DIRECT;
    private volatile boolean closed;
    private volatile Thread loopThread;
    private byte[] cookieSecret;
    private long cookieSecretAt;

    private LinkManager(DatagramTransport transport, PacketRouter router, LinkIdentity identity,
            PeerResolver resolver, LinkOptions options) {
        this.transport = transport;
        this.router = router;
        this.scheduler = transport.scheduler();
        this.identity = identity;
        this.self = identity.userId();
        this.selfId = self.toBytes();
        this.binding = identity.binding();
        byte[] staticPublic = identity.staticKey().publicKey();
        this.ownMac1Key = LinkPackets.mac1Key(staticPublic);
        try {
            this.cookieSealer = new XChaCha20Poly1305(LinkPackets.cookieKey(staticPublic));
        } catch (GeneralSecurityException e) {
            throw new CryptoException("XChaCha20-Poly1305 unavailable", e);
        }
        this.resolver = resolver;
        this.options = options;
        MeterRegistry registry = options.meterRegistry() != null ? options.meterRegistry() : new SimpleMeterRegistry();
        this.metrics = new LinkMetrics(registry);
        Gauge.builder(LinkMetrics.SESSIONS, sessions, Map::size)
                .tag("node", self.shortString())
                .description("transport sessions held (current, previous and unconfirmed)")
                .register(registry);
        this.limiter = new HandshakeLimiter(options);
        this.events = Sinks.many().multicast().onBackpressureBuffer(options.eventBufferSize(), false);
        this.keepaliveMs = options.keepaliveInterval().toMillis();
        this.deadAfterMs = options.deadAfter().toMillis();
        this.rekeyAfterMs = options.rekeyAfterTime().toMillis();
        this.rejectAfterMs = Math.max(options.rejectAfterTime().toMillis(), rekeyAfterMs + 1);
        this.retryMs = options.handshakeRetry().toMillis();
        this.retryMaxMs = Math.max(retryMs, options.handshakeRetryMax().toMillis());
        this.maxPayload = options.maxDatagram() - DATA_OVERHEAD;
        warmUp();
        router.route(PacketKind.LINK_HANDSHAKE_INIT, this::onInit)
                .route(PacketKind.LINK_HANDSHAKE_RESP, this::onResp)
                .route(PacketKind.LINK_COOKIE, this::onCookie)
                .route(PacketKind.LINK_DATA, this::onData);
        scheduler.schedule(() -> loopThread = Thread.currentThread());
        long tickMs = Math.max(10, Math.min(1000, Math.min(keepaliveMs / 4, deadAfterMs / 8)));
        this.probeAfterMs = tickMs;
        this.tick = scheduler.schedulePeriodically(this::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
    }

    /**
     * A link manager on {@code transport}, registered with {@code router} for the link packet
     * kinds. It accepts no handshake until {@link #setAuthorizer} names who may connect.
     */
    public static LinkManager create(DatagramTransport transport, PacketRouter router, LinkIdentity identity,
            PeerResolver resolver, LinkOptions options) {
        return new LinkManager(Objects.requireNonNull(transport, "transport"), Objects.requireNonNull(router, "router"),
                Objects.requireNonNull(identity, "identity"), Objects.requireNonNull(resolver, "resolver"),
                Objects.requireNonNull(options, "options"));
    }

    /** The user id of this node. */
    public UserId userId() {
        return self;
    }

    /**
     * The scheduler every link's state is confined to: the transport's (the node's event loop).
     * Components that drive links, such as the message service, keep their state on it too, so
     * that a frame, its handling and the frames it sends need no hand-over between threads.
     */
    public Scheduler scheduler() {
        return scheduler;
    }

    /**
     * Who may complete a handshake with this node (its friends). An initiator that fails the
     * test is dropped silently and counted ({@code carrier.link.packets.dropped{reason=unauthorized}}).
     * Nobody is authorized until this is called.
     */
    public void setAuthorizer(Predicate<UserId> authorizer) {
        this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    }

    /**
     * Connects to a friend: resolves its contact, then handshakes, retransmitting the initiation
     * after {@link LinkOptions#handshakeRetry()} (doubling up to {@link LinkOptions#handshakeRetryMax()})
     * for at most {@link LinkOptions#handshakeAttempts()} initiations. Completes with the link
     * when it is up (at once when it already is). Concurrent calls for one friend share one
     * handshake. Fails with {@link LinkException}.
     */
    public Mono<Link> connect(UserId friend) {
        Objects.requireNonNull(friend, "friend");
        return Mono.create(sink -> runOnLoop(() -> doConnect(friend, sink)));
    }

    /** The link to a friend, up or down, if this node has one. */
    public Optional<Link> link(UserId friend) {
        return Optional.ofNullable(links.get(friend));
    }

    /**
     * Link changes: UP, DOWN, ADDRESS_CHANGED. A hot multicast; a subscriber that lags more than
     * {@link LinkOptions#eventBufferSize()} events behind loses the newest ones (never an
     * unbounded buffer).
     */
    public Flux<LinkEvent> events() {
        return events.asFlux();
    }

    /**
     * Delivers frames of {@code frameType} (1..255) to {@code handler}, replacing any earlier
     * one. Frames of a type without a handler are dropped and counted.
     */
    public void handle(int frameType, LinkFrameHandler handler) {
        checkFrameType(frameType);
        handlers.set(frameType, Objects.requireNonNull(handler, "handler"));
    }

    /** Forgets a friend's link: its sessions are erased and a DOWN event is emitted if it was up. */
    public Mono<Void> disconnect(UserId friend) {
        Objects.requireNonNull(friend, "friend");
        return Mono.create(sink -> runOnLoop(() -> {
            FriendLink l = links.remove(friend);
            if (l != null) {
                sayGoodbye(l);
                drop(l, "disconnected");
            }
            sink.success();
        }));
    }

    /**
     * Closes every link (DOWN events), fails pending connects, stops the timers and unregisters
     * from the router. Does not close the transport. Idempotent.
     */
    public Mono<Void> close() {
        return Mono.create(sink -> runOnLoop(() -> {
            doClose();
            sink.success();
        }));
    }

    int maxPayload() {
        return maxPayload;
    }

    /** Whether {@code user} may connect: the authorizer's verdict (NAT traversal punches only for them). */
    boolean authorized(UserId user) {
        return !user.equals(self) && authorizer.test(user);
    }

    /** How {@link Link#path()} is derived from a link's remote address (set by {@link NatTraversal#attach}). */
    void pathClassifier(java.util.function.Function<InetSocketAddress, PathType> classifier) {
        this.pathClassifier = Objects.requireNonNull(classifier, "classifier");
    }

    /**
     * Moves a relayed link that is up to {@code to} (a punched path): sends a keepalive probe
     * there; the friend follows the authenticated packet and answers on the new path. Does
     * nothing for a link that is down or not relayed.
     */
    void migrate(UserId friend, InetSocketAddress to) {
        runOnLoop(() -> {
            FriendLink l = links.get(friend);
            if (closed || l == null || !l.up || !usable(l.current, now()) || l.path != PathType.RELAYED) {
                return;
            }
            setEndpoint(l, to);
            l.lastOffRelayAt = now();
            sendData(l, l.current, FRAME_KEEPALIVE, PROBE.duplicate());
        });
    }

    LinkMetrics metrics() {
        return metrics;
    }

    // ------------------------------------------------------------------ threading and time

    private boolean inLoop() {
        return Thread.currentThread() == loopThread;
    }

    private void runOnLoop(Runnable task) {
        if (inLoop()) {
            task.run();
            return;
        }
        try {
            scheduler.schedule(task);
        } catch (java.util.concurrent.RejectedExecutionException loopGone) {
            // the transport was closed first and its loop is gone: nothing else runs on this state now
            task.run();
        }
    }

    private long now() {
        return scheduler.now(TimeUnit.MILLISECONDS);
    }

    private void warmUp() {
        // provider lookups and class initialisation happen here, on the caller's thread, not on the event loop
        PacketAead aead = PacketAead.create(AEAD, new byte[32]);
        aead.seal(0, new byte[0], new byte[1]);
        packets.cookie(new byte[32], new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 1));
        random.nextInt();
        byte[] own = identity.staticKey().publicKey();
        byte[] msg = NoiseHandshake.initiator(IK, AEAD, identity.staticKey(), own, PROLOGUE).writeMessage(new byte[1]);
        NoiseHandshake.responder(IK, AEAD, identity.staticKey(), PROLOGUE).readMessage(msg);
        LinkIdentity.verifyBinding(self, own, binding);
    }

    // ------------------------------------------------------------------ connect

    private void doConnect(UserId friend, MonoSink<Link> sink) {
        if (closed) {
            sink.error(new LinkException(LinkException.Reason.CLOSED, "the link manager is closed"));
            return;
        }
        if (friend.equals(self)) {
            sink.error(new IllegalArgumentException("cannot link to oneself: " + friend));
            return;
        }
        FriendLink l = links.computeIfAbsent(friend, f -> new FriendLink(this, f));
        if (l.up && usable(l.current, now())) {
            sink.success(l);
            return;
        }
        l.waiters.add(sink);
        sink.onCancel(() -> runOnLoop(() -> l.waiters.remove(sink)));
        if (l.resolving || l.pending != null) {
            return; // shares the handshake in flight
        }
        l.resolving = true;
        resolver.resolve(friend)
                .timeout(RESOLVE_TIMEOUT, scheduler)
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .subscribe(c -> runOnLoop(() -> onResolved(l, c.orElse(null), null)),
                        e -> runOnLoop(() -> onResolved(l, null, e)));
    }

    private void onResolved(FriendLink l, PeerContact contact, Throwable error) {
        l.resolving = false;
        if (closed || links.get(l.peer) != l) {
            failWaiters(l, new LinkException(LinkException.Reason.CLOSED, "the link to " + l.peer + " was closed while connecting"));
            return;
        }
        if (contact == null) {
            failWaiters(l, new LinkException(LinkException.Reason.NOT_FOUND, "no contact found for " + l.peer
                    + ": the friend is offline or has not published its peer record yet; retry later", error));
            return;
        }
        if (!contact.user().equals(l.peer)) {
            failWaiters(l, new LinkException(LinkException.Reason.BAD_BINDING,
                    "the resolver returned the contact of " + contact.user() + " for " + l.peer));
            return;
        }
        byte[] key = contact.staticKey();
        byte[] sig = contact.binding();
        if (sig != null && !LinkIdentity.verifyBinding(l.peer, key, sig)) {
            metrics.drop(LinkMetrics.Drop.BAD_BINDING);
            failWaiters(l, new LinkException(LinkException.Reason.BAD_BINDING, "the static key published for "
                    + l.peer + " is not signed by that user; its peer record is forged or corrupt"));
            return;
        }
        l.staticKey(key);
        l.candidates = contact.endpoints();
        if (l.endpoint == null) {
            l.endpoint = l.candidates.get(0);
            l.path = pathClassifier.apply(l.endpoint);
        }
        if (l.up && usable(l.current, now())) {
            completeWaiters(l);
            return;
        }
        if (l.pending == null) {
            l.attempts = 0;
            initiate(l);
        }
    }

    private void completeWaiters(FriendLink l) {
        if (l.waiters.isEmpty()) {
            return;
        }
        List<MonoSink<Link>> w = new ArrayList<>(l.waiters);
        l.waiters.clear();
        for (MonoSink<Link> s : w) {
            s.success(l);
        }
    }

    private void failWaiters(FriendLink l, Throwable error) {
        if (l.current == null && l.previous == null && l.next == null && l.pending == null
                && l.highestTimestamp == Long.MIN_VALUE && !l.resolving) {
            // a failed connect leaves nothing behind (a friend that handshook once is kept: its
            // highest timestamp is what rejects replayed initiations)
            links.remove(l.peer, l);
        }
        if (l.waiters.isEmpty()) {
            return;
        }
        List<MonoSink<Link>> w = new ArrayList<>(l.waiters);
        l.waiters.clear();
        for (MonoSink<Link> s : w) {
            s.error(error);
        }
    }

    // ------------------------------------------------------------------ initiator

    private int newIndex() {
        while (true) {
            int i = random.nextInt();
            if (!sessions.containsKey(i) && !pendings.containsKey(i)) {
                return i;
            }
        }
    }

    private void cancelPending(FriendLink l) {
        FriendLink.Pending p = l.pending;
        if (p != null) {
            l.pending = null;
            pendings.remove(p.localIndex);
            if (p.timer != null) {
                p.timer.dispose();
            }
        }
    }

    /** Sends a fresh initiation (new ephemeral key, index and timestamp) and arms its retransmission. */
    private void initiate(FriendLink l) {
        cancelPending(l);
        if (closed || l.staticKey == null) {
            return;
        }
        l.attempts++;
        long now = now();
        int index = newIndex();
        NoiseHandshake hs = NoiseHandshake.initiator(IK, AEAD, identity.staticKey(), l.staticKey, PROLOGUE);
        long timestamp = Math.max(l.lastTimestampSent + 1, now);
        l.lastTimestampSent = timestamp;
        byte[] payload = new byte[INIT_PAYLOAD];
        System.arraycopy(selfId, 0, payload, 0, 32);
        System.arraycopy(binding, 0, payload, 32, 64);
        LinkPackets.putLong(payload, 96, timestamp);
        byte[] msg1 = hs.writeMessage(payload);
        ByteBuf pkt = transport.alloc().buffer(INIT_LENGTH);
        FriendLink.Pending p = new FriendLink.Pending(index, hs);
        try {
            pkt.writeByte(PacketKind.LINK_HANDSHAKE_INIT.tag()).writeByte(Limits.PROTOCOL_VERSION)
                    .writeInt(index).writeBytes(msg1).writeZero(2 * MAC_LENGTH);
            p.mac1 = packets.writeMac(l.mac1Key, pkt, INIT_MAC1);
            if (l.cookie != null && now - l.cookieAt < COOKIE_VALID_MS) {
                packets.writeMac(l.cookie, pkt, INIT_MAC2);
            }
            l.pending = p;
            pendings.put(index, l);
            metrics.handshake(LinkMetrics.Outcome.INITIATED);
            for (InetSocketAddress target : targets(l)) {
                transport.send(target, pkt.retainedDuplicate());
            }
        } finally {
            pkt.release();
        }
        long delay = Math.min(retryMaxMs, retryMs << Math.min(20, l.attempts - 1));
        p.timer = scheduler.schedule(() -> onRetry(l, p), delay, TimeUnit.MILLISECONDS);
    }

    private Set<InetSocketAddress> targets(FriendLink l) {
        Set<InetSocketAddress> t = new LinkedHashSet<>();
        if (l.endpoint != null) {
            t.add(l.endpoint);
        }
        t.addAll(l.candidates);
        return t;
    }

    private void onRetry(FriendLink l, FriendLink.Pending p) {
        if (l.pending != p) {
            return;
        }
        if (l.attempts >= options.handshakeAttempts()) {
            cancelPending(l);
            metrics.handshake(LinkMetrics.Outcome.TIMEOUT);
            failWaiters(l, new LinkException(LinkException.Reason.TIMEOUT, l.peer + " did not answer "
                    + l.attempts + " handshake initiations: it is offline or unreachable; retry later"));
            return;
        }
        initiate(l);
    }

    // ------------------------------------------------------------------ INIT (responder)

    private void onInit(InetSocketAddress sender, ByteBuf buf) {
        if (closed) {
            return;
        }
        if (buf.readableBytes() != INIT_LENGTH) {
            metrics.drop(LinkMetrics.Drop.MALFORMED);
            return;
        }
        if (!packets.checkMac(ownMac1Key, buf, INIT_MAC1)) {
            metrics.drop(LinkMetrics.Drop.MAC1);
            return;
        }
        int start = buf.readerIndex();
        long now = now();
        boolean underLoad = limiter.recordAndCheckLoad(now);
        boolean mac2 = !LinkPackets.isZero(buf, INIT_MAC2, MAC_LENGTH)
                && packets.checkMac(packets.cookie(cookieSecret(now), sender), buf, INIT_MAC2);
        if (!mac2 && (underLoad || !limiter.sourceHasToken(sender.getAddress(), now))) {
            sendCookie(sender, buf);
            metrics.drop(LinkMetrics.Drop.COOKIE_REQUIRED);
            return;
        }
        switch (limiter.take(sender.getAddress(), now)) {
            case SOURCE_LIMITED -> {
                metrics.drop(LinkMetrics.Drop.RATE_LIMITED_SOURCE);
                return;
            }
            case GLOBAL_LIMITED -> {
                metrics.drop(LinkMetrics.Drop.RATE_LIMITED_GLOBAL);
                return;
            }
            default -> {
            }
        }
        int senderIndex = buf.getInt(start + INIT_SENDER);
        byte[] msg1 = new byte[NOISE_MSG1];
        buf.getBytes(start + INIT_NOISE, msg1);
        metrics.processed.increment();
        NoiseHandshake hs = NoiseHandshake.responder(IK, AEAD, identity.staticKey(), PROLOGUE);
        byte[] payload;
        try {
            payload = hs.readMessage(msg1);
        } catch (CryptoException e) {
            metrics.drop(LinkMetrics.Drop.HANDSHAKE_AUTH);
            return;
        }
        if (payload.length != INIT_PAYLOAD) {
            metrics.drop(LinkMetrics.Drop.MALFORMED);
            return;
        }
        byte[] rs = hs.remoteStatic();
        UserId initiator = UserId.of(Arrays.copyOfRange(payload, 0, 32));
        if (!LinkIdentity.verifyBinding(initiator, rs, Arrays.copyOfRange(payload, 32, 96))) {
            metrics.drop(LinkMetrics.Drop.BAD_BINDING);
            return;
        }
        if (initiator.equals(self) || !authorizer.test(initiator)) {
            metrics.drop(LinkMetrics.Drop.UNAUTHORIZED);
            return;
        }
        long timestamp = LinkPackets.getLong(payload, 96);
        FriendLink l = links.computeIfAbsent(initiator, f -> new FriendLink(this, f));
        if (timestamp <= l.highestTimestamp) {
            metrics.drop(LinkMetrics.Drop.REPLAYED_INIT);
            return;
        }
        l.highestTimestamp = timestamp;
        if (l.staticKey == null || !Arrays.equals(l.staticKey, rs)) {
            l.staticKey(rs); // bound to the user id by the signature just verified
        }
        if (l.pending != null) {
            if (self.compareTo(initiator) > 0) {
                // both sides initiate: the larger user id's handshake wins; answer ours instead
                metrics.drop(LinkMetrics.Drop.SIMULTANEOUS_INIT);
                if (!sender.equals(l.endpoint)) {
                    setEndpoint(l, sender);
                    initiate(l);
                }
                return;
            }
            cancelPending(l); // the peer's handshake wins; waiters complete when it is confirmed
        }
        byte[] respPayload = new byte[RESP_PAYLOAD];
        System.arraycopy(selfId, 0, respPayload, 0, 32);
        System.arraycopy(binding, 0, respPayload, 32, 64);
        byte[] msg2 = hs.writeMessage(respPayload);
        NoiseTransport keys = hs.split();
        int index = newIndex();
        LinkSession s = new LinkSession(l, index, senderIndex, false, now, keys.sendKey(), keys.receiveKey());
        if (l.next != null) {
            sessions.remove(l.next.localIndex);
        }
        l.next = s;
        sessions.put(index, s);
        setEndpoint(l, sender);
        ByteBuf pkt = transport.alloc().buffer(RESP_LENGTH);
        try {
            pkt.writeByte(PacketKind.LINK_HANDSHAKE_RESP.tag()).writeByte(Limits.PROTOCOL_VERSION)
                    .writeInt(index).writeInt(senderIndex).writeBytes(msg2).writeZero(2 * MAC_LENGTH);
            packets.writeMac(l.mac1Key, pkt, RESP_MAC1);
        } catch (RuntimeException e) {
            pkt.release();
            throw e;
        }
        metrics.handshake(LinkMetrics.Outcome.RESPONDED);
        transport.send(sender, pkt);
    }

    private byte[] cookieSecret(long now) {
        if (cookieSecret == null || now - cookieSecretAt >= COOKIE_SECRET_MAX_AGE_MS) {
            cookieSecret = new byte[32];
            random.nextBytes(cookieSecret);
            cookieSecretAt = now;
        }
        return cookieSecret;
    }

    private void sendCookie(InetSocketAddress sender, ByteBuf init) {
        int start = init.readerIndex();
        byte[] mac1 = new byte[MAC_LENGTH];
        init.getBytes(start + INIT_MAC1, mac1);
        byte[] cookie = packets.cookie(cookieSecret(now()), sender);
        byte[] box;
        try {
            box = cookieSealer.encrypt(cookie, mac1);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cookie encryption failed", e);
        }
        ByteBuf pkt = transport.alloc().buffer(COOKIE_PACKET_LENGTH);
        pkt.writeByte(PacketKind.LINK_COOKIE.tag()).writeByte(Limits.PROTOCOL_VERSION)
                .writeInt(init.getInt(start + INIT_SENDER)).writeBytes(box);
        metrics.cookiesSent.increment();
        transport.send(sender, pkt);
    }

    // ------------------------------------------------------------------ RESP and COOKIE (initiator)

    private void onResp(InetSocketAddress sender, ByteBuf buf) {
        if (closed) {
            return;
        }
        if (buf.readableBytes() != RESP_LENGTH) {
            metrics.drop(LinkMetrics.Drop.MALFORMED);
            return;
        }
        int start = buf.readerIndex();
        FriendLink l = pendings.get(buf.getInt(start + RESP_RECEIVER));
        if (l == null || l.pending == null) {
            metrics.drop(LinkMetrics.Drop.UNKNOWN_INDEX);
            return;
        }
        if (!packets.checkMac(ownMac1Key, buf, RESP_MAC1)) {
            metrics.drop(LinkMetrics.Drop.MAC1);
            return;
        }
        FriendLink.Pending p = l.pending;
        byte[] msg2 = new byte[NOISE_MSG2];
        buf.getBytes(start + RESP_NOISE, msg2);
        byte[] payload;
        try {
            payload = p.handshake.readMessage(msg2);
        } catch (CryptoException | IllegalStateException e) {
            // a forged response spoils this handshake; the retransmission timer starts a fresh one
            metrics.drop(LinkMetrics.Drop.HANDSHAKE_AUTH);
            return;
        }
        if (payload.length != RESP_PAYLOAD
                || !Arrays.equals(Arrays.copyOfRange(payload, 0, 32), l.peer.toBytes())
                || !LinkIdentity.verifyBinding(l.peer, l.staticKey, Arrays.copyOfRange(payload, 32, 96))) {
            metrics.drop(LinkMetrics.Drop.BAD_BINDING);
            return;
        }
        NoiseTransport keys = p.handshake.split();
        cancelPending(l);
        long now = now();
        LinkSession s = new LinkSession(l, p.localIndex, buf.getInt(start + RESP_SENDER), true, now,
                keys.sendKey(), keys.receiveKey());
        sessions.put(s.localIndex, s);
        install(l, s);
        l.attempts = 0;
        setEndpoint(l, sender);
        l.lastReceivedAt = now;
        metrics.handshake(LinkMetrics.Outcome.COMPLETED);
        sendData(l, s, FRAME_KEEPALIVE, null); // confirms the session to the responder
        markUp(l);
    }

    private void onCookie(InetSocketAddress sender, ByteBuf buf) {
        if (closed) {
            return;
        }
        if (buf.readableBytes() != COOKIE_PACKET_LENGTH) {
            metrics.drop(LinkMetrics.Drop.MALFORMED);
            return;
        }
        int start = buf.readerIndex();
        FriendLink l = pendings.get(buf.getInt(start + COOKIE_RECEIVER));
        if (l == null || l.pending == null || l.pending.mac1 == null) {
            metrics.drop(LinkMetrics.Drop.UNKNOWN_INDEX);
            return;
        }
        byte[] box = new byte[COOKIE_PACKET_LENGTH - COOKIE_NONCE];
        buf.getBytes(start + COOKIE_NONCE, box);
        byte[] cookie;
        try {
            cookie = new XChaCha20Poly1305(l.cookieKey).decrypt(box, l.pending.mac1);
        } catch (GeneralSecurityException e) {
            metrics.drop(LinkMetrics.Drop.COOKIE_AUTH);
            return;
        }
        l.pending.mac1 = null; // one cookie per initiation
        l.cookie = cookie;
        l.cookieAt = now();
        // retry at once with mac2; this counts as one of the bounded attempts
        if (l.attempts < options.handshakeAttempts()) {
            initiate(l);
        }
    }

    // ------------------------------------------------------------------ DATA

    private void onData(InetSocketAddress sender, ByteBuf buf) {
        if (closed) {
            return;
        }
        int length = buf.readableBytes();
        if (length < DATA_OVERHEAD) {
            metrics.drop(LinkMetrics.Drop.MALFORMED);
            return;
        }
        int start = buf.readerIndex();
        LinkSession s = sessions.get(buf.getInt(start + DATA_RECEIVER));
        if (s == null) {
            metrics.drop(LinkMetrics.Drop.UNKNOWN_INDEX);
            return;
        }
        long now = now();
        long counter = buf.getLong(start + DATA_COUNTER);
        if (s.age(now) >= rejectAfterMs) {
            metrics.drop(LinkMetrics.Drop.EXPIRED);
            return;
        }
        if (!s.window.check(counter)) {
            metrics.drop(LinkMetrics.Drop.REPLAY);
            return;
        }
        ByteBuf plain = transport.alloc().buffer(length - DATA_HEADER - TAG_LENGTH);
        try {
            try {
                s.receiver.open(counter, buf.slice(start, DATA_HEADER),
                        buf.slice(start + DATA_HEADER, length - DATA_HEADER), plain);
            } catch (CryptoException e) {
                metrics.drop(LinkMetrics.Drop.DATA_AUTH);
                return;
            }
            s.window.accept(counter);
            FriendLink l = s.link;
            if (s == l.next) {
                install(l, s);
                metrics.handshake(LinkMetrics.Outcome.CONFIRMED);
            }
            l.lastReceivedAt = now;
            follow(l, sender, now);
            markUp(l);
            int frameType = plain.readUnsignedByte();
            if (frameType == FRAME_KEEPALIVE) {
                byte kind = plain.isReadable() ? plain.readByte() : 0;
                if (kind == KEEPALIVE_PROBE) {
                    sendData(l, l.current != null ? l.current : s, FRAME_KEEPALIVE, null);
                } else if (kind == KEEPALIVE_GOODBYE) {
                    // authenticated and inside the replay window: the friend really closed the link
                    drop(l, "closed by the friend");
                }
                return;
            }
            LinkFrameHandler handler = handlers.get(frameType);
            if (handler == null) {
                metrics.drop(LinkMetrics.Drop.NO_HANDLER);
                return;
            }
            handler.onFrame(l, plain);
        } finally {
            plain.release();
        }
    }

    /** Makes {@code s} the current session; the old current one stays to decrypt late packets. */
    private void install(FriendLink l, LinkSession s) {
        if (l.current == s) {
            return;
        }
        if (l.previous != null) {
            sessions.remove(l.previous.localIndex);
        }
        l.previous = l.current;
        l.current = s;
        if (l.next == s) {
            l.next = null;
        }
    }

    /**
     * Follows the friend to the address an authenticated packet came from, except back onto a
     * relay while the direct (or punched) path delivered within the keepalive interval: late
     * relayed packets after a move to a punched path must not move the link back.
     */
    private void follow(FriendLink l, InetSocketAddress sender, long now) {
        if (sender.equals(l.endpoint)) {
            if (l.path != PathType.RELAYED) {
                l.lastOffRelayAt = now;
            }
            return;
        }
        if (l.path != PathType.RELAYED && pathClassifier.apply(sender) == PathType.RELAYED
                && now - l.lastOffRelayAt < keepaliveMs) {
            return;
        }
        setEndpoint(l, sender);
        if (l.path != PathType.RELAYED) {
            l.lastOffRelayAt = now;
        }
    }

    private void setEndpoint(FriendLink l, InetSocketAddress sender) {
        InetSocketAddress old = l.endpoint;
        if (sender.equals(old)) {
            return;
        }
        l.endpoint = sender;
        l.path = pathClassifier.apply(sender);
        if (old != null && (l.up || l.current != null)) {
            emit(LinkEvent.Type.ADDRESS_CHANGED, l);
        }
    }

    private void markUp(FriendLink l) {
        if (!l.up) {
            l.up = true;
            emit(LinkEvent.Type.UP, l);
        }
        completeWaiters(l);
    }

    private void markDown(FriendLink l) {
        if (l.up) {
            l.up = false;
            emit(LinkEvent.Type.DOWN, l);
        }
    }

    private void emit(LinkEvent.Type type, FriendLink l) {
        Sinks.EmitResult r = events.tryEmitNext(new LinkEvent(type, l.peer, l.endpoint));
        if (r.isFailure()) {
            log.debug("link event {} for {} dropped: {}", type, l.peer.shortString(), r);
        }
    }

    // ------------------------------------------------------------------ send

    boolean send(FriendLink l, int frameType, ByteBuf payload) {
        Objects.requireNonNull(payload, "payload");
        if (frameType < 1 || frameType > 255 || payload.readableBytes() > maxPayload || closed || !l.up) {
            payload.release();
            return false;
        }
        if (inLoop()) {
            try {
                return doSend(l, frameType, payload);
            } finally {
                payload.release();
            }
        }
        try {
            scheduler.schedule(() -> {
                try {
                    doSend(l, frameType, payload);
                } finally {
                    payload.release();
                }
            });
            return true;
        } catch (RuntimeException rejected) {
            payload.release();
            return false;
        }
    }

    private boolean doSend(FriendLink l, int frameType, ByteBuf payload) {
        if (closed || !l.up || links.get(l.peer) != l) {
            return false;
        }
        LinkSession s = l.current;
        if (!usable(s, now())) {
            return false;
        }
        sendData(l, s, frameType, payload);
        return true;
    }

    private boolean usable(LinkSession s, long now) {
        return s != null && s.age(now) < rejectAfterMs && s.sendCounter < REJECT_AFTER_MESSAGES;
    }

    private void sendData(FriendLink l, LinkSession s, int frameType, ByteBuf payload) {
        int len = payload == null ? 0 : payload.readableBytes();
        ByteBuf out = transport.alloc().buffer(DATA_OVERHEAD + len);
        ByteBuf plain = transport.alloc().buffer(1 + len);
        try {
            out.writeByte(PacketKind.LINK_DATA.tag()).writeByte(Limits.PROTOCOL_VERSION)
                    .writeInt(s.remoteIndex).writeLong(s.sendCounter);
            plain.writeByte(frameType);
            if (payload != null) {
                plain.writeBytes(payload, payload.readerIndex(), len);
            }
            s.sender.seal(s.sendCounter, out.slice(out.readerIndex(), DATA_HEADER), plain, out);
            s.sendCounter++;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        } finally {
            plain.release();
        }
        l.lastSentAt = now();
        transport.send(l.endpoint, out);
    }

    // ------------------------------------------------------------------ timers

    private void tick() {
        if (closed) {
            return;
        }
        long now = now();
        for (FriendLink l : new ArrayList<>(links.values())) {
            try {
                tick(l, now);
            } catch (RuntimeException e) {
                log.warn("link timer failed for {}", l.peer.shortString(), e);
            }
        }
    }

    private void tick(FriendLink l, long now) {
        l.previous = expire(l.previous, now);
        l.next = expire(l.next, now);
        l.current = expire(l.current, now);
        if (l.up && (l.current == null || now - l.lastReceivedAt >= deadAfterMs)) {
            markDown(l);
        }
        LinkSession c = l.current;
        if (c == null) {
            return;
        }
        if (l.up && now - l.lastReceivedAt >= keepaliveMs + probeAfterMs) {
            // the friend's keepalives are late: probe every tick, each probe asks for an answer
            sendData(l, c, FRAME_KEEPALIVE, PROBE.duplicate());
        } else if (now - l.lastSentAt >= keepaliveMs) {
            sendData(l, c, FRAME_KEEPALIVE, null);
        }
        if (l.pending == null && !c.rekeyStarted && l.staticKey != null && !l.resolving) {
            long age = c.age(now);
            boolean due = c.initiator
                    ? age >= rekeyAfterMs || c.sendCounter >= options.rekeyAfterMessages()
                    : age >= rekeyAfterMs + (rejectAfterMs - rekeyAfterMs) / 2;
            if (due) {
                c.rekeyStarted = true;
                l.attempts = 0;
                initiate(l);
            }
        }
    }

    private LinkSession expire(LinkSession s, long now) {
        if (s != null && s.age(now) >= rejectAfterMs) {
            sessions.remove(s.localIndex);
            return null;
        }
        return s;
    }

    // ------------------------------------------------------------------ close

    /** Tells a friend whose link is up that it is closed, so it sees us go at once rather than after deadAfter. */
    private void sayGoodbye(FriendLink l) {
        if (l.up && l.current != null) {
            sendData(l, l.current, FRAME_KEEPALIVE, GOODBYE.duplicate());
        }
    }

    private void drop(FriendLink l, String why) {
        cancelPending(l);
        for (LinkSession s : new LinkSession[] {l.current, l.previous, l.next}) {
            if (s != null) {
                sessions.remove(s.localIndex);
            }
        }
        l.current = null;
        l.previous = null;
        l.next = null;
        failWaiters(l, new LinkException(LinkException.Reason.CLOSED, "the link to " + l.peer + " was " + why));
        markDown(l);
    }

    private void doClose() {
        if (closed) {
            return;
        }
        tick.dispose();
        for (FriendLink l : new ArrayList<>(links.values())) {
            sayGoodbye(l);
            drop(l, "closed");
        }
        closed = true;
        links.clear();
        sessions.clear();
        pendings.clear();
        router.remove(PacketKind.LINK_HANDSHAKE_INIT)
                .remove(PacketKind.LINK_HANDSHAKE_RESP)
                .remove(PacketKind.LINK_COOKIE)
                .remove(PacketKind.LINK_DATA);
        events.tryEmitComplete();
    }

    private static void checkFrameType(int frameType) {
        if (frameType < 1 || frameType > 255) {
            throw new IllegalArgumentException("frame types are 1..255 (0 is the keepalive): " + frameType);
        }
    }

    @Override
    public String toString() {
        return "LinkManager[" + self.shortString() + " on " + transport.localAddress() + ", " + links.size() + " links]";
    }
}
