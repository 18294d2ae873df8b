package io.reactivecarrier.link;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bounds the work a flood of handshake initiations can cause: a per-source-IP token bucket, a
 * global token bucket (each token is one responder DH computation), and load detection (more
 * initiations with a valid mac1 per second than a threshold), which switches the responder to
 * cookie mode for at least one second. Confined to the node's event loop; the per-source table
 * is bounded (least recently used sources are forgotten).
 */
final class HandshakeLimiter {

    static final int MAX_SOURCES = 4096;

    private final double sourceRatePerMs;
    private final int sourceBurst;
    private final Bucket global;
    private final int underLoadThreshold;
    private final Map<InetAddress, Bucket> sources = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Bucket> eldest) {
            return size() > MAX_SOURCES;
        }
    };

    private long windowStart = Long.MIN_VALUE;
    private int windowCount;
    private long underLoadUntil = Long.MIN_VALUE;

    HandshakeLimiter(LinkOptions options) {
        this.sourceRatePerMs = options.handshakesPerSecondPerSource() / 1000.0;
        this.sourceBurst = options.handshakeBurstPerSource();
        this.global = new Bucket(options.handshakesPerSecond() / 1000.0, options.handshakeBurst(), Long.MIN_VALUE);
        this.underLoadThreshold = options.underLoadThreshold();
    }

    /** Records an initiation with a valid mac1 and tells whether the responder is now under load. */
    boolean recordAndCheckLoad(long nowMs) {
        if (nowMs - windowStart >= 1000) {
            windowStart = nowMs;
            windowCount = 0;
        }
        if (++windowCount > underLoadThreshold) {
            underLoadUntil = nowMs + 1000;
        }
        return nowMs < underLoadUntil;
    }

    /** Whether the source has a token left (without taking it). */
    boolean sourceHasToken(InetAddress source, long nowMs) {
        Bucket b = sources.get(source);
        return b == null || b.available(nowMs) >= 1;
    }

    /** Takes a token of the source's bucket and of the global bucket; false (taking none) when either is empty. */
    Verdict take(InetAddress source, long nowMs) {
        Bucket b = sources.computeIfAbsent(source, s -> new Bucket(sourceRatePerMs, sourceBurst, nowMs));
        if (b.available(nowMs) < 1) {
            return Verdict.SOURCE_LIMITED;
        }
        if (global.available(nowMs) < 1) {
            return Verdict.GLOBAL_LIMITED;
        }
        b.tokens -= 1;
        global.tokens -= 1;
        return Verdict.OK;
    }

    enum Verdict { OK, SOURCE_LIMITED, GLOBAL_LIMITED }

    /** A token bucket that refills continuously. */
    static final class Bucket {
        final double ratePerMs;
        final int burst;
        double tokens;
        long updatedAt;

        Bucket(double ratePerMs, int burst, long nowMs) {
            this.ratePerMs = ratePerMs;
            this.burst = burst;
            this.tokens = burst;
            this.updatedAt = nowMs;
        }

        double available(long nowMs) {
            if (updatedAt == Long.MIN_VALUE) {
                updatedAt = nowMs;
            }
            if (nowMs > updatedAt) {
                tokens = Math.min(burst, tokens + (nowMs - updatedAt) * ratePerMs);
                updatedAt = nowMs;
            }
            return tokens;
        }
    }
}
