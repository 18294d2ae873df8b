package io.reactivecarrier.transport;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Scheduler;

/**
 * A token bucket per source IP, with a ban for an IP that has more than {@code burst} requests
 * refused within one second. Confined to the transport's scheduler; time is the scheduler's.
 * The table is bounded (Caffeine, size and idle expiry), so spoofed sources cannot grow it.
 */
final class RateLimiter {

    enum Verdict { ALLOWED, LIMITED, BANNED }

    private static final long SECOND = 1_000_000_000L;

    private final Scheduler scheduler;
    private final double perNano;
    private final int burst;
    private final long banNanos;
    private final Cache<InetAddress, Bucket> buckets;

    RateLimiter(Scheduler scheduler, double perSecond, int burst, Duration ban) {
        this.scheduler = scheduler;
        this.perNano = perSecond / SECOND;
        this.burst = burst;
        this.banNanos = ban.toNanos();
        this.buckets = Caffeine.newBuilder()
                .maximumSize(65_536)
                .expireAfterAccess(Duration.ofNanos(Math.max(banNanos, 10 * SECOND) + 10 * SECOND))
                .ticker(() -> scheduler.now(TimeUnit.NANOSECONDS))
                .executor(Runnable::run)
                .build();
    }

    Verdict acquire(InetAddress source) {
        long now = scheduler.now(TimeUnit.NANOSECONDS);
        Bucket b = buckets.get(source, k -> new Bucket(burst, now));
        if (b.bannedUntil > now) {
            return Verdict.BANNED;
        }
        b.tokens = Math.min(burst, b.tokens + (now - b.last) * perNano);
        b.last = now;
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return Verdict.ALLOWED;
        }
        if (now - b.windowStart >= SECOND) {
            b.windowStart = now;
            b.windowRefused = 0;
        }
        if (++b.windowRefused > burst && banNanos > 0) {
            b.bannedUntil = now + banNanos;
            b.windowRefused = 0;
        }
        return Verdict.LIMITED;
    }

    private static final class Bucket {
        double tokens;
        long last;
        long windowStart;
        int windowRefused;
        long bannedUntil = Long.MIN_VALUE;

        Bucket(int tokens, long now) {
            this.tokens = tokens;
            this.last = now;
            this.windowStart = now;
        }
    }
}
