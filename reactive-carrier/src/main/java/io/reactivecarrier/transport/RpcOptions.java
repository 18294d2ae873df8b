package io.reactivecarrier.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.reactivecarrier.wire.Limits;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Immutable options of an {@link RpcEndpoint}; every builder method returns a copy.
 *
 * <p>Defaults: 500 ms per attempt, 3 attempts, backoff 100 ms doubling up to 2 s (see
 * {@link RpcCall}); a per-source-IP limit of 200 requests/s with a burst of 400, and a 60 s ban
 * for an IP that has more than {@code burst} requests refused within one second; bodies up to
 * {@link #DEFAULT_MAX_BODY_SIZE} bytes (a request fits in {@link Limits#DEFAULT_MAX_DATAGRAM});
 * 4096 cached peer keys; encryption on; {@link Metrics#globalRegistry}; a {@code SecureRandom}.
 *
 * <pre>{@code
 * RpcOptions options = RpcOptions.create()
 *         .timeout(Duration.ofSeconds(1)).attempts(4)
 *         .rateLimit(50, 100).meterRegistry(registry);
 * RpcEndpoint rpc = RpcEndpoint.create(transport, router, nodeKey, options);
 * }</pre>
 */
public final class RpcOptions {

    /** The largest body whose envelope fits in {@link Limits#DEFAULT_MAX_DATAGRAM}. */
    public static final int DEFAULT_MAX_BODY_SIZE = Limits.DEFAULT_MAX_DATAGRAM - RpcCodec.OVERHEAD;

    private final RpcCall call;
    private final double rateLimit;
    private final int rateBurst;
    private final Duration banDuration;
    private final int maxBodySize;
    private final int keyCacheSize;
    private final boolean encryption;
    private final MeterRegistry registry;
    private final RandomGenerator random;

    private RpcOptions(RpcCall call, double rateLimit, int rateBurst, Duration banDuration, int maxBodySize,
            int keyCacheSize, boolean encryption, MeterRegistry registry, RandomGenerator random) {
        this.call = call;
        this.rateLimit = rateLimit;
        this.rateBurst = rateBurst;
        this.banDuration = banDuration;
        this.maxBodySize = maxBodySize;
        this.keyCacheSize = keyCacheSize;
        this.encryption = encryption;
        this.registry = registry;
        this.random = random;
    }

    /** The default options. */
    public static RpcOptions create() {
        return new RpcOptions(RpcCall.of(Duration.ofMillis(500), 3).backoff(Duration.ofMillis(100), Duration.ofSeconds(2)),
                200, 400, Duration.ofSeconds(60), DEFAULT_MAX_BODY_SIZE, 4096, true, Metrics.globalRegistry, null);
    }

    /** The call settings of {@link RpcEndpoint#request(java.net.InetSocketAddress, byte[], int, byte[])}. */
    public RpcOptions call(RpcCall call) {
        return new RpcOptions(Objects.requireNonNull(call, "call"), rateLimit, rateBurst, banDuration, maxBodySize,
                keyCacheSize, encryption, registry, random);
    }

    /** The default per-attempt timeout. */
    public RpcOptions timeout(Duration timeout) {
        return call(RpcCall.of(timeout, call.attempts()).backoff(call.backoff(), call.maxBackoff()));
    }

    /** The default number of attempts. */
    public RpcOptions attempts(int attempts) {
        return call(RpcCall.of(call.timeout(), attempts).backoff(call.backoff(), call.maxBackoff()));
    }

    /** The default backoff. */
    public RpcOptions backoff(Duration base, Duration max) {
        return call(call.backoff(base, max));
    }

    /** Requests accepted per second from one source IP, and the burst above that rate. */
    public RpcOptions rateLimit(double requestsPerSecond, int burst) {
        if (!(requestsPerSecond > 0) || burst < 1) {
            throw new IllegalArgumentException("rate limit must be positive: " + requestsPerSecond + "/s burst " + burst);
        }
        return new RpcOptions(call, requestsPerSecond, burst, banDuration, maxBodySize, keyCacheSize, encryption,
                registry, random);
    }

    /** How long an abusive source IP is ignored; {@link Duration#ZERO} never bans. */
    public RpcOptions banDuration(Duration ban) {
        if (ban.isNegative()) {
            throw new IllegalArgumentException("ban must not be negative: " + ban);
        }
        return new RpcOptions(call, rateLimit, rateBurst, ban, maxBodySize, keyCacheSize, encryption, registry,
                random);
    }

    /** The largest request or response body, in bytes. */
    public RpcOptions maxBodySize(int bytes) {
        int max = Limits.MAX_DATAGRAM - RpcCodec.OVERHEAD;
        if (bytes < 0 || bytes > max) {
            throw new IllegalArgumentException("maxBodySize must be in 0.." + max + ": " + bytes);
        }
        return new RpcOptions(call, rateLimit, rateBurst, banDuration, bytes, keyCacheSize, encryption, registry,
                random);
    }

    /** How many per-peer derived keys are cached. */
    public RpcOptions keyCacheSize(int entries) {
        if (entries < 1) {
            throw new IllegalArgumentException("keyCacheSize must be positive: " + entries);
        }
        return new RpcOptions(call, rateLimit, rateBurst, banDuration, maxBodySize, entries, encryption, registry,
                random);
    }

    /**
     * Whether bodies are encrypted and authenticated (the default). {@code false} is for large
     * simulations only: the header layout stays the same, the body travels in plaintext and the
     * tag is zero, so anyone can forge or read packets. Never use it on a real network.
     */
    public RpcOptions encryption(boolean encryption) {
        return new RpcOptions(call, rateLimit, rateBurst, banDuration, maxBodySize, keyCacheSize, encryption,
                registry, random);
    }

    /** The registry of the {@code carrier.rpc.*} meters. */
    public RpcOptions meterRegistry(MeterRegistry registry) {
        return new RpcOptions(call, rateLimit, rateBurst, banDuration, maxBodySize, keyCacheSize, encryption,
                Objects.requireNonNull(registry, "registry"), random);
    }

    /**
     * The source of transaction ids, nonces and backoff jitter. A seeded generator makes a
     * simulation reproducible and the ids and nonces predictable: simulator only. Used only on
     * the transport's scheduler, so it need not be thread-safe there.
     */
    public RpcOptions random(RandomGenerator random) {
        return new RpcOptions(call, rateLimit, rateBurst, banDuration, maxBodySize, keyCacheSize, encryption,
                registry, Objects.requireNonNull(random, "random"));
    }

    public RpcCall call() {
        return call;
    }

    public double rateLimit() {
        return rateLimit;
    }

    public int rateBurst() {
        return rateBurst;
    }

    public Duration banDuration() {
        return banDuration;
    }

    public int maxBodySize() {
        return maxBodySize;
    }

    public int keyCacheSize() {
        return keyCacheSize;
    }

    public boolean encryption() {
        return encryption;
    }

    public MeterRegistry meterRegistry() {
        return registry;
    }

    /** The configured random, or null for a {@code SecureRandom}. */
    public RandomGenerator random() {
        return random;
    }
}
