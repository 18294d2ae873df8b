package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;

/**
 * The packet numbers received, as at most {@link #MAX_RANGES} ranges (newest first), for ACK
 * frames and duplicate detection. A packet older than the oldest range kept counts as a
 * duplicate: the sender has long declared it lost and sent its data again.
 */
final class ReceivedPackets {

    static final int MAX_RANGES = 32;
    /** Ranges written into one ACK frame. */
    static final int ACK_RANGES = 16;

    // descending: lo[0]..hi[0] is the newest range
    private final long[] lo = new long[MAX_RANGES];
    private final long[] hi = new long[MAX_RANGES];
    private int size;
    private long floor = -1;
    long largestReceivedAt;

    /** Records {@code pn}; false when it was seen before (or is too old to tell). */
    boolean add(long pn) {
        if (pn <= floor) {
            return false;
        }
        int i = 0;
        while (i < size && lo[i] > pn + 1) {
            i++;
        }
        // ranges 0..i-1 lie entirely above pn + 1; range i (if any) starts at or below pn + 1
        if (i < size) {
            if (lo[i] == pn + 1) {
                lo[i] = pn;
                if (i + 1 < size && hi[i + 1] + 1 == pn) {
                    lo[i] = lo[i + 1];
                    remove(i + 1);
                }
                return true;
            }
            if (pn <= hi[i]) {
                return false;
            }
            if (hi[i] + 1 == pn) {
                hi[i] = pn;
                return true;
            }
        }
        // a new range at position i
        if (size == MAX_RANGES) {
            if (i == MAX_RANGES) {
                return false; // older than everything kept
            }
            floor = hi[size - 1];
            size--;
        }
        System.arraycopy(lo, i, lo, i + 1, size - i);
        System.arraycopy(hi, i, hi, i + 1, size - i);
        lo[i] = pn;
        hi[i] = pn;
        size++;
        return true;
    }

    private void remove(int i) {
        System.arraycopy(lo, i + 1, lo, i, size - i - 1);
        System.arraycopy(hi, i + 1, hi, i, size - i - 1);
        size--;
    }

    boolean isEmpty() {
        return size == 0;
    }

    long largest() {
        return size == 0 ? -1 : hi[0];
    }

    /** Whether {@code pn} arrived out of order (not right after the largest so far). */
    boolean isGapBefore(long pn) {
        return size > 1 && hi[0] == pn && lo[0] == pn;
    }

    /** Bytes of the ACK frame {@link #writeAck} writes. */
    int ackFrameSize() {
        int n = Math.min(size, ACK_RANGES);
        return 1 + 8 + 4 + 1 + 4 + (n - 1) * 8;
    }

    /** ACK frame: type, largest, delay (µs), range count - 1, first range length, then (gap, length) pairs. */
    void writeAck(ByteBuf out, long delayMicros) {
        int n = Math.min(size, ACK_RANGES);
        out.writeByte(Frames.ACK).writeLong(hi[0]).writeInt((int) Math.min(delayMicros, Integer.MAX_VALUE))
                .writeByte(n - 1).writeInt((int) (hi[0] - lo[0]));
        for (int i = 1; i < n; i++) {
            out.writeInt((int) (lo[i - 1] - hi[i] - 1)).writeInt((int) (hi[i] - lo[i]));
        }
    }
}
