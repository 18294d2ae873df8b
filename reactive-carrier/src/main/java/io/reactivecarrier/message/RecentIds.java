package io.reactivecarrier.message;

/**
 * The last {@code capacity} message ids recorded, each with the number of the peer it belongs to,
 * in a ring of primitive slots with an open-addressing index over them: a busy node keeps no
 * object per id. (Two {@code LinkedHashMap}s of 65,536 ids held about 14 MB of entries, keys and
 * ids whose every object the young collections copied while it aged: a third of what survived
 * them in the messages benchmark.) One thread only.
 */
final class RecentIds {

    private final int mask;
    /** The ids' two halves, per slot. */
    private final long[] hi;
    private final long[] lo;
    /** The owner of each slot. */
    private final int[] owner;
    /** Linear-probing index: slot + 1, or 0 for a free place; half full at most. */
    private final int[] table;
    private final int tableMask;
    /** The slot written next (the oldest one once the ring is full). */
    private int next;
    private int size;

    /** @param capacity ids kept, a power of two */
    RecentIds(int capacity) {
        if (capacity < 1 || Integer.bitCount(capacity) != 1 || capacity > (1 << 28)) {
            throw new IllegalArgumentException("capacity must be a power of two up to 2^28: " + capacity);
        }
        mask = capacity - 1;
        hi = new long[capacity];
        lo = new long[capacity];
        owner = new int[capacity];
        table = new int[capacity * 2];
        tableMask = table.length - 1;
    }

    int size() {
        return size;
    }

    /** Records {@code id} for {@code owner} (unless it is there already), forgetting the oldest id when full. */
    void add(int owner, byte[] id) {
        long h = MessageCodec.longAt(id, 0);
        long l = MessageCodec.longAt(id, 8);
        if (find(owner, h, l) >= 0) {
            return;
        }
        int slot = next;
        if (size == mask + 1) {
            delete(placeOf(slot));
        } else {
            size++;
        }
        hi[slot] = h;
        lo[slot] = l;
        this.owner[slot] = owner;
        int i = home(h, l);
        while (table[i] != 0) {
            i = (i + 1) & tableMask;
        }
        table[i] = slot + 1;
        next = (slot + 1) & mask;
    }

    /** Whether {@code id} was recorded for {@code owner} (among the last {@code capacity}). */
    boolean contains(int owner, byte[] id) {
        return find(owner, MessageCodec.longAt(id, 0), MessageCodec.longAt(id, 8)) >= 0;
    }

    /** The owner {@code id} was last recorded for, or -1. */
    int ownerOf(byte[] id) {
        long h = MessageCodec.longAt(id, 0);
        long l = MessageCodec.longAt(id, 8);
        int found = -1;
        int newest = -1;
        for (int i = home(h, l); table[i] != 0; i = (i + 1) & tableMask) {
            int s = table[i] - 1;
            if (hi[s] == h && lo[s] == l) {
                int age = (next - 1 - s) & mask; // 0: the newest slot
                if (found < 0 || age < newest) {
                    found = s;
                    newest = age;
                }
            }
        }
        return found < 0 ? -1 : owner[found];
    }

    private int find(int owner, long h, long l) {
        for (int i = home(h, l); table[i] != 0; i = (i + 1) & tableMask) {
            int s = table[i] - 1;
            if (hi[s] == h && lo[s] == l && this.owner[s] == owner) {
                return s;
            }
        }
        return -1;
    }

    /** The index place holding {@code slot}. */
    private int placeOf(int slot) {
        int i = home(hi[slot], lo[slot]);
        while (table[i] != slot + 1) {
            i = (i + 1) & tableMask;
        }
        return i;
    }

    /** Frees place {@code i}, moving later entries of its probe run back (no tombstones). */
    private void delete(int i) {
        int j = i;
        while (true) {
            j = (j + 1) & tableMask;
            if (table[j] == 0) {
                break;
            }
            int s = table[j] - 1;
            int k = home(hi[s], lo[s]);
            // the entry at j stays if its home lies cyclically in (i, j]
            boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!stays) {
                table[i] = table[j];
                i = j;
            }
        }
        table[i] = 0;
    }

    private int home(long h, long l) {
        long x = h * 0x9E3779B97F4A7C15L ^ l;
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        return (int) x & tableMask;
    }
}
