package io.reactivecarrier.store;

/**
 * The store file is a readable MVStore file but not one of ours (no reactive-carrier magic), or
 * it was written by a newer schema version. The file is left untouched.
 *
 * <pre>{@code
 * NodeStore.open(dataDir)
 *         .onErrorMap(ForeignStoreException.class,
 *                 e -> new IllegalStateException(dataDir + " belongs to another program or a newer version", e));
 * }</pre>
 */
public final class ForeignStoreException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** An error with a message naming the file. */
    public ForeignStoreException(String message) {
        super(message);
    }
}
