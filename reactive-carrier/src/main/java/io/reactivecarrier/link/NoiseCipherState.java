package io.reactivecarrier.link;

import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.PacketAead;
import java.util.Arrays;

/**
 * A Noise CipherState (Noise Protocol Framework revision 34, section 5.1): a key {@code k}
 * (possibly empty) and a 64-bit nonce {@code n}. Encryption uses {@link PacketAead}, whose
 * nonce layout is Noise's. Nonce 2^64-1 is reserved: once {@code n} reaches it, encryption and
 * decryption fail. A failed decryption does not advance {@code n}.
 *
 * <p>Not thread-safe: a cipher state belongs to one link on one event loop.
 */
final class NoiseCipherState {

    /** 2^64-1 as an unsigned long: the reserved nonce (used only by {@link #rekey()}). */
    static final long MAX_NONCE = -1L;
    static final int KEY_LENGTH = 32;

    private final PacketAead.Algorithm algorithm;
    private byte[] k;
    private PacketAead aead;
    private long n;

    NoiseCipherState(PacketAead.Algorithm algorithm) {
        this.algorithm = algorithm;
    }

    /** InitializeKey(key): sets k (null for empty) and n = 0. */
    void initializeKey(byte[] key) {
        destroyKey();
        if (key != null) {
            if (key.length != KEY_LENGTH) {
                throw new CryptoException("a Noise cipher key has " + KEY_LENGTH + " bytes");
            }
            this.k = key.clone();
            this.aead = PacketAead.create(algorithm, k);
        }
        this.n = 0;
    }

    boolean hasKey() {
        return k != null;
    }

    /** SetNonce(nonce). */
    void setNonce(long nonce) {
        this.n = nonce;
    }

    /** The next nonce (unsigned). */
    long nonce() {
        return n;
    }

    PacketAead.Algorithm algorithm() {
        return algorithm;
    }

    /** EncryptWithAd(ad, plaintext): the plaintext itself when there is no key yet. */
    byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
        if (k == null) {
            return plaintext.clone();
        }
        checkNonce();
        byte[] ciphertext = aead.seal(n, ad, plaintext);
        n++;
        return ciphertext;
    }

    /**
     * DecryptWithAd(ad, ciphertext). Fails with {@link CryptoException} when the ciphertext
     * does not authenticate; n is then unchanged.
     */
    byte[] decryptWithAd(byte[] ad, byte[] ciphertext) {
        if (k == null) {
            return ciphertext.clone();
        }
        checkNonce();
        byte[] plaintext = aead.open(n, ad, ciphertext);
        n++;
        return plaintext;
    }

    /** Rekey(): k = the first 32 bytes of ENCRYPT(k, 2^64-1, empty ad, 32 zero bytes); n is kept. */
    void rekey() {
        if (k == null) {
            throw new IllegalStateException("no key to rekey");
        }
        byte[] next = Arrays.copyOf(aead.seal(MAX_NONCE, new byte[0], new byte[KEY_LENGTH]), KEY_LENGTH);
        long keep = n;
        initializeKey(next);
        Arrays.fill(next, (byte) 0);
        n = keep;
    }

    /** A copy of the key, for a link that runs its own explicit-counter transport; null if none. */
    byte[] key() {
        return k == null ? null : k.clone();
    }

    /** Forgets the key: the state can no longer encrypt or decrypt. */
    void destroyKey() {
        if (k != null) {
            Arrays.fill(k, (byte) 0);
        }
        k = null;
        aead = null;
    }

    private void checkNonce() {
        if (n == MAX_NONCE) {
            throw new CryptoException("Noise nonce exhausted: rekey or handshake again");
        }
    }

    @Override
    public String toString() {
        return "NoiseCipherState[" + algorithm + ", key=" + (k == null ? "empty" : "<redacted>")
                + ", n=" + Long.toUnsignedString(n) + "]";
    }
}
