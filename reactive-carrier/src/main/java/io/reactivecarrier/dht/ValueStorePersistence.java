package io.reactivecarrier.dht;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the values a node agreed to hold survive a restart. Called on the node's scheduler:
 * an implementation must not block (queue the write to the store's own thread).
 *
 * <pre>{@code
 * DhtOptions inTests = DhtOptions.defaults().persistence(ValueStorePersistence.inMemory());
 * DhtOptions durable = DhtOptions.defaults().persistence(StorePersistence.load(store).block());
 * }</pre>
 */
public interface ValueStorePersistence {

    /** Records a new or replaced entry (same key, entry id and kind replace). */
    void save(StoredEntry entry);

    /** Forgets an entry (expired, evicted or deleted). */
    void remove(StoredEntry entry);

    /** Everything saved and not removed, read once at start. */
    Iterable<StoredEntry> loadAll();

    /** A persistence that keeps nothing. */
    static ValueStorePersistence none() {
        return new ValueStorePersistence() {
            @Override
            public void save(StoredEntry entry) {
            }

            @Override
            public void remove(StoredEntry entry) {
            }

            @Override
            public Iterable<StoredEntry> loadAll() {
                return List.of();
            }
        };
    }

    /** An in-memory persistence (for tests and for a node restarted in the same process). */
    static ValueStorePersistence inMemory() {
        return new ValueStorePersistence() {
            private final Map<String, StoredEntry> entries = new LinkedHashMap<>();

            private String id(StoredEntry e) {
                return e.kind() + ":" + NodeId.of(e.key()).toHex() + ":" + NodeId.of(e.entryId()).toHex();
            }

            @Override
            public synchronized void save(StoredEntry entry) {
                entries.put(id(entry), entry);
            }

            @Override
            public synchronized void remove(StoredEntry entry) {
                entries.remove(id(entry));
            }

            @Override
            public synchronized Iterable<StoredEntry> loadAll() {
                return new ArrayList<>(entries.values());
            }
        };
    }
}
