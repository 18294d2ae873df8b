package io.reactivecarrier.store;

import java.util.Objects;

/** Argument checks shared by the record types. */
final class Records {

    /** Longest id accepted (user ids and message ids are far shorter). */
    static final int MAX_ID_LENGTH = 256;

    private Records() {
    }

    static byte[] id(byte[] id, String what) {
        Objects.requireNonNull(id, what);
        if (id.length == 0 || id.length > MAX_ID_LENGTH) {
            throw new IllegalArgumentException(what + " must be 1.." + MAX_ID_LENGTH + " bytes, got " + id.length);
        }
        return id.clone();
    }
}
