package io.reactivecarrier.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * The MVStore maps of an open store. Only the store's own thread touches them, so nothing here
 * is synchronized.
 */
final class StoreMaps {

    static final String META = "meta";
    static final String KV_PREFIX = "kv.";
    static final int PURGE_EVERY = 1024;

    final Path file;
    final MVStore store;
    final LongSupplier clock;
    final MVMap<String, String> meta;
    /** "identity", "profile" → encoded records. */
    final MVMap<String, byte[]> node;
    /** user id hex → friend. */
    final MVMap<String, byte[]> friends;
    /** "in:" or "out:" + user id hex → request. */
    final MVMap<String, byte[]> requests;
    /** recipient hex + ":" + 19-digit sequence → entry. */
    final MVMap<String, byte[]> outbox;
    /** message id hex → outbox key. */
    final MVMap<String, String> outboxIds;
    /** recipient hex → last sequence handed out. */
    final MVMap<String, Long> outboxSeq;
    /** sender hex + ":" + message id hex → expiry millis. */
    final MVMap<String, Long> received;
    private final Map<String, MVMap<String, byte[]>> kv = new HashMap<>();
    int receivedSincePurge;
    /** Where the next {@link #purgeReceivedSome} continues (null: from the start). */
    private String purgeFrom;

    StoreMaps(Path file, MVStore store, LongSupplier clock) {
        this.file = file;
        this.store = store;
        this.clock = clock;
        this.meta = store.openMap(META);
        this.node = store.openMap("node");
        this.friends = store.openMap("friends");
        this.requests = store.openMap("requests");
        this.outbox = store.openMap("outbox");
        this.outboxIds = store.openMap("outbox.ids");
        this.outboxSeq = store.openMap("outbox.seq");
        this.received = store.openMap("received");
    }

    MVMap<String, byte[]> kv(String name) {
        return kv.computeIfAbsent(name, n -> store.openMap(KV_PREFIX + n));
    }

    void forgetKvMaps() {
        kv.clear();
    }

    int purgeReceived(long now) {
        List<String> expired = new ArrayList<>();
        Cursor<String, Long> c = received.cursor(null);
        while (c.hasNext()) {
            String key = c.next();
            if (c.getValue() <= now) {
                expired.add(key);
            }
        }
        expired.forEach(received::remove);
        receivedSincePurge = 0;
        return expired.size();
    }

    /**
     * Removes expired received ids among at most {@code max} entries, continuing where the last
     * call stopped (wrapping around), so the periodic purge costs the same however big the map is.
     */
    int purgeReceivedSome(long now, int max) {
        List<String> expired = new ArrayList<>();
        Cursor<String, Long> c = received.cursor(purgeFrom);
        String last = null;
        int seen = 0;
        while (seen < max && c.hasNext()) {
            String key = c.next();
            seen++;
            last = key;
            if (c.getValue() <= now) {
                expired.add(key);
            }
        }
        purgeFrom = seen < max || last == null ? null : last + "\0";
        expired.forEach(received::remove);
        receivedSincePurge = 0;
        return expired.size();
    }

    int purgeKv(MVMap<String, byte[]> map, long now) {
        List<String> expired = new ArrayList<>();
        Cursor<String, byte[]> c = map.cursor(null);
        while (c.hasNext()) {
            String key = c.next();
            if (Codec.expiresAt(c.getValue()) <= now) {
                expired.add(key);
            }
        }
        expired.forEach(map::remove);
        return expired.size();
    }

    /** Keys of {@code map} that start with {@code prefix}, in order. */
    static <V> List<Map.Entry<String, V>> prefixed(MVMap<String, V> map, String prefix) {
        List<Map.Entry<String, V>> out = new ArrayList<>();
        Cursor<String, V> c = map.cursor(prefix.isEmpty() ? null : prefix);
        while (c.hasNext()) {
            String key = c.next();
            if (!key.startsWith(prefix)) {
                break;
            }
            out.add(Map.entry(key, c.getValue()));
        }
        return out;
    }
}
