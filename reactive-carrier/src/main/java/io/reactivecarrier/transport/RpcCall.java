package io.reactivecarrier.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * How one {@link RpcEndpoint#request RPC} is attempted (immutable): the timeout of each attempt,
 * the number of attempts, and the exponential backoff between attempts. Before attempt
 * {@code n+1} (n ≥ 1) the endpoint waits {@code min(maxBackoff, backoff × 2^(n-1))} scaled by a
 * random factor in [0.5, 1.5) (jitter), so synchronised peers spread out.
 *
 * <pre>{@code
 * RpcCall patient = RpcCall.of(Duration.ofSeconds(2), 5)
 *         .backoff(Duration.ofMillis(200), Duration.ofSeconds(5));
 * rpc.request(peerAddress, peerKey, method, body, patient);
 * }</pre>
 */
public final class RpcCall {

    private final Duration timeout;
    private final int attempts;
    private final Duration backoff;
    private final Duration maxBackoff;

    private RpcCall(Duration timeout, int attempts, Duration backoff, Duration maxBackoff) {
        this.timeout = timeout;
        this.attempts = attempts;
        this.backoff = backoff;
        this.maxBackoff = maxBackoff;
    }

    /** A call with this per-attempt timeout and number of attempts, and no backoff. */
    public static RpcCall of(Duration timeout, int attempts) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
        }
        return new RpcCall(timeout, attempts, Duration.ZERO, Duration.ZERO);
    }

    /** The same call with exponential backoff from {@code base}, capped at {@code max}. */
    public RpcCall backoff(Duration base, Duration max) {
        if (base.isNegative() || max.isNegative()) {
            throw new IllegalArgumentException("backoff must not be negative");
        }
        return new RpcCall(timeout, attempts, base, max);
    }

    /** The timeout of each attempt. */
    public Duration timeout() {
        return timeout;
    }

    /** How many times the request is sent at most. */
    public int attempts() {
        return attempts;
    }

    /** The backoff before the second attempt. */
    public Duration backoff() {
        return backoff;
    }

    /** The largest backoff. */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    @Override
    public String toString() {
        return "RpcCall[timeout=" + timeout + ", attempts=" + attempts + ", backoff=" + backoff + ".." + maxBackoff + "]";
    }
}
