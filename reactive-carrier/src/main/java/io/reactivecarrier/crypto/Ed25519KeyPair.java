package io.reactivecarrier.crypto;

import com.google.crypto.tink.subtle.Ed25519Sign;
import com.google.crypto.tink.subtle.Ed25519Verify;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * An Ed25519 signing key pair (RFC 8032): a node's long-term identity. The public key is the
 * user id. The private seed never appears in {@link #toString()}, logs or exceptions.
 *
 * <pre>{@code
 * Ed25519KeyPair identity = Ed25519KeyPair.generate();
 * byte[] signature = identity.sign(message);
 * boolean valid = Ed25519KeyPair.verify(identity.publicKey(), message, signature);
 * Ed25519KeyPair same = Ed25519KeyPair.fromSeed(identity.seed());   // restore from the stored seed
 * }</pre>
 */
public final class Ed25519KeyPair {

    public static final int PUBLIC_KEY_LENGTH = 32;
    public static final int SEED_LENGTH = 32;
    public static final int SIGNATURE_LENGTH = 64;

    private final byte[] seed;
    private final byte[] publicKey;
    private final Ed25519Sign signer;

    private Ed25519KeyPair(byte[] seed) {
        try {
            Ed25519Sign.KeyPair kp = Ed25519Sign.KeyPair.newKeyPairFromSeed(seed);
            this.seed = seed;
            this.publicKey = kp.getPublicKey();
            this.signer = new Ed25519Sign(kp.getPrivateKey());
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot create an Ed25519 key pair", e);
        }
    }

    /** A new random key pair. */
    public static Ed25519KeyPair generate() {
        return new Ed25519KeyPair(com.google.crypto.tink.subtle.Random.randBytes(SEED_LENGTH));
    }

    /** The key pair of a stored 32-byte seed (the RFC 8032 private key). */
    public static Ed25519KeyPair fromSeed(byte[] seed) {
        if (seed == null || seed.length != SEED_LENGTH) {
            throw new CryptoException("an Ed25519 seed has " + SEED_LENGTH + " bytes");
        }
        return new Ed25519KeyPair(seed.clone());
    }

    /** A copy of the public key. */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** A copy of the private seed, for the node's store only. */
    public byte[] seed() {
        return seed.clone();
    }

    /** Signs a message (deterministic, RFC 8032). */
    public byte[] sign(byte[] message) {
        try {
            return signer.sign(message);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("Ed25519 signing failed", e);
        }
    }

    /** Whether {@code signature} is a valid signature of {@code message} by {@code publicKey}. */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey == null || publicKey.length != PUBLIC_KEY_LENGTH
                || signature == null || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        try {
            new Ed25519Verify(publicKey).verify(signature, message);
            return true;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "Ed25519KeyPair[public=" + Hex.encode(publicKey) + ", private=<redacted>]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ed25519KeyPair other && Arrays.equals(publicKey, other.publicKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(publicKey);
    }
}
