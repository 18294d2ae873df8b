package io.reactivecarrier.store;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A named, durable map of byte keys to byte values for the layers above (the DHT keeps the values
 * it agreed to store and its routing-table snapshot here). An entry may carry an expiry; expired
 * entries are invisible and are purged when the map is full, on {@link #purgeExpired()} and when
 * the store opens. The map holds at most {@link #maxEntries()} entries: a new key beyond that
 * fails with {@link StoreFullException}. Every write is on disk when its Mono completes.
 * Obtain one with {@link NodeStore#map(String, int)}.
 *
 * <pre>{@code
 * KeyValueMap values = store.map("dht.values", 10_000);
 * values.putUntil(key, value, System.currentTimeMillis() + 3_600_000)
 *         .then(values.get(key))
 *         .subscribe(v -> System.out.println(v.isPresent()));
 * values.scan("peer:".getBytes(StandardCharsets.UTF_8)).count().subscribe(System.out::println);
 * }</pre>
 */
public final class KeyValueMap {

    private final NodeStore store;
    private final String name;
    private final int maxEntries;

    KeyValueMap(NodeStore store, String name, int maxEntries) {
        this.store = store;
        this.name = name;
        this.maxEntries = maxEntries;
    }

    /** The map's name. */
    public String name() {
        return name;
    }

    /** The most entries this map holds. */
    public int maxEntries() {
        return maxEntries;
    }

    /** The live value of {@code key}. */
    public Mono<Optional<byte[]>> get(byte[] key) {
        return store.read(tx -> tx.get(this, key));
    }

    /** Stores a value that never expires. */
    public Mono<Void> put(byte[] key, byte[] value) {
        return putUntil(key, value, Long.MAX_VALUE);
    }

    /** Stores a value until {@code expiresAtMillis} (epoch millis on the store's clock). */
    public Mono<Void> putUntil(byte[] key, byte[] value, long expiresAtMillis) {
        return store.transaction(tx -> {
            tx.put(this, key, value, expiresAtMillis);
            return null;
        });
    }

    /** Removes {@code key}; true if a live value was removed. */
    public Mono<Boolean> remove(byte[] key) {
        return store.transaction(tx -> tx.remove(this, key));
    }

    /** All live entries, ordered by key bytes (unsigned). */
    public Flux<Entry> scan() {
        return scan(new byte[0]);
    }

    /** The live entries whose key starts with {@code prefix}, ordered by key bytes (unsigned). */
    public Flux<Entry> scan(byte[] prefix) {
        return store.read(tx -> tx.scan(this, prefix)).flatMapIterable(l -> l);
    }

    /** The number of entries, expired ones not yet purged included. */
    public Mono<Long> size() {
        return store.read(tx -> tx.size(this));
    }

    /** Removes expired entries now; returns how many. */
    public Mono<Integer> purgeExpired() {
        return store.transaction(tx -> tx.purgeExpired(this));
    }

    @Override
    public String toString() {
        return "KeyValueMap[" + name + ", max " + maxEntries + "]";
    }

    /**
     * One live entry of a map.
     *
     * @param key the key (copied)
     * @param value the value (copied)
     * @param expiresAtMillis when it expires ({@link Long#MAX_VALUE}: never)
     */
    public record Entry(byte[] key, byte[] value, long expiresAtMillis) {

        /** Copies the arrays. */
        public Entry {
            key = Objects.requireNonNull(key, "key").clone();
            value = Objects.requireNonNull(value, "value").clone();
        }

        /** A copy of the key. */
        @Override
        public byte[] key() {
            return key.clone();
        }

        /** A copy of the value. */
        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && Arrays.equals(key, e.key) && Arrays.equals(value, e.value)
                    && expiresAtMillis == e.expiresAtMillis;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(key), Arrays.hashCode(value), expiresAtMillis);
        }

        @Override
        public String toString() {
            return "Entry[key=" + Hex.encode(key) + ", value=" + value.length + " bytes, expiresAtMillis="
                    + expiresAtMillis + "]";
        }
    }
}
