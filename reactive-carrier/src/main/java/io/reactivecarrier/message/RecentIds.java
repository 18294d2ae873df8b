package io.reactivecarrier.message;

/**
 * The last {@code capacity} message ids recorded, each with the number of the peer it belongs to,
 * in a ring of primitive slots with an open-addressing index over them: a busy node keeps no
 * object per id. (The message service's recent receipts were a {@code LinkedHashMap} of 65,536
 * ids, and its recent received ids another: about 14 MB of entries, keys and ids whose every
 * object the young collections copied while it aged, a third of what survived them in the
 * messages benchmark, and their lookups were a tenth of its CPU samples. Received ids are now
 * recognised by their sequence numbers.) Each index place holds the id's 32-bit hash beside its
 * slot, so a probe reads the slot only when the hashes match, and moving places on a deletion
 * reads no slot at all. Behaves as an insertion-ordered map of id to owner that drops its eldest
 * entry when full. One thread only.
 */
final class RecentIds {

    private final int mask;
    /** Per slot: the id's two halves and its owner. */
    private final long[] data;
    /** Linear-probing index: {@code hash << 32 | slot + 1}, or 0 for a free place; half full at most. */
    private final long[] table;
    private final int tableMask;
    /** The slot written next (the oldest one once the ring is full). */
    private int next;
    private int size;

    /** @param capacity ids kept, a power of two */
    RecentIds(int capacity) {
        if (capacity < 1 || Integer.bitCount(capacity) != 1 || capacity > (1 << 26)) {
            throw new IllegalArgumentException("capacity must be a power of two up to 2^26: " + capacity);
        }
        mask = capacity - 1;
        data = new long[capacity * 3];
        table = new long[capacity * 2];
        tableMask = table.length - 1;
    }

    int size() {
        return size;
    }

    /**
     * Records {@code id} for {@code owner}: a new id takes the next slot (forgetting the oldest id
     * when full); a known one only changes owner and keeps its place.
     */
    void add(int owner, byte[] id) {
        long h = MessageCodec.longAt(id, 0);
        long l = MessageCodec.longAt(id, 8);
        int hash = hash(h, l);
        int known = find(h, l, hash);
        if (known >= 0) {
            data[3 * known + 2] = owner;
            return;
        }
        int slot = next;
        if (size == mask + 1) {
            delete(placeOf(slot));
        } else {
            size++;
        }
        data[3 * slot] = h;
        data[3 * slot + 1] = l;
        data[3 * slot + 2] = owner;
        int i = hash & tableMask;
        while (table[i] != 0) {
            i = (i + 1) & tableMask;
        }
        table[i] = (long) hash << 32 | (slot + 1);
        next = (slot + 1) & mask;
    }

    /** The owner {@code id} was recorded for (among the last {@code capacity} ids), or -1. */
    int ownerOf(byte[] id) {
        long h = MessageCodec.longAt(id, 0);
        long l = MessageCodec.longAt(id, 8);
        int s = find(h, l, hash(h, l));
        return s < 0 ? -1 : (int) data[3 * s + 2];
    }

    private int find(long h, long l, int hash) {
        for (int i = hash & tableMask; table[i] != 0; i = (i + 1) & tableMask) {
            long e = table[i];
            if ((int) (e >>> 32) == hash) {
                int s = (int) e - 1;
                if (data[3 * s] == h && data[3 * s + 1] == l) {
                    return s;
                }
            }
        }
        return -1;
    }

    /** The index place holding {@code slot}. */
    private int placeOf(int slot) {
        int i = hash(data[3 * slot], data[3 * slot + 1]) & tableMask;
        while ((int) table[i] != slot + 1) {
            i = (i + 1) & tableMask;
        }
        return i;
    }

    /** Frees place {@code i}, moving later entries of its probe run back (no tombstones). */
    private void delete(int i) {
        int j = i;
        while (true) {
            j = (j + 1) & tableMask;
            long e = table[j];
            if (e == 0) {
                break;
            }
            int k = (int) (e >>> 32) & tableMask;
            // the entry at j stays if its home lies cyclically in (i, j]
            boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!stays) {
                table[i] = e;
                i = j;
            }
        }
        table[i] = 0;
    }

    private static int hash(long h, long l) {
        long x = h * 0x9E3779B97F4A7C15L ^ l;
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        return (int) x;
    }
}
