package io.reactivecarrier.crypto;

/**
 * A cryptographic operation failed: a key of the wrong length, a low-order public key, a
 * ciphertext that does not authenticate. The message never contains key material.
 */
public final class CryptoException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CryptoException(String message) {
        super(message);
    }

    public CryptoException(String message, Throwable cause) {
        super(message, cause);
    }
}
