package io.reactivecarrier.dht;

import io.reactivecarrier.store.KeyValueMap;
import io.reactivecarrier.store.NodeStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Keeps the values a node agreed to hold in the node's durable store, so a restart does not
 * lose them. Writes are queued, in call order, to the store's own single thread (a thread where
 * blocking disk I/O is allowed; never the event loop) and each is a durable commit; closing the
 * store runs after the writes queued before it, so none is dropped. What was saved is read once,
 * before the DHT starts.
 *
 * <pre>{@code
 * NodeStore store = NodeStore.open(dataDir).block();
 * StorePersistence persistence = StorePersistence.load(store).block();   // the values saved before
 * DhtNode dht = DhtNode.create(dhtTransport, DhtOptions.defaults().persistence(persistence));
 * }</pre>
 */
public final class StorePersistence implements ValueStorePersistence {

    private static final Logger log = LoggerFactory.getLogger(StorePersistence.class);

    private final KeyValueMap map;
    private final List<StoredEntry> loaded;

    private StorePersistence(KeyValueMap map, List<StoredEntry> loaded) {
        this.map = map;
        this.loaded = loaded;
    }

    /** Name of the map {@link #load(NodeStore)} uses. */
    public static final String MAP_NAME = "dht.values";

    /**
     * Bound of that map: more entries than the default 64 MiB value budget can hold (every held
     * entry weighs at least about 100 bytes), so no value the node agreed to hold is refused by
     * the disk store while the memory store still takes it.
     */
    public static final int MAP_MAX_ENTRIES = 1 << 20;

    /** {@link #load(KeyValueMap)} of the node store's {@value #MAP_NAME} map, bounded to {@link #MAP_MAX_ENTRIES}. */
    public static Mono<StorePersistence> load(NodeStore store) {
        return load(store.map(MAP_NAME, MAP_MAX_ENTRIES));
    }

    /**
     * Reads the saved entries of {@code map} (unexpired ones) and persists to it from then on.
     * Give the map a bound of at least as many entries as the value store can hold
     * ({@link #MAP_MAX_ENTRIES} for the defaults), or a full map refuses (and logs) further values.
     */
    public static Mono<StorePersistence> load(KeyValueMap map) {
        return map.scan()
                .map(e -> decode(e.key(), e.value(), e.expiresAtMillis()))
                .collectList()
                .map(list -> new StorePersistence(map, list));
    }

    @Override
    public void save(StoredEntry entry) {
        map.putUntil(mapKey(entry), encode(entry), entry.expiresAt())
                .subscribe(null, e -> log.warn("could not persist a DHT value: {}", e.toString()));
    }

    @Override
    public void remove(StoredEntry entry) {
        map.remove(mapKey(entry)).subscribe(null, e -> log.warn("could not forget a DHT value: {}", e.toString()));
    }

    @Override
    public Iterable<StoredEntry> loadAll() {
        return new ArrayList<>(loaded);
    }

    static byte[] mapKey(StoredEntry e) {
        return ByteBuffer.allocate(65).put(e.key()).put(e.entryId()).put((byte) e.kind()).array();
    }

    static byte[] encode(StoredEntry e) {
        byte[] source = e.source() == null ? new byte[0] : e.source().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + source.length + e.encoded().length)
                .putShort((short) source.length).put(source).put(e.encoded()).array();
    }

    static StoredEntry decode(byte[] key, byte[] value, long expiresAt) {
        ByteBuffer k = ByteBuffer.wrap(key);
        byte[] dhtKey = new byte[32];
        byte[] entryId = new byte[32];
        k.get(dhtKey).get(entryId);
        int kind = k.get();
        ByteBuffer v = ByteBuffer.wrap(value);
        byte[] source = new byte[v.getShort() & 0xffff];
        v.get(source);
        byte[] encoded = new byte[v.remaining()];
        v.get(encoded);
        return new StoredEntry(dhtKey, entryId, kind, encoded, expiresAt, new String(source, StandardCharsets.UTF_8));
    }
}
