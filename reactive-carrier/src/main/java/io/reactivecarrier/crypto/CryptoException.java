package io.reactivecarrier.crypto;

/**
 * A cryptographic operation failed: a key of the wrong length, a low-order public key, a
 * ciphertext that does not authenticate. The message never contains key material.
 *
 * <pre>{@code
 * try {
 *     byte[] plain = SealedBox.open(recipient, box, info);
 * } catch (CryptoException e) {
 *     log.debug("dropped a box that does not open: {}", e.getMessage());   // never contains key material
 * }
 * }</pre>
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
