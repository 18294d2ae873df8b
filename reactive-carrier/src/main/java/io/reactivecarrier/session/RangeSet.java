package io.reactivecarrier.session;

/**
 * A set of disjoint half-open ranges {@code [start, end)} of longs, sorted, merged on insert.
 * Small and allocation-light: stream offsets that were lost or acknowledged out of order.
 */
final class RangeSet {

    private long[] starts = new long[8];
    private long[] ends = new long[8];
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    long firstStart() {
        return starts[0];
    }

    long firstEnd() {
        return ends[0];
    }

    void clear() {
        size = 0;
    }

    /** Adds {@code [s, e)}, merging with neighbours. */
    void add(long s, long e) {
        if (s >= e) {
            return;
        }
        // first range whose end >= s
        int i = 0;
        while (i < size && ends[i] < s) {
            i++;
        }
        if (i == size || starts[i] > e) {
            insert(i, s, e);
            return;
        }
        starts[i] = Math.min(starts[i], s);
        ends[i] = Math.max(ends[i], e);
        int j = i + 1;
        while (j < size && starts[j] <= ends[i]) {
            ends[i] = Math.max(ends[i], ends[j]);
            j++;
        }
        int removed = j - i - 1;
        if (removed > 0) {
            System.arraycopy(starts, j, starts, i + 1, size - j);
            System.arraycopy(ends, j, ends, i + 1, size - j);
            size -= removed;
        }
    }

    /** Removes everything below {@code v}. */
    void removeBelow(long v) {
        int i = 0;
        while (i < size && ends[i] <= v) {
            i++;
        }
        if (i > 0) {
            System.arraycopy(starts, i, starts, 0, size - i);
            System.arraycopy(ends, i, ends, 0, size - i);
            size -= i;
        }
        if (size > 0 && starts[0] < v) {
            starts[0] = v;
        }
    }

    /** The end of the range that contains {@code v}, or {@code v} when none does. */
    long coveredUpTo(long v) {
        for (int i = 0; i < size; i++) {
            if (starts[i] <= v && v < ends[i]) {
                return ends[i];
            }
            if (starts[i] > v) {
                break;
            }
        }
        return v;
    }

    private void insert(int i, long s, long e) {
        if (size == starts.length) {
            starts = java.util.Arrays.copyOf(starts, size * 2);
            ends = java.util.Arrays.copyOf(ends, size * 2);
        }
        System.arraycopy(starts, i, starts, i + 1, size - i);
        System.arraycopy(ends, i, ends, i + 1, size - i);
        starts[i] = s;
        ends[i] = e;
        size++;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            sb.append(i == 0 ? "" : ", ").append(starts[i]).append("..").append(ends[i]);
        }
        return sb.append(']').toString();
    }
}
