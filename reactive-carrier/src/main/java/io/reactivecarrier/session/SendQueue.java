package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;

/**
 * The bytes of one channel not yet acknowledged: buffers in offset order in a ring, found by
 * binary search, released from the head as acknowledgements arrive. Confined to the loop.
 */
final class SendQueue {

    private ByteBuf[] bufs = new ByteBuf[64];
    private long[] offsets = new long[64];
    private int head;
    private int size;

    void add(long offset, ByteBuf buf) {
        if (size == bufs.length) {
            grow();
        }
        int i = (head + size) & (bufs.length - 1);
        bufs[i] = buf;
        offsets[i] = offset;
        size++;
    }

    /** Releases every buffer that ends at or before {@code offset}; returns the bytes released. */
    long releaseBelow(long offset) {
        long released = 0;
        while (size > 0) {
            ByteBuf b = bufs[head];
            if (offsets[head] + b.readableBytes() > offset) {
                break;
            }
            released += b.readableBytes();
            b.release();
            bufs[head] = null;
            head = (head + 1) & (bufs.length - 1);
            size--;
        }
        return released;
    }

    /** Copies {@code [offset, offset + n)} into {@code out}; the range must be held. */
    void copy(long offset, int n, ByteBuf out) {
        int k = find(offset);
        while (n > 0) {
            int i = (head + k) & (bufs.length - 1);
            ByteBuf b = bufs[i];
            int within = (int) (offset - offsets[i]);
            int take = Math.min(n, b.readableBytes() - within);
            out.writeBytes(b, b.readerIndex() + within, take);
            offset += take;
            n -= take;
            k++;
        }
    }

    /** The position (from the head) of the buffer holding {@code offset}. */
    private int find(long offset) {
        int lo = 0;
        int hi = size - 1;
        int mask = bufs.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (offsets[(head + mid) & mask] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    void releaseAll() {
        while (size > 0) {
            bufs[head].release();
            bufs[head] = null;
            head = (head + 1) & (bufs.length - 1);
            size--;
        }
    }

    private void grow() {
        ByteBuf[] nb = new ByteBuf[bufs.length * 2];
        long[] no = new long[bufs.length * 2];
        for (int k = 0; k < size; k++) {
            int i = (head + k) & (bufs.length - 1);
            nb[k] = bufs[i];
            no[k] = offsets[i];
        }
        bufs = nb;
        offsets = no;
        head = 0;
    }
}
