package io.reactivecarrier.store;

/**
 * A {@link KeyValueMap} already holds its maximum number of live entries; the new key was not
 * stored. Remove entries or let them expire.
 *
 * <pre>{@code
 * KeyValueMap cache = store.map("cache", 1_000);
 * cache.put(key, value)
 *         .onErrorResume(StoreFullException.class, e -> cache.purgeExpired().then(cache.put(key, value)));
 * }</pre>
 */
public final class StoreFullException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** An error with a message naming the map and its bound. */
    public StoreFullException(String message) {
        super(message);
    }
}
