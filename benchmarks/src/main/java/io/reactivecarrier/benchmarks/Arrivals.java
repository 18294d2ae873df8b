package io.reactivecarrier.benchmarks;

import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * The receiving side of the messages benchmark: which messages arrived (a bit per message index,
 * not a map of a million boxed entries, whose resizes and live set lengthened the GC pauses being
 * measured) and, for the measured range, the latency of each from the sender's {@code enqueue()}
 * (the {@link System#nanoTime} in the body; the same monotonic clock in every JVM of the machine)
 * to here. {@code incoming()} emits on one thread, so the lock is uncontended.
 */
final class Arrivals {

    private final BitSet seen = new BitSet();
    private long duplicated;
    private int from = Integer.MAX_VALUE;
    private int to = Integer.MAX_VALUE;
    private Stats latency = new Stats();
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
        latency = new Stats();
        arrived = 0;
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
