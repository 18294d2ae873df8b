package io.reactivecarrier.transport;

import java.time.Duration;

/**
 * How a simulated link treats a datagram (immutable; every builder method returns a copy).
 * Applied per datagram, in this order: loss, delay ({@code latency} plus a uniform
 * {@code [0, jitter)}), reorder (with probability {@code reorder}, {@code reorderDelay} more),
 * corruption (one random bit of a copy flipped), duplication (a second copy with its own delay),
 * and, when a bandwidth is set, the sender's serialization delay.
 *
 * <pre>{@code
 * LinkProfile lossy = LinkProfile.perfect()
 *         .latency(Duration.ofMillis(40)).jitter(Duration.ofMillis(10))
 *         .loss(0.02).reorder(0.01, Duration.ofMillis(30)).bandwidth(1_000_000);
 * network.defaultProfile(lossy);
 * }</pre>
 */
public final class LinkProfile {

    private static final LinkProfile PERFECT = new LinkProfile(0, 0, 0, 0, 0, 0, 0, 0);

    final long latencyNanos;
    final long jitterNanos;
    final double loss;
    final double duplicate;
    final double reorder;
    final long reorderDelayNanos;
    final double corrupt;
    final long bandwidthBytesPerSecond;

    private LinkProfile(long latencyNanos, long jitterNanos, double loss, double duplicate, double reorder,
            long reorderDelayNanos, double corrupt, long bandwidthBytesPerSecond) {
        this.latencyNanos = latencyNanos;
        this.jitterNanos = jitterNanos;
        this.loss = loss;
        this.duplicate = duplicate;
        this.reorder = reorder;
        this.reorderDelayNanos = reorderDelayNanos;
        this.corrupt = corrupt;
        this.bandwidthBytesPerSecond = bandwidthBytesPerSecond;
    }

    /** No delay, no loss, no faults, unlimited bandwidth. */
    public static LinkProfile perfect() {
        return PERFECT;
    }

    /** A fixed one-way latency. */
    public LinkProfile latency(Duration latency) {
        return new LinkProfile(nanos(latency), jitterNanos, loss, duplicate, reorder, reorderDelayNanos, corrupt,
                bandwidthBytesPerSecond);
    }

    /** A uniform random extra delay in {@code [0, jitter)}. */
    public LinkProfile jitter(Duration jitter) {
        return new LinkProfile(latencyNanos, nanos(jitter), loss, duplicate, reorder, reorderDelayNanos, corrupt,
                bandwidthBytesPerSecond);
    }

    /** The probability that a datagram is lost. */
    public LinkProfile loss(double probability) {
        return new LinkProfile(latencyNanos, jitterNanos, p(probability), duplicate, reorder, reorderDelayNanos,
                corrupt, bandwidthBytesPerSecond);
    }

    /** The probability that a datagram is delivered twice. */
    public LinkProfile duplicate(double probability) {
        return new LinkProfile(latencyNanos, jitterNanos, loss, p(probability), reorder, reorderDelayNanos, corrupt,
                bandwidthBytesPerSecond);
    }

    /** The probability that a datagram is held back by {@code extraDelay}, so later ones overtake it. */
    public LinkProfile reorder(double probability, Duration extraDelay) {
        return new LinkProfile(latencyNanos, jitterNanos, loss, duplicate, p(probability), nanos(extraDelay), corrupt,
                bandwidthBytesPerSecond);
    }

    /** The probability that one random bit of a datagram is flipped. */
    public LinkProfile corrupt(double probability) {
        return new LinkProfile(latencyNanos, jitterNanos, loss, duplicate, reorder, reorderDelayNanos, p(probability),
                bandwidthBytesPerSecond);
    }

    /** The sender's uplink rate in bytes per second; 0 for unlimited. */
    public LinkProfile bandwidth(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bandwidth must not be negative: " + bytesPerSecond);
        }
        return new LinkProfile(latencyNanos, jitterNanos, loss, duplicate, reorder, reorderDelayNanos, corrupt,
                bytesPerSecond);
    }

    public Duration latency() {
        return Duration.ofNanos(latencyNanos);
    }

    public Duration jitter() {
        return Duration.ofNanos(jitterNanos);
    }

    public double loss() {
        return loss;
    }

    public double duplicate() {
        return duplicate;
    }

    public double reorder() {
        return reorder;
    }

    public Duration reorderDelay() {
        return Duration.ofNanos(reorderDelayNanos);
    }

    public double corrupt() {
        return corrupt;
    }

    public long bandwidth() {
        return bandwidthBytesPerSecond;
    }

    private static long nanos(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a duration must not be negative: " + d);
        }
        return d.toNanos();
    }

    private static double p(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("a probability must be in [0, 1]: " + probability);
        }
        return probability;
    }

    @Override
    public String toString() {
        return "LinkProfile[latency=" + latency() + ", jitter=" + jitter() + ", loss=" + loss + ", duplicate="
                + duplicate + ", reorder=" + reorder + "/" + reorderDelay() + ", corrupt=" + corrupt
                + ", bandwidth=" + bandwidthBytesPerSecond + "]";
    }
}
