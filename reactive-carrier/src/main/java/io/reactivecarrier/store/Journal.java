package io.reactivecarrier.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.MVMap;

/**
 * The changes of the transaction under way, as a redo record for the write-ahead log and as an
 * undo list for a transaction that throws. Every write a {@link Tx} makes goes through
 * {@link StoreMaps}, which applies it to the map and records it here. Store thread only.
 *
 * <p>A redo record holds each change as the value written (or the key removed), never as an
 * operation on the old value, so replaying a log suffix over any state the log passed through
 * ends in the same state (see {@link Wal}).
 *
 * <p>Op encoding: {@code kind (1) | map name length (1) | map name (ASCII) | key length (varint)
 * | key | [value length (varint) | value]}, kinds {@link #PUT_BYTES}, {@link #REMOVE_BYTES},
 * {@link #PUT_STRING}, {@link #REMOVE_STRING} (String keys as UTF-8).
 */
final class Journal {

    static final int PUT_BYTES = 1;
    static final int REMOVE_BYTES = 2;
    static final int PUT_STRING = 3;
    static final int REMOVE_STRING = 4;

    private final Map<MVMap<?, ?>, byte[]> names = new IdentityHashMap<>();
    private byte[] buf = new byte[16 * 1024];
    private int len;
    private int ops;
    private final List<Object[]> undo = new ArrayList<>();

    void register(MVMap<?, ?> map, String name) {
        names.put(map, name.getBytes(StandardCharsets.US_ASCII));
    }

    /** Records that {@code key} of {@code map} now holds {@code value} and held {@code old} before. */
    <K> void put(MVMap<K, byte[]> map, K key, byte[] value, byte[] old) {
        undo.add(new Object[] {map, key, old});
        op(map, key, value);
    }

    /** Records that {@code key} was removed from {@code map}, where it held {@code old}. */
    <K> void removed(MVMap<K, byte[]> map, K key, byte[] old) {
        undo.add(new Object[] {map, key, old});
        op(map, key, null);
    }

    private void op(MVMap<?, ?> map, Object key, byte[] value) {
        byte[] name = names.get(map);
        if (name == null) {
            throw new IllegalStateException("map " + map + " is not registered with the journal");
        }
        boolean string = key instanceof String;
        byte[] k = string ? ((String) key).getBytes(StandardCharsets.UTF_8) : (byte[]) key;
        ensure(1 + 1 + name.length + 5 + k.length + (value == null ? 0 : 5 + value.length));
        buf[len++] = (byte) (value == null ? (string ? REMOVE_STRING : REMOVE_BYTES) : (string ? PUT_STRING : PUT_BYTES));
        buf[len++] = (byte) name.length;
        System.arraycopy(name, 0, buf, len, name.length);
        len += name.length;
        varint(k.length);
        System.arraycopy(k, 0, buf, len, k.length);
        len += k.length;
        if (value != null) {
            varint(value.length);
            System.arraycopy(value, 0, buf, len, value.length);
            len += value.length;
        }
        ops++;
    }

    private void varint(int v) {
        while ((v & ~0x7f) != 0) {
            buf[len++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    /** Whether the transaction changed anything. */
    boolean isEmpty() {
        return ops == 0;
    }

    /** The encoded ops (valid until the next change or {@link #clear()}). */
    byte[] buffer() {
        return buf;
    }

    int length() {
        return len;
    }

    /** Undoes the changes recorded since the last {@link #clear()}, newest first, and clears. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void undo() {
        for (int i = undo.size() - 1; i >= 0; i--) {
            Object[] u = undo.get(i);
            MVMap map = (MVMap) u[0];
            if (u[2] == null) {
                map.remove(u[1]);
            } else {
                map.put(u[1], u[2]);
            }
        }
        clear();
    }

    /** Forgets the changes (after they were logged, or undone). */
    void clear() {
        undo.clear();
        len = 0;
        ops = 0;
        if (buf.length > (1 << 20)) {
            buf = new byte[16 * 1024]; // do not keep a big transaction's buffer
        }
    }
}
