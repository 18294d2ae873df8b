package io.reactivecarrier.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF with HMAC-SHA256 (RFC 5869): derives keys from a shared secret. Used for session and
 * storage keys; the Noise handshake has its own HKDF variant in the link layer, as its spec
 * requires. Every method is static and thread-safe (a new {@link Mac} per call).
 *
 * <pre>{@code
 * byte[] shared = myKey.agree(peerPublicKey);
 * byte[] sessionKey = Hkdf.derive(shared, salt, "carrier session v1".getBytes(StandardCharsets.US_ASCII), 32);
 * }</pre>
 */
public final class Hkdf {

    /** Output length of HMAC-SHA256, in bytes. */
    public static final int HASH_LENGTH = 32;

    /** RFC 5869 limits the output of expand to 255 blocks. */
    public static final int MAX_OUTPUT_LENGTH = 255 * HASH_LENGTH;

    private static final String HMAC = "HmacSHA256";

    private Hkdf() {
    }

    /**
     * HKDF-Extract: a pseudo-random key from input keying material. A null or empty salt means
     * {@link #HASH_LENGTH} zero bytes, as RFC 5869 section 2.2 says.
     */
    public static byte[] extract(byte[] salt, byte[] ikm) {
        if (ikm == null) {
            throw new CryptoException("HKDF input keying material is null");
        }
        byte[] key = salt == null || salt.length == 0 ? new byte[HASH_LENGTH] : salt;
        return hmac(key).doFinal(ikm);
    }

    /** HKDF-Expand: {@code length} bytes of output keying material from a pseudo-random key. */
    public static byte[] expand(byte[] prk, byte[] info, int length) {
        if (prk == null || prk.length < HASH_LENGTH) {
            throw new CryptoException("an HKDF pseudo-random key has at least " + HASH_LENGTH + " bytes");
        }
        if (length < 0 || length > MAX_OUTPUT_LENGTH) {
            throw new CryptoException("HKDF output length must be in [0, " + MAX_OUTPUT_LENGTH + "]: " + length);
        }
        byte[] inf = info == null ? new byte[0] : info;
        Mac mac = hmac(prk);
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int done = 0;
        for (int i = 1; done < length; i++) {
            mac.update(t);
            mac.update(inf);
            mac.update((byte) i);
            t = mac.doFinal();
            int n = Math.min(t.length, length - done);
            System.arraycopy(t, 0, out, done, n);
            done += n;
        }
        return out;
    }

    /** Extract then expand: {@code length} bytes derived from {@code ikm}. */
    public static byte[] derive(byte[] ikm, byte[] salt, byte[] info, int length) {
        return expand(extract(salt, ikm), info, length);
    }

    private static Mac hmac(byte[] key) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new CryptoException("HMAC-SHA256 is not available", e);
        }
    }
}
