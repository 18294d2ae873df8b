package io.reactivecarrier.benchmarks;

import java.util.Arrays;

/** Percentiles over recorded samples. */
final class Stats {

    private double[] values;
    private int size;

    Stats() {
        this(1024);
    }

    /** Room for {@code capacity} samples before the first resize. */
    Stats(int capacity) {
        values = new double[Math.max(16, capacity)];
    }

    void add(double v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    /** Adds all samples of {@code other}. */
    void addAll(Stats other) {
        for (int i = 0; i < other.size; i++) {
            add(other.values[i]);
        }
    }

    /** Forgets the samples, keeps the room. */
    void clear() {
        size = 0;
    }

    int count() {
        return size;
    }

    /** The p-th percentile (0..100), nearest rank; NaN when empty. */
    double percentile(double p) {
        if (size == 0) {
            return Double.NaN;
        }
        double[] sorted = Arrays.copyOf(values, size);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * size);
        return sorted[Math.max(0, Math.min(size - 1, rank - 1))];
    }

    double mean() {
        double s = 0;
        for (int i = 0; i < size; i++) {
            s += values[i];
        }
        return size == 0 ? Double.NaN : s / size;
    }
}
