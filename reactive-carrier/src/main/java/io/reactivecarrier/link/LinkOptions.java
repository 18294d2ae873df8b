package io.reactivecarrier.link;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Objects;

/**
 * The immutable settings of a {@link LinkManager}. Every setter returns a modified copy (the
 * reactor-netty style), so an instance can be shared:
 *
 * <pre>{@code
 * LinkOptions options = LinkOptions.create()
 *         .keepaliveInterval(Duration.ofSeconds(5))
 *         .deadAfter(Duration.ofSeconds(12));
 * }</pre>
 *
 * The defaults keep a friend's presence within the budget of the issue: a friend that appears
 * is seen within one handshake round trip, one that vanishes within {@code deadAfter} plus one
 * timer tick, at about 12 bytes/s of UDP payload per idle friend and direction (see
 * {@code docs/protocol/link.md}).
 */
public final class LinkOptions {

    private Duration keepaliveInterval = Duration.ofSeconds(5);
    private Duration deadAfter = Duration.ofSeconds(12);
    private Duration rekeyAfterTime = Duration.ofSeconds(120);
    private long rekeyAfterMessages = 1L << 60;
    private Duration rejectAfterTime = Duration.ofSeconds(180);
    private Duration handshakeRetry = Duration.ofSeconds(1);
    private Duration handshakeRetryMax = Duration.ofSeconds(8);
    private int handshakeAttempts = 10;
    private int underLoadThreshold = 64;
    private double handshakesPerSecondPerSource = 8;
    private int handshakeBurstPerSource = 8;
    private double handshakesPerSecond = 200;
    private int handshakeBurst = 50;
    private int maxDatagram = io.reactivecarrier.wire.Limits.DEFAULT_MAX_DATAGRAM;
    private int eventBufferSize = 256;
    private MeterRegistry meterRegistry;

    private LinkOptions() {
    }

    /** The defaults. */
    public static LinkOptions create() {
        return new LinkOptions();
    }

    private LinkOptions copy() {
        LinkOptions c = new LinkOptions();
        c.keepaliveInterval = keepaliveInterval;
        c.deadAfter = deadAfter;
        c.rekeyAfterTime = rekeyAfterTime;
        c.rekeyAfterMessages = rekeyAfterMessages;
        c.rejectAfterTime = rejectAfterTime;
        c.handshakeRetry = handshakeRetry;
        c.handshakeRetryMax = handshakeRetryMax;
        c.handshakeAttempts = handshakeAttempts;
        c.underLoadThreshold = underLoadThreshold;
        c.handshakesPerSecondPerSource = handshakesPerSecondPerSource;
        c.handshakeBurstPerSource = handshakeBurstPerSource;
        c.handshakesPerSecond = handshakesPerSecond;
        c.handshakeBurst = handshakeBurst;
        c.maxDatagram = maxDatagram;
        c.eventBufferSize = eventBufferSize;
        c.meterRegistry = meterRegistry;
        return c;
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
        return d;
    }

    /** An empty DATA frame is sent when nothing was sent to a friend for this long (5 s). */
    public LinkOptions keepaliveInterval(Duration interval) {
        LinkOptions c = copy();
        c.keepaliveInterval = positive(interval, "keepaliveInterval");
        return c;
    }

    /** A link is DOWN when nothing authenticated arrived for this long (12 s). */
    public LinkOptions deadAfter(Duration deadAfter) {
        LinkOptions c = copy();
        c.deadAfter = positive(deadAfter, "deadAfter");
        return c;
    }

    /** The initiator of a session starts a new handshake when the session is this old (120 s). */
    public LinkOptions rekeyAfterTime(Duration age) {
        LinkOptions c = copy();
        c.rekeyAfterTime = positive(age, "rekeyAfterTime");
        return c;
    }

    /** The initiator of a session starts a new handshake after sending this many packets (2^60). */
    public LinkOptions rekeyAfterMessages(long packets) {
        if (packets < 1) {
            throw new IllegalArgumentException("rekeyAfterMessages must be positive: " + packets);
        }
        LinkOptions c = copy();
        c.rekeyAfterMessages = packets;
        return c;
    }

    /** A session is neither used nor accepted once it is this old (180 s); must exceed rekeyAfterTime. */
    public LinkOptions rejectAfterTime(Duration age) {
        LinkOptions c = copy();
        c.rejectAfterTime = positive(age, "rejectAfterTime");
        return c;
    }

    /** The first retransmission delay of a handshake initiation (1 s); it doubles up to {@link #handshakeRetryMax}. */
    public LinkOptions handshakeRetry(Duration first) {
        LinkOptions c = copy();
        c.handshakeRetry = positive(first, "handshakeRetry");
        return c;
    }

    /** The longest delay between two initiations (8 s). */
    public LinkOptions handshakeRetryMax(Duration max) {
        LinkOptions c = copy();
        c.handshakeRetryMax = positive(max, "handshakeRetryMax");
        return c;
    }

    /** How many initiations {@link LinkManager#connect} sends before it fails (10). */
    public LinkOptions handshakeAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("handshakeAttempts must be positive: " + attempts);
        }
        LinkOptions c = copy();
        c.handshakeAttempts = attempts;
        return c;
    }

    /**
     * Above this many initiations with a valid mac1 per second, the responder is under load and
     * answers initiations without a valid mac2 with a cookie reply instead of doing any DH (64).
     */
    public LinkOptions underLoadThreshold(int initiationsPerSecond) {
        if (initiationsPerSecond < 1) {
            throw new IllegalArgumentException("underLoadThreshold must be positive: " + initiationsPerSecond);
        }
        LinkOptions c = copy();
        c.underLoadThreshold = initiationsPerSecond;
        return c;
    }

    /** The token bucket of handshake processing per source IP: rate and burst (8/s, 8). */
    public LinkOptions handshakeRateLimitPerSource(double perSecond, int burst) {
        if (perSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be positive");
        }
        LinkOptions c = copy();
        c.handshakesPerSecondPerSource = perSecond;
        c.handshakeBurstPerSource = burst;
        return c;
    }

    /** The global token bucket of handshake processing (DH work): rate and burst (200/s, 50). */
    public LinkOptions handshakeRateLimit(double perSecond, int burst) {
        if (perSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be positive");
        }
        LinkOptions c = copy();
        c.handshakesPerSecond = perSecond;
        c.handshakeBurst = burst;
        return c;
    }

    /** The largest datagram a link sends (1280, the IPv6 minimum MTU): bounds {@link Link#maxPayload()}. */
    public LinkOptions maxDatagram(int bytes) {
        if (bytes < 256 || bytes > io.reactivecarrier.wire.Limits.MAX_DATAGRAM) {
            throw new IllegalArgumentException("maxDatagram out of range: " + bytes);
        }
        LinkOptions c = copy();
        c.maxDatagram = bytes;
        return c;
    }

    /** How many {@link LinkEvent}s a slow subscriber may lag behind before older ones are dropped (256). */
    public LinkOptions eventBufferSize(int events) {
        if (events < 1) {
            throw new IllegalArgumentException("eventBufferSize must be positive: " + events);
        }
        LinkOptions c = copy();
        c.eventBufferSize = events;
        return c;
    }

    /** Where the {@code carrier.link.*} meters go (a private {@link SimpleMeterRegistry} when unset). */
    public LinkOptions meterRegistry(MeterRegistry registry) {
        LinkOptions c = copy();
        c.meterRegistry = Objects.requireNonNull(registry, "registry");
        return c;
    }

    /** See {@link #keepaliveInterval(Duration)}. */
    public Duration keepaliveInterval() {
        return keepaliveInterval;
    }

    /** See {@link #deadAfter(Duration)}. */
    public Duration deadAfter() {
        return deadAfter;
    }

    /** See {@link #rekeyAfterTime(Duration)}. */
    public Duration rekeyAfterTime() {
        return rekeyAfterTime;
    }

    /** See {@link #rekeyAfterMessages(long)}. */
    public long rekeyAfterMessages() {
        return rekeyAfterMessages;
    }

    /** See {@link #rejectAfterTime(Duration)}. */
    public Duration rejectAfterTime() {
        return rejectAfterTime;
    }

    /** See {@link #handshakeRetry(Duration)}. */
    public Duration handshakeRetry() {
        return handshakeRetry;
    }

    /** See {@link #handshakeRetryMax(Duration)}. */
    public Duration handshakeRetryMax() {
        return handshakeRetryMax;
    }

    /** See {@link #handshakeAttempts(int)}. */
    public int handshakeAttempts() {
        return handshakeAttempts;
    }

    /** See {@link #underLoadThreshold(int)}. */
    public int underLoadThreshold() {
        return underLoadThreshold;
    }

    /** See {@link #handshakeRateLimitPerSource(double, int)}. */
    public double handshakesPerSecondPerSource() {
        return handshakesPerSecondPerSource;
    }

    /** See {@link #handshakeRateLimitPerSource(double, int)}. */
    public int handshakeBurstPerSource() {
        return handshakeBurstPerSource;
    }

    /** See {@link #handshakeRateLimit(double, int)}. */
    public double handshakesPerSecond() {
        return handshakesPerSecond;
    }

    /** See {@link #handshakeRateLimit(double, int)}. */
    public int handshakeBurst() {
        return handshakeBurst;
    }

    /** See {@link #maxDatagram(int)}. */
    public int maxDatagram() {
        return maxDatagram;
    }

    /** See {@link #eventBufferSize(int)}. */
    public int eventBufferSize() {
        return eventBufferSize;
    }

    /** The registry set by {@link #meterRegistry(MeterRegistry)}, or null when none was set. */
    public MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    @Override
    public String toString() {
        return "LinkOptions[keepalive=" + keepaliveInterval + ", deadAfter=" + deadAfter
                + ", rekeyAfter=" + rekeyAfterTime + "/" + rekeyAfterMessages + " packets, rejectAfter="
                + rejectAfterTime + ", handshakeRetry=" + handshakeRetry + ".." + handshakeRetryMax + " x"
                + handshakeAttempts + ", underLoad=" + underLoadThreshold + "/s]";
    }
}
