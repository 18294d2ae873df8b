package io.reactivecarrier.link;

import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.PacketAead;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise SymmetricState (revision 34, section 5.2) with hash SHA256: the chaining key
 * {@code ck}, the handshake hash {@code h} and a {@link NoiseCipherState}.
 *
 * <p>Its HKDF is Noise's (section 4.3), written out as the spec gives it: temp_key =
 * HMAC(ck, ikm), output1 = HMAC(temp_key, 0x01), output2 = HMAC(temp_key, output1 || 0x02),
 * output3 = HMAC(temp_key, output2 || 0x03), returning two or three 32-byte outputs.
 */
final class NoiseSymmetricState {

    static final int HASH_LENGTH = 32;
    private static final String HMAC = "HmacSHA256";

    private final NoiseCipherState cipher;
    private byte[] ck;
    private byte[] h;

    /** InitializeSymmetric(protocol_name). */
    NoiseSymmetricState(String protocolName, PacketAead.Algorithm algorithm) {
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        this.h = name.length <= HASH_LENGTH ? Arrays.copyOf(name, HASH_LENGTH) : sha256(name);
        this.ck = h.clone();
        this.cipher = new NoiseCipherState(algorithm);
    }

    /** MixKey(input_key_material). */
    void mixKey(byte[] ikm) {
        byte[][] out = hkdf(ck, ikm, 2);
        replaceCk(out[0]);
        cipher.initializeKey(out[1]);
        Arrays.fill(out[1], (byte) 0);
    }

    /** MixHash(data): h = HASH(h || data). */
    void mixHash(byte[] data) {
        MessageDigest digest = sha256();
        digest.update(h);
        digest.update(data);
        h = digest.digest();
    }

    /** MixKeyAndHash(input_key_material), for PSK patterns. */
    void mixKeyAndHash(byte[] ikm) {
        byte[][] out = hkdf(ck, ikm, 3);
        replaceCk(out[0]);
        mixHash(out[1]);
        cipher.initializeKey(out[2]);
        Arrays.fill(out[2], (byte) 0);
    }

    /** GetHandshakeHash(). */
    byte[] handshakeHash() {
        return h.clone();
    }

    boolean hasKey() {
        return cipher.hasKey();
    }

    /** EncryptAndHash(plaintext). */
    byte[] encryptAndHash(byte[] plaintext) {
        byte[] ciphertext = cipher.encryptWithAd(h, plaintext);
        mixHash(ciphertext);
        return ciphertext;
    }

    /** DecryptAndHash(ciphertext): fails with {@link CryptoException} when it does not authenticate. */
    byte[] decryptAndHash(byte[] ciphertext) {
        byte[] plaintext = cipher.decryptWithAd(h, ciphertext);
        mixHash(ciphertext);
        return plaintext;
    }

    /**
     * Split(): two cipher states, the first for initiator-to-responder messages. The chaining
     * key and handshake cipher key are wiped: the state cannot be used again.
     */
    NoiseCipherState[] split() {
        if (ck == null) {
            throw new IllegalStateException("Noise symmetric state already split");
        }
        byte[][] out = hkdf(ck, new byte[0], 2);
        NoiseCipherState c1 = new NoiseCipherState(cipher.algorithm());
        NoiseCipherState c2 = new NoiseCipherState(cipher.algorithm());
        c1.initializeKey(out[0]);
        c2.initializeKey(out[1]);
        Arrays.fill(out[0], (byte) 0);
        Arrays.fill(out[1], (byte) 0);
        destroy();
        return new NoiseCipherState[] {c1, c2};
    }

    /** Wipes the chaining key and the handshake cipher key. */
    void destroy() {
        if (ck != null) {
            Arrays.fill(ck, (byte) 0);
        }
        ck = null;
        cipher.destroyKey();
    }

    /** Noise's HKDF(chaining_key, input_key_material, num_outputs), num_outputs 2 or 3. */
    static byte[][] hkdf(byte[] chainingKey, byte[] ikm, int outputs) {
        if (outputs != 2 && outputs != 3) {
            throw new IllegalArgumentException("Noise HKDF gives 2 or 3 outputs");
        }
        byte[] tempKey = hmac(chainingKey, ikm);
        byte[][] out = new byte[outputs][];
        byte[] previous = new byte[0];
        for (int i = 0; i < outputs; i++) {
            byte[] input = Arrays.copyOf(previous, previous.length + 1);
            input[previous.length] = (byte) (i + 1);
            out[i] = hmac(tempKey, input);
            previous = out[i];
        }
        Arrays.fill(tempKey, (byte) 0);
        return out;
    }

    private void replaceCk(byte[] next) {
        Arrays.fill(ck, (byte) 0);
        ck = next;
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("HMAC-SHA256 is not available", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new CryptoException("SHA-256 is not available", e);
        }
    }

    private static byte[] sha256(byte[] data) {
        return sha256().digest(data);
    }

    @Override
    public String toString() {
        return "NoiseSymmetricState[ck=<redacted>, " + cipher + "]";
    }
}
