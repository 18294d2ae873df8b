package io.reactivecarrier.store;

/**
 * A {@link KeyValueMap} already holds its maximum number of live entries; the new key was not
 * stored. Remove entries or let them expire.
 */
public final class StoreFullException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** An error with a message naming the map and its bound. */
    public StoreFullException(String message) {
        super(message);
    }
}
