package io.reactivecarrier.transport;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.crypto.tink.aead.internal.InsecureNonceXChaCha20Poly1305;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.wire.DecodeException;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * Authenticated, encrypted request/response over any {@link DatagramTransport}: the RPC layer
 * of the DHT and of signalling. Envelope and rules: {@code docs/protocol/rpc.md}.
 *
 * <ul>
 * <li>Requests carry a random 64-bit transaction id; a response is accepted only for a pending
 * id and only from the key the request was sent to. Unanswered attempts are retried with
 * exponential backoff and jitter ({@link RpcCall}); after the last one the Mono fails with
 * {@link RpcTimeoutException}. Cancelling the Mono forgets the transaction.</li>
 * <li>Responses go to the request's source address. Until an address has answered one of our
 * requests (it is then <em>validated</em>), a response to it is at most 3× the size of its
 * request ({@link RpcRequest#maxResponseBodyBytes()}); a larger reply is dropped and counted.</li>
 * <li>Requests are rate limited per source IP, with a temporary ban for abuse
 * ({@link RpcOptions#rateLimit}).</li>
 * <li>Every malformed, unauthenticated or unexpected packet is dropped and counted in
 * {@code carrier.rpc.dropped{reason}}; nothing is thrown to the transport.</li>
 * </ul>
 *
 * <p>All state is confined to the transport's {@linkplain DatagramTransport#scheduler() scheduler};
 * {@link #request} may be called from any thread and hops onto it. {@link #close()} fails the
 * pending requests and unregisters from the router; the transport stays open (the node owns it).
 *
 * <p>Meters: {@code carrier.rpc.requests{method,outcome=success|timeout|cancelled|error}},
 * {@code carrier.rpc.latency{method}} (successful requests), {@code carrier.rpc.served{method}},
 * {@code carrier.rpc.dropped{reason}}.
 *
 * <pre>{@code
 * PacketRouter router = PacketRouter.create(registry);
 * transport.receive(router);
 * RpcEndpoint rpc = RpcEndpoint.create(transport, router, X25519KeyPair.generate(), RpcOptions.create());
 * rpc.handle(0x7F, request -> Mono.just(request.body()));              // an echo method
 * Mono<byte[]> echoed = rpc.request(peerAddress, peerKey, 0x7F, "ping".getBytes())
 *         .map(RpcEndpoint.RpcResponse::body);
 * }</pre>
 */
public final class RpcEndpoint {

    private static final Logger log = LoggerFactory.getLogger(RpcEndpoint.class);

    /** A response to one of our requests. {@code peerKey} is the responder's X25519 public key. */
    public record RpcResponse(InetSocketAddress from, byte[] peerKey, byte[] body) {
    }

    /**
     * A request to one of our handlers. {@code maxResponseBodyBytes} is the largest reply body
     * that will be sent back (the amplification limit for an unvalidated address).
     */
    public record RpcRequest(InetSocketAddress from, byte[] senderKey, int method, byte[] body,
            int maxResponseBodyBytes) {
    }

    /**
     * Serves one RPC method. Runs on the transport's scheduler and must not block. The Mono's
     * value is the response body; an empty Mono sends no response.
     */
    @FunctionalInterface
    public interface RpcHandler {
        Mono<byte[]> handle(RpcRequest request);
    }

    private static final String[] OUTCOMES = {"success", "timeout", "cancelled", "error"};
    private static final int SUCCESS = 0;
    private static final int TIMEOUT = 1;
    private static final int CANCELLED = 2;
    private static final int ERROR = 3;

    private final DatagramTransport transport;
    private final PacketRouter router;
    private final X25519KeyPair nodeKeyPair;
    private final byte[] nodeKey;
    private final RpcOptions options;
    private final Scheduler scheduler;
    private final RandomGenerator random;
    private final int maxBodySize;
    private final AtomicReferenceArray<RpcHandler> handlers = new AtomicReferenceArray<>(256);
    private final Cache<ByteBuffer, InsecureNonceXChaCha20Poly1305> ciphers;
    private final Function<byte[], InsecureNonceXChaCha20Poly1305> cipherLookup;
    private final Cache<InetSocketAddress, Boolean> validated;
    private final RateLimiter limiter;
    // confined to the scheduler
    private final Map<Long, Pending> pending = new HashMap<>();
    private final Map<ByteBuffer, int[]> pendingKeys = new HashMap<>();
    private volatile boolean closed;

    private final MeterRegistry registry;
    private final Counter[] outcomeCounters = new Counter[256 * OUTCOMES.length];
    private final Timer[] latency = new Timer[256];
    private final Counter[] served = new Counter[256];
    private final Map<String, Counter> drops = new HashMap<>();

    private RpcEndpoint(DatagramTransport transport, PacketRouter router, X25519KeyPair nodeKey, RpcOptions options) {
        this.transport = transport;
        this.router = router;
        this.nodeKeyPair = nodeKey;
        this.nodeKey = nodeKey.publicKey();
        this.options = options;
        this.scheduler = transport.scheduler();
        this.random = options.random() != null ? options.random() : new SecureRandom();
        this.maxBodySize = options.maxBodySize();
        this.registry = options.meterRegistry();
        this.ciphers = Caffeine.newBuilder().maximumSize(options.keyCacheSize()).executor(Runnable::run).build();
        this.cipherLookup = options.encryption()
                ? key -> ciphers.get(ByteBuffer.wrap(key), k -> RpcCodec.cipher(nodeKeyPair, key))
                : null;
        this.validated = Caffeine.newBuilder()
                .maximumSize(65_536)
                .expireAfterAccess(Duration.ofMinutes(10))
                .ticker(() -> scheduler.now(TimeUnit.NANOSECONDS))
                .executor(Runnable::run)
                .build();
        this.limiter = new RateLimiter(scheduler, options.rateLimit(), options.rateBurst(), options.banDuration());
        for (String reason : List.of("truncated", "oversized", "bad_version", "authentication", "rate_limited",
                "banned", "unexpected", "unknown_txid", "wrong_key", "unknown_method", "amplification",
                "oversized_response", "handler_error", "closed", "malformed")) {
            drops.put(reason, registry.counter("carrier.rpc.dropped", "reason", reason));
        }
    }

    /**
     * An endpoint on {@code transport}, registered with {@code router} for
     * {@link PacketKind#RPC_REQUEST} and {@link PacketKind#RPC_RESPONSE}.
     */
    public static RpcEndpoint create(DatagramTransport transport, PacketRouter router, X25519KeyPair nodeKey,
            RpcOptions options) {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(nodeKey, "nodeKey");
        Objects.requireNonNull(options, "options");
        RpcEndpoint endpoint = new RpcEndpoint(transport, router, nodeKey, options);
        router.route(PacketKind.RPC_REQUEST, endpoint::onRequest);
        router.route(PacketKind.RPC_RESPONSE, endpoint::onResponse);
        return endpoint;
    }

    /** This node's X25519 public key: its DHT node id bytes (a copy). */
    public byte[] nodeKey() {
        return nodeKey.clone();
    }

    /** The transport this endpoint sends on. */
    public DatagramTransport transport() {
        return transport;
    }

    /** A request with the {@linkplain RpcOptions#call() default call settings}. */
    public Mono<RpcResponse> request(InetSocketAddress to, byte[] peerKey, int method, byte[] body) {
        return request(to, peerKey, method, body, options.call());
    }

    /**
     * Sends {@code body} to method {@code method} of the node with key {@code peerKey} at
     * {@code to}. Fails with {@link IllegalArgumentException} for a body over
     * {@link RpcOptions#maxBodySize}, with {@link RpcTimeoutException} after the last attempt.
     */
    public Mono<RpcResponse> request(InetSocketAddress to, byte[] peerKey, int method, byte[] body, RpcCall call) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(peerKey, "peerKey");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(call, "call");
        if (peerKey.length != X25519KeyPair.KEY_LENGTH) {
            return Mono.error(new IllegalArgumentException("a peer key has " + X25519KeyPair.KEY_LENGTH + " bytes"));
        }
        if (method < 0 || method > 255) {
            return Mono.error(new IllegalArgumentException("an RPC method is in 0..255: " + method));
        }
        if (body.length > maxBodySize) {
            return Mono.error(new IllegalArgumentException("RPC body of " + body.length
                    + " bytes exceeds maxBodySize " + maxBodySize + " bytes"));
        }
        byte[] key = peerKey.clone();
        byte[] payload = body.clone();
        return Mono.create(sink -> {
            Pending p = new Pending(to, key, method, payload, call, sink);
            sink.onDispose(p::dispose);
            try {
                scheduler.schedule(p::start);
            } catch (RuntimeException rejected) {
                sink.error(new IllegalStateException("the RPC endpoint's transport is closed", rejected));
            }
        });
    }

    /** Serves {@code method} (0..255) with {@code handler}, replacing any earlier handler. */
    public void handle(int method, RpcHandler handler) {
        if (method < 0 || method > 255) {
            throw new IllegalArgumentException("an RPC method is in 0..255: " + method);
        }
        handlers.set(method, Objects.requireNonNull(handler, "handler"));
    }

    /** Fails pending requests, stops serving and unregisters from the router. Idempotent. */
    public Mono<Void> close() {
        return Mono.defer(() -> {
            if (closed) {
                return Mono.empty();
            }
            closed = true;
            router.remove(PacketKind.RPC_REQUEST);
            router.remove(PacketKind.RPC_RESPONSE);
            return Mono.<Void>fromRunnable(() -> {
                for (Pending p : new ArrayList<>(pending.values())) {
                    p.fail(new IllegalStateException("the RPC endpoint was closed"), ERROR);
                }
            }).subscribeOn(scheduler).onErrorResume(e -> Mono.empty());
        });
    }

    /** The number of pending transactions, read on the scheduler (tests). */
    Mono<Integer> pendingCount() {
        return Mono.fromCallable(pending::size).subscribeOn(scheduler);
    }

    // ------------------------------------------------------------------ inbound

    private void onRequest(InetSocketAddress from, ByteBuf data) {
        if (closed) {
            drop("closed");
            return;
        }
        RateLimiter.Verdict verdict = limiter.acquire(from.getAddress());
        if (verdict != RateLimiter.Verdict.ALLOWED) {
            drop(verdict == RateLimiter.Verdict.BANNED ? "banned" : "rate_limited");
            return;
        }
        int datagramSize = data.readableBytes();
        RpcCodec.Opened req;
        try {
            req = RpcCodec.open(data, maxBodySize, cipherLookup);
        } catch (DecodeException e) {
            drop(e.reason());
            return;
        }
        RpcHandler handler = handlers.get(req.method());
        if (handler == null) {
            drop("unknown_method");
            return;
        }
        boolean isValidated = validated.getIfPresent(from) != null;
        int limit = isValidated ? maxBodySize
                : Math.max(0, Math.min(maxBodySize, 3 * datagramSize - RpcCodec.OVERHEAD));
        RpcRequest request = new RpcRequest(from, req.senderKey(), req.method(), req.body(), limit);
        servedCounter(req.method()).increment();
        Mono<byte[]> reply;
        try {
            reply = handler.handle(request);
        } catch (RuntimeException e) {
            drop("handler_error");
            log.debug("RPC handler of method {} failed", req.method(), e);
            return;
        }
        if (reply == null) {
            return;
        }
        byte[] senderKey = req.senderKey();
        long txid = req.txid();
        int method = req.method();
        reply.subscribe(
                body -> respond(from, senderKey, txid, method, body, limit, isValidated),
                e -> {
                    drop("handler_error");
                    log.debug("RPC handler of method {} failed", method, e);
                });
    }

    private void respond(InetSocketAddress to, byte[] peerKey, long txid, int method, byte[] body, int limit,
            boolean isValidated) {
        if (body == null) {
            return;
        }
        if (body.length > limit) {
            drop(isValidated || body.length > maxBodySize ? "oversized_response" : "amplification");
            return;
        }
        try {
            scheduler.schedule(() -> send(PacketKind.RPC_RESPONSE, to, peerKey, txid, method, body));
        } catch (RuntimeException rejected) {
            drop("closed");
        }
    }

    private void onResponse(InetSocketAddress from, ByteBuf data) {
        if (closed) {
            drop("closed");
            return;
        }
        try {
            RpcCodec.checkSize(data, maxBodySize);
        } catch (DecodeException e) {
            drop(e.reason());
            return;
        }
        // no key derivation and no decryption for a key we are not waiting for
        if (!pendingKeys.containsKey(ByteBuffer.wrap(RpcCodec.senderKey(data)))) {
            drop("unexpected");
            return;
        }
        RpcCodec.Opened res;
        try {
            res = RpcCodec.open(data, maxBodySize, cipherLookup);
        } catch (DecodeException e) {
            drop(e.reason());
            return;
        }
        Pending p = pending.get(res.txid());
        if (p == null) {
            drop("unknown_txid");
            return;
        }
        if (!Arrays.equals(p.peerKey, res.senderKey()) || p.method != res.method()) {
            drop("wrong_key");
            return;
        }
        validated.put(from, Boolean.TRUE);
        p.succeed(new RpcResponse(from, res.senderKey(), res.body()));
    }

    // ------------------------------------------------------------------ outbound

    private void send(PacketKind kind, InetSocketAddress to, byte[] peerKey, long txid, int method, byte[] body) {
        byte[] nonce = new byte[RpcCodec.NONCE_LENGTH];
        InsecureNonceXChaCha20Poly1305 cipher = null;
        if (cipherLookup != null) {
            nextBytes(nonce);
            try {
                cipher = cipherLookup.apply(peerKey);
            } catch (RuntimeException e) {
                drop("authentication");
                return;
            }
        }
        transport.send(to, RpcCodec.encode(transport.alloc(), kind.tag(), nodeKey, nonce, cipher, txid, method, body));
    }

    private void nextBytes(byte[] bytes) {
        if (random instanceof SecureRandom sr) {
            sr.nextBytes(bytes);
        } else {
            for (int i = 0; i < bytes.length; ) {
                long r = random.nextLong();
                for (int j = 0; j < 8 && i < bytes.length; j++, r >>>= 8) {
                    bytes[i++] = (byte) r;
                }
            }
        }
    }

    // ------------------------------------------------------------------ meters

    private void drop(DecodeException.Reason reason) {
        drop(reason.name().toLowerCase(java.util.Locale.ROOT));
    }

    private void drop(String reason) {
        Counter c = drops.get(reason);
        if (c == null) {
            c = drops.get("malformed");
        }
        c.increment();
    }

    private Counter outcome(int method, int outcome) {
        int i = method * OUTCOMES.length + outcome;
        Counter c = outcomeCounters[i];
        if (c == null) {
            c = registry.counter("carrier.rpc.requests", "method", Integer.toString(method), "outcome", OUTCOMES[outcome]);
            outcomeCounters[i] = c;
        }
        return c;
    }

    private Timer latency(int method) {
        Timer t = latency[method];
        if (t == null) {
            t = Timer.builder("carrier.rpc.latency").tag("method", Integer.toString(method)).register(registry);
            latency[method] = t;
        }
        return t;
    }

    private Counter servedCounter(int method) {
        Counter c = served[method];
        if (c == null) {
            c = registry.counter("carrier.rpc.served", "method", Integer.toString(method));
            served[method] = c;
        }
        return c;
    }

    // ------------------------------------------------------------------ transactions

    /** One outstanding request; every method but {@link #dispose} runs on the scheduler. */
    private final class Pending {
        final InetSocketAddress to;
        final byte[] peerKey;
        final ByteBuffer peerKeyBuffer;
        final int method;
        final byte[] body;
        final RpcCall call;
        final MonoSink<RpcResponse> sink;
        long txid;
        int attempt;
        long startNanos;
        Disposable timer;
        boolean registered;
        boolean done;

        Pending(InetSocketAddress to, byte[] peerKey, int method, byte[] body, RpcCall call, MonoSink<RpcResponse> sink) {
            this.to = to;
            this.peerKey = peerKey;
            this.peerKeyBuffer = ByteBuffer.wrap(peerKey);
            this.method = method;
            this.body = body;
            this.call = call;
            this.sink = sink;
        }

        void start() {
            if (done) {
                return;
            }
            if (closed) {
                fail(new IllegalStateException("the RPC endpoint was closed"), ERROR);
                return;
            }
            long id;
            do {
                id = random.nextLong();
            } while (id == 0 || pending.containsKey(id));
            txid = id;
            pending.put(txid, this);
            pendingKeys.computeIfAbsent(peerKeyBuffer, k -> new int[1])[0]++;
            registered = true;
            startNanos = scheduler.now(TimeUnit.NANOSECONDS);
            sendAttempt();
        }

        void sendAttempt() {
            timer = null;
            if (done) {
                return;
            }
            attempt++;
            send(PacketKind.RPC_REQUEST, to, peerKey, txid, method, body);
            timer = scheduler.schedule(this::onTimeout, call.timeout().toNanos(), TimeUnit.NANOSECONDS);
        }

        void onTimeout() {
            timer = null;
            if (done) {
                return;
            }
            if (attempt >= call.attempts()) {
                fail(new RpcTimeoutException(to, method, attempt), TIMEOUT);
                return;
            }
            long base = call.backoff().toNanos();
            if (base == 0) {
                sendAttempt();
                return;
            }
            long backoff = Math.min(call.maxBackoff().toNanos(), base << Math.min(30, attempt - 1));
            long delay = (long) (backoff * (0.5 + random.nextDouble()));
            timer = scheduler.schedule(this::sendAttempt, delay, TimeUnit.NANOSECONDS);
        }

        void succeed(RpcResponse response) {
            if (finish(SUCCESS)) {
                latency(method).record(scheduler.now(TimeUnit.NANOSECONDS) - startNanos, TimeUnit.NANOSECONDS);
                sink.success(response);
            }
        }

        void fail(Throwable error, int outcome) {
            if (finish(outcome)) {
                sink.error(error);
            }
        }

        /** Called on cancel and after termination, from any thread. */
        void dispose() {
            try {
                scheduler.schedule(() -> finish(CANCELLED));
            } catch (RuntimeException rejected) {
                // the scheduler is gone, and the transactions with it
            }
        }

        private boolean finish(int outcome) {
            if (done) {
                return false;
            }
            done = true;
            if (timer != null) {
                timer.dispose();
                timer = null;
            }
            if (registered) {
                pending.remove(txid);
                int[] count = pendingKeys.get(peerKeyBuffer);
                if (count != null && --count[0] == 0) {
                    pendingKeys.remove(peerKeyBuffer);
                }
            }
            outcome(method, outcome).increment();
            return true;
        }
    }
}
