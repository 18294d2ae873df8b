package io.reactivecarrier.store;

import io.reactivecarrier.core.CarrierException;

/**
 * Base of the errors the node store reports: the data directory is held by another node, its
 * file is corrupted or foreign, a map is full, or the store is closed. Each message says which
 * file or directory is concerned and what to do.
 *
 * <pre>{@code
 * store.putFriend(friend)
 *         .onErrorResume(StoreException.class, e -> {
 *             log.warn("not stored: {}", e.getMessage());
 *             return Mono.empty();
 *         });
 * }</pre>
 */
public class StoreException extends CarrierException {

    private static final long serialVersionUID = 1L;

    /** An error with a message. */
    public StoreException(String message) {
        super(message);
    }

    /** An error with a message and its cause. */
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
