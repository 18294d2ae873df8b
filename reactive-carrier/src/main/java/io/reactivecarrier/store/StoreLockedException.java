package io.reactivecarrier.store;

/**
 * The data directory is held by another running node (in this process or another one): its
 * lock file {@code carrier.lock} is locked. Stop the other node or use another data directory.
 *
 * <pre>{@code
 * NodeStore.open(dataDir)
 *         .onErrorMap(StoreLockedException.class,
 *                 e -> new IllegalStateException("another node runs in " + dataDir, e));
 * }</pre>
 */
public final class StoreLockedException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** An error with a message naming the directory. */
    public StoreLockedException(String message) {
        super(message);
    }
}
