package io.reactivecarrier.crypto;

import com.google.crypto.tink.subtle.X25519;
import java.security.InvalidKeyException;
import java.util.Arrays;

/**
 * An X25519 key pair (RFC 7748) for Diffie-Hellman key agreement. The private key never appears
 * in {@link #toString()}, logs or exceptions.
 *
 * <pre>{@code
 * X25519KeyPair mine = X25519KeyPair.generate();
 * byte[] shared = mine.agree(peerPublicKey);   // 32 bytes, the same on both sides
 * X25519KeyPair restored = X25519KeyPair.fromPrivateKey(mine.privateKey());
 * }</pre>
 */
public final class X25519KeyPair {

    /** Length in bytes of public keys, private keys and shared secrets. */
    public static final int KEY_LENGTH = 32;

    private final byte[] privateKey;
    private final byte[] publicKey;

    private X25519KeyPair(byte[] privateKey) {
        this.privateKey = privateKey;
        try {
            this.publicKey = X25519.publicFromPrivate(privateKey);
        } catch (InvalidKeyException e) {
            throw new CryptoException("invalid X25519 private key");
        }
    }

    /** A new random key pair. */
    public static X25519KeyPair generate() {
        return new X25519KeyPair(X25519.generatePrivateKey());
    }

    /** The key pair of a stored 32-byte private key. */
    public static X25519KeyPair fromPrivateKey(byte[] privateKey) {
        if (privateKey == null || privateKey.length != KEY_LENGTH) {
            throw new CryptoException("an X25519 private key has " + KEY_LENGTH + " bytes");
        }
        return new X25519KeyPair(privateKey.clone());
    }

    /** A copy of the public key. */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** A copy of the private key, for the node's store only. */
    public byte[] privateKey() {
        return privateKey.clone();
    }

    /**
     * The shared secret with a peer's public key. Fails with {@link CryptoException} for a
     * low-order peer key (an all-zero result), as RFC 7748 section 6.1 recommends.
     */
    public byte[] agree(byte[] peerPublicKey) {
        if (peerPublicKey == null || peerPublicKey.length != KEY_LENGTH) {
            throw new CryptoException("an X25519 public key has " + KEY_LENGTH + " bytes");
        }
        try {
            return X25519.computeSharedSecret(privateKey, peerPublicKey);
        } catch (InvalidKeyException e) {
            throw new CryptoException("X25519 agreement failed: low-order or invalid peer key");
        }
    }

    @Override
    public String toString() {
        return "X25519KeyPair[public=" + Hex.encode(publicKey) + ", private=<redacted>]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof X25519KeyPair other && Arrays.equals(publicKey, other.publicKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(publicKey);
    }
}
