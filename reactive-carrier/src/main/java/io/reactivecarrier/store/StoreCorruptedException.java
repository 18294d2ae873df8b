package io.reactivecarrier.store;

/**
 * The store file cannot be read: it is not a store file, it is truncated or damaged, or a
 * record in it does not decode. The file is left untouched; move it away or restore a backup.
 *
 * <pre>{@code
 * NodeStore.open(dataDir)
 *         .doOnError(StoreCorruptedException.class,
 *                 e -> log.error("{}: move node.mv.db away or restore a backup", e.getMessage()));
 * }</pre>
 */
public final class StoreCorruptedException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** An error with a message naming the file. */
    public StoreCorruptedException(String message, Throwable cause) {
        super(message, cause);
    }
}
