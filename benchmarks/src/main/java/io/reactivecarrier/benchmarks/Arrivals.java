package io.reactivecarrier.benchmarks;

import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * The receiving side of the messages benchmark: which messages arrived (a bit per message index,
 * not a map of a million boxed entries, whose resizes and live set lengthened the GC pauses being
 * measured) and, for the measured range, the latency of each from the sender's {@code enqueue()}
 * (the {@link System#nanoTime} in the body; the same monotonic clock in every JVM of the machine)
 * to here. {@code incoming()} emits on one thread, so the lock is uncontended.
 *
 * <p>Warm-up arrivals take the same path as measured ones, branch for branch: until the first
 * {@link #measure} every index is in range and its latency is recorded too, into samples cleared
 * every {@link #WARM_SAMPLES}. Until session 14 only the measured range was recorded, so the JIT
 * compiled the recorder during the measurement and recompiled the subscriber around it, on the
 * receiver's hot path (C1 and C2 of {@code Stats.add} and {@code LambdaSubscriber.onNext} in the
 * first 0.1 s of the measured run).
 */
final class Arrivals {

    /** Warm-up samples kept at most (then cleared): enough to stay hot, too few to matter to the heap. */
    static final int WARM_SAMPLES = 1 << 16;

    private final BitSet seen = new BitSet();
    private long duplicated;
    private int from = 0;
    private int to = Integer.MAX_VALUE;
    private Stats latency = new Stats(WARM_SAMPLES);
    private int room = WARM_SAMPLES; // cleared when full: never while measuring, whose room is its range
    private int arrived;
    private long lastAt;

    /** A message body of {@code size} bytes (at least 16): its index, then the time of the call. */
    static byte[] body(long index, int size) {
        byte[] b = new byte[size];
        ByteBuffer.wrap(b).putLong(0, index).putLong(8, System.nanoTime());
        return b;
    }

    /** Measures messages {@code from} (inclusive) to {@code to} from now on. */
    synchronized void measure(int from, int to) {
        this.from = from;
        this.to = to;
        latency = new Stats(to - from); // no resize while measuring
        room = to - from;
        arrived = 0;
        seen.set(to - 1); // grows the bit set now, not while measuring
        seen.clear(to - 1);
    }

    /** A message handed to {@code incoming()} at {@code now} (nanoTime). */
    void arrived(byte[] body, long now) {
        ByteBuffer b = ByteBuffer.wrap(body);
        int index = (int) b.getLong(0);
        long sentAt = b.getLong(8);
        synchronized (this) {
            if (seen.get(index)) {
                duplicated++;
                return;
            }
            seen.set(index);
            if (index >= from && index < to) {
                if (latency.count() == room) {
                    latency.clear();
                }
                latency.add((now - sentAt) / 1e6);
                arrived++;
                lastAt = now;
            }
        }
    }

    /** The measured range so far. */
    synchronized Report report() {
        return new Report(arrived, duplicated, lastAt, latency.percentile(50), latency.percentile(90),
                latency.percentile(99), latency.percentile(99.9));
    }

    /** Arrived (first copies) of the measured range, duplicates since the start, the last arrival (nanoTime), latency ms. */
    record Report(int arrived, long duplicated, long lastAt, double p50, double p90, double p99, double p999) {
    }
}
