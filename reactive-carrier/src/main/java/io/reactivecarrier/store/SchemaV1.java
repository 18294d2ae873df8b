package io.reactivecarrier.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * Migration of a schema-1 store (hex String keys) to schema 2 (binary keys, {@link BytesType}).
 * Friends, requests, the node records and the header keep their maps. The per-message maps and
 * the key-value maps are copied into maps of new names, then the old ones are removed and the
 * schema number is set to 2 in the last commit, which is forced to disk. A crash before that
 * commit leaves a schema-1 store whose old maps are complete; the next open removes the
 * half-copied new maps and migrates again.
 */
final class SchemaV1 {

    static final String OUTBOX = "outbox";
    static final String OUTBOX_IDS = "outbox.ids";
    static final String OUTBOX_SEQ = "outbox.seq";
    static final String RECEIVED = "received";
    static final String KV_PREFIX = "kv.";
    /** Entries copied per intermediate commit (not forced: only the last commit counts). */
    private static final int COMMIT_EVERY = 8192;

    private SchemaV1() {
    }

    /** Migrates {@code store} (schema 1) to schema 2; returns the number of entries copied. */
    static long migrate(MVStore store) {
        List<String> kvMaps = new ArrayList<>();
        for (String name : store.getMapNames()) {
            if (name.equals(StoreMaps.OUTBOX) || name.equals(StoreMaps.OUTBOX_IDS) || name.equals(StoreMaps.OUTBOX_SEQ)
                    || name.equals(StoreMaps.RECEIVED) || name.startsWith(StoreMaps.KV_PREFIX)) {
                store.removeMap(name); // left by an interrupted migration
            } else if (name.startsWith(KV_PREFIX)) {
                kvMaps.add(name);
            }
        }
        Copier c = new Copier(store);
        if (store.hasMap(OUTBOX)) {
            MVMap<byte[], byte[]> to = StoreMaps.bytesMap(store, StoreMaps.OUTBOX);
            c.copy(store.<String, byte[]>openMap(OUTBOX), e -> to.put(outboxKey(e.getKey()), e.getValue()));
        }
        if (store.hasMap(OUTBOX_IDS)) {
            MVMap<byte[], byte[]> to = StoreMaps.bytesMap(store, StoreMaps.OUTBOX_IDS);
            c.copy(store.<String, String>openMap(OUTBOX_IDS), e -> to.put(Hex.decode(e.getKey()), outboxKey(e.getValue())));
        }
        if (store.hasMap(OUTBOX_SEQ)) {
            MVMap<byte[], byte[]> to = StoreMaps.bytesMap(store, StoreMaps.OUTBOX_SEQ);
            c.copy(store.<String, Long>openMap(OUTBOX_SEQ),
                    e -> to.put(Hex.decode(e.getKey()), StoreMaps.longValue(e.getValue())));
        }
        if (store.hasMap(RECEIVED)) {
            MVMap<byte[], byte[]> to = StoreMaps.bytesMap(store, StoreMaps.RECEIVED);
            c.copy(store.<String, Long>openMap(RECEIVED), e -> {
                String k = e.getKey();
                int colon = k.indexOf(':');
                if (colon < 0) {
                    throw new Codec.Malformed("received id without ':' " + k, null);
                }
                to.put(StoreMaps.receivedKey(Hex.decode(k.substring(0, colon)), Hex.decode(k.substring(colon + 1))),
                        StoreMaps.longValue(e.getValue()));
            });
        }
        for (String name : kvMaps) {
            MVMap<byte[], byte[]> to = StoreMaps.bytesMap(store, StoreMaps.KV_PREFIX + name.substring(KV_PREFIX.length()));
            c.copy(store.<String, byte[]>openMap(name), e -> to.put(Hex.decode(e.getKey()), e.getValue()));
        }
        for (String name : List.of(OUTBOX, OUTBOX_IDS, OUTBOX_SEQ, RECEIVED)) {
            if (store.hasMap(name)) {
                store.removeMap(name);
            }
        }
        kvMaps.forEach(store::removeMap);
        store.<String, String>openMap(StoreMaps.META).put("schema", "2");
        store.commit();
        store.sync();
        return c.copied;
    }

    /** "recipient hex:19-digit sequence" → recipient ‖ sequence. */
    private static byte[] outboxKey(String k) {
        int colon = k.lastIndexOf(':');
        if (colon < 0) {
            throw new Codec.Malformed("outbox key without ':' " + k, null);
        }
        try {
            return StoreMaps.outboxKey(Hex.decode(k.substring(0, colon)), Long.parseLong(k.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new Codec.Malformed("outbox key " + k, e);
        }
    }

    private static final class Copier {
        final MVStore store;
        long copied;

        Copier(MVStore store) {
            this.store = store;
        }

        <K, V> void copy(MVMap<K, V> from, java.util.function.Consumer<Map.Entry<K, V>> put) {
            Cursor<K, V> c = from.cursor(null);
            while (c.hasNext()) {
                K k = c.next();
                put.accept(Map.entry(k, c.getValue()));
                if (++copied % COMMIT_EVERY == 0) {
                    store.commit();
                }
            }
        }
    }
}
