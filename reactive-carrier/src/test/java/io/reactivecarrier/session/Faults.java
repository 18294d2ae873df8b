package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What a faulty path does to each packet, from a seeded random source: drop it, duplicate it,
 * hold it back (reorder), flip one of its bytes, and delay it. Thread-safe.
 */
final class Faults {

    final double loss;
    final double dup;
    final double reorder;
    final double corrupt;
    final long delayNanos;
    final long reorderNanos;
    private final SplittableRandom random;
    long dropped;
    long duplicated;
    long reordered;
    long corrupted;
    /** While true every packet is dropped (a blackhole). */
    volatile boolean blackhole;

    Faults(double loss, double dup, double reorder, double corrupt, long delayNanos, long reorderNanos, long seed) {
        this.loss = loss;
        this.dup = dup;
        this.reorder = reorder;
        this.corrupt = corrupt;
        this.delayNanos = delayNanos;
        this.reorderNanos = reorderNanos;
        this.random = new SplittableRandom(seed);
    }

    static Faults none() {
        return new Faults(0, 0, 0, 0, 0, 0, 1);
    }

    /** A copy of the packet with its delay in nanoseconds. */
    record Delivery(ByteBuf packet, long delayNanos) {
    }

    /** What becomes of {@code packet} (released here; the deliveries are new buffers the caller owns). */
    synchronized List<Delivery> apply(ByteBuf packet) {
        List<Delivery> out = new ArrayList<>(2);
        try {
            if (blackhole || random.nextDouble() < loss) {
                dropped++;
                return out;
            }
            int copies = random.nextDouble() < dup ? 2 : 1;
            if (copies == 2) {
                duplicated++;
            }
            for (int i = 0; i < copies; i++) {
                ByteBuf c = packet.copy();
                if (random.nextDouble() < corrupt) {
                    corrupted++;
                    int at = c.readerIndex() + random.nextInt(c.readableBytes());
                    c.setByte(at, c.getByte(at) ^ (1 + random.nextInt(255)));
                }
                long delay = delayNanos;
                if (random.nextDouble() < reorder) {
                    reordered++;
                    delay += 1 + random.nextLong(Math.max(1, reorderNanos));
                }
                out.add(new Delivery(c, delay));
            }
            return out;
        } finally {
            packet.release();
        }
    }
}
