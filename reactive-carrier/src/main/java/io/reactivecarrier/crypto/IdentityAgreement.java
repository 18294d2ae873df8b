package io.reactivecarrier.crypto;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The X25519 key pair that belongs to an Ed25519 identity, by the standard birational map from
 * the Edwards to the Montgomery form of Curve25519 (RFC 7748 section 4.1; libsodium's
 * {@code crypto_sign_ed25519_pk_to_curve25519} and {@code ..._sk_to_curve25519}).
 *
 * <p>This lets anyone seal data to a user knowing only the user id (the Ed25519 public key),
 * while the user is offline: friend requests and messages stored in the DHT.
 *
 * <pre>{@code
 * // anyone seals to a user knowing only its user id (Ed25519 public key):
 * byte[] box = SealedBox.seal(IdentityAgreement.publicKey(userId.toBytes()), plaintext, info);
 * // the user opens it with the X25519 key pair of its identity:
 * byte[] plain = SealedBox.open(IdentityAgreement.keyPair(identity), box, info);
 * }</pre>
 */
public final class IdentityAgreement {

    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));

    private IdentityAgreement() {
    }

    /** The X25519 public key of an Ed25519 public key: u = (1 + y) / (1 - y) mod p. */
    public static byte[] publicKey(byte[] ed25519PublicKey) {
        if (ed25519PublicKey == null || ed25519PublicKey.length != Ed25519KeyPair.PUBLIC_KEY_LENGTH) {
            throw new CryptoException("an Ed25519 public key has 32 bytes");
        }
        byte[] le = ed25519PublicKey.clone();
        le[31] &= 0x7f; // drop the sign bit of x
        BigInteger y = new BigInteger(1, reverse(le));
        if (y.compareTo(P) >= 0) {
            throw new CryptoException("not a canonical Ed25519 public key");
        }
        BigInteger denominator = BigInteger.ONE.subtract(y).mod(P);
        if (denominator.signum() == 0) {
            throw new CryptoException("Ed25519 public key maps to the point at infinity");
        }
        BigInteger u = BigInteger.ONE.add(y).multiply(denominator.modInverse(P)).mod(P);
        byte[] out = reverse(toFixed(u));
        return out;
    }

    /** The X25519 key pair of an Ed25519 identity: the clamped first half of SHA-512(seed). */
    public static X25519KeyPair keyPair(Ed25519KeyPair identity) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-512").digest(identity.seed());
            byte[] scalar = Arrays.copyOf(h, 32);
            Arrays.fill(h, (byte) 0);
            scalar[0] &= (byte) 248;
            scalar[31] &= 127;
            scalar[31] |= 64;
            X25519KeyPair kp = X25519KeyPair.fromPrivateKey(scalar);
            Arrays.fill(scalar, (byte) 0);
            return kp;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is required by the Java platform", e);
        }
    }

    private static byte[] toFixed(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
        return out;
    }

    private static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }
}
