package io.reactivecarrier.crypto;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticated encryption of transport packets with a caller-supplied 64-bit counter as the
 * nonce. It calls the JCE directly (no random nonce per message, no Tink wrapper) because it
 * runs once per packet on the hot path.
 *
 * <p>The 12-byte nonce follows the Noise Protocol Framework (revision 34, section 12): four
 * zero bytes, then the counter, big-endian for {@link Algorithm#AES_256_GCM} and little-endian
 * for {@link Algorithm#CHACHA20_POLY1305}. The counter is unsigned: {@code -1L} is 2^64-1.
 * The output of a seal is the ciphertext followed by a {@value #TAG_LENGTH}-byte tag.
 *
 * <p>A counter must never be used twice for sealing with the same key: that is the caller's
 * job (the link layer numbers its packets). The class does not refuse it, so that tests can
 * seal a vector twice, but a repeated nonce destroys the confidentiality of both packets.
 *
 * <p><b>Not thread-safe.</b> Each instance owns its {@link Cipher} objects; use one instance
 * per thread (in practice: per link, confined to its event loop).
 *
 * <pre>{@code
 * PacketAead aead = PacketAead.create(PacketAead.Algorithm.CHACHA20_POLY1305, key32);
 * byte[] packet = aead.seal(counter, header, payload);   // payload.length + TAG_LENGTH bytes
 * byte[] payloadAgain = aead.open(counter, header, packet);   // CryptoException if it was changed
 * }</pre>
 */
public final class PacketAead {

    /** The AEAD algorithm. Both take a 32-byte key and produce a 16-byte tag. */
    public enum Algorithm {
        /** AES-256-GCM, the default: about 1 µs per packet with AES-NI. */
        AES_256_GCM("AES/GCM/NoPadding", "AES"),
        /** ChaCha20-Poly1305 (RFC 8439), for peers without AES hardware. */
        CHACHA20_POLY1305("ChaCha20-Poly1305", "ChaCha20");

        private final String transformation;
        private final String keyAlgorithm;

        Algorithm(String transformation, String keyAlgorithm) {
            this.transformation = transformation;
            this.keyAlgorithm = keyAlgorithm;
        }
    }

    /** Key length in bytes. */
    public static final int KEY_LENGTH = 32;
    /** Tag length in bytes: a sealed packet is this much longer than its plaintext. */
    public static final int TAG_LENGTH = 16;
    /** Nonce length in bytes. */
    public static final int NONCE_LENGTH = 12;

    private final Algorithm algorithm;
    private final SecretKeySpec key;
    private final Cipher encryptor;
    private final Cipher decryptor;
    private final byte[] nonce = new byte[NONCE_LENGTH];
    private final byte[] lastSealNonce = new byte[NONCE_LENGTH];
    private final byte[] lastOpenNonce = new byte[NONCE_LENGTH];
    private boolean sealedOnce;
    private boolean openedOnce;
    /** Copies of direct-buffer input, output and associated data for the JCE (see crypt). */
    private byte[] scratchIn = new byte[0];
    private byte[] scratchOut = new byte[0];
    private byte[] scratchAd = new byte[0];

    private PacketAead(Algorithm algorithm, byte[] key) {
        this.algorithm = algorithm;
        this.key = new SecretKeySpec(key, algorithm.keyAlgorithm);
        try {
            this.encryptor = Cipher.getInstance(algorithm.transformation);
            this.decryptor = Cipher.getInstance(algorithm.transformation);
        } catch (GeneralSecurityException e) {
            throw new CryptoException(algorithm + " is not available in this JVM", e);
        }
    }

    /** An instance for a 32-byte key. The key is copied. */
    public static PacketAead create(Algorithm algorithm, byte[] key32) {
        if (algorithm == null) {
            throw new CryptoException("no AEAD algorithm given");
        }
        if (key32 == null || key32.length != KEY_LENGTH) {
            throw new CryptoException("an AEAD key has " + KEY_LENGTH + " bytes");
        }
        return new PacketAead(algorithm, key32.clone());
    }

    /** An AES-256-GCM instance, the default algorithm. */
    public static PacketAead create(byte[] key32) {
        return create(Algorithm.AES_256_GCM, key32);
    }

    /** The algorithm of this instance. */
    public Algorithm algorithm() {
        return algorithm;
    }

    /** Encrypts and authenticates {@code plaintext} and authenticates {@code ad} (may be null). */
    public byte[] seal(long counter, byte[] ad, byte[] plaintext) {
        return sealWithNonce(nonce(counter), ad, plaintext);
    }

    /**
     * Checks and decrypts ciphertext-and-tag. Fails with {@link CryptoException} when the
     * packet, the additional data or the counter do not match what was sealed.
     */
    public byte[] open(long counter, byte[] ad, byte[] ciphertextAndTag) {
        return openWithNonce(nonce(counter), ad, ciphertextAndTag);
    }

    /**
     * Zero-copy seal: reads the readable bytes of {@code plaintext} (advancing its reader
     * index) and writes ciphertext and tag at the writer index of {@code out}, which grows as
     * needed. {@code ad} (nullable) is authenticated and left untouched. Heap and direct
     * buffers both work; {@code plaintext} and {@code out} must not share memory.
     */
    public void seal(long counter, ByteBuf ad, ByteBuf plaintext, ByteBuf out) {
        int length = plaintext.readableBytes();
        Cipher cipher = init(encryptor, Cipher.ENCRYPT_MODE, nonce(counter), lastSealNonce, sealedOnce);
        sealedOnce = true;
        try {
            int written = crypt(cipher, ad, plaintext, out, length + TAG_LENGTH);
            plaintext.skipBytes(length);
            out.writerIndex(out.writerIndex() + written);
        } catch (GeneralSecurityException e) {
            throw new CryptoException(algorithm + " seal failed", e);
        }
    }

    /**
     * Zero-copy open: reads the readable bytes of {@code ciphertextAndTag} and, when they
     * authenticate, writes the plaintext at the writer index of {@code out} and advances the
     * reader index of {@code ciphertextAndTag}. On failure it throws {@link CryptoException}
     * and changes neither buffer's indexes.
     */
    public void open(long counter, ByteBuf ad, ByteBuf ciphertextAndTag, ByteBuf out) {
        int length = ciphertextAndTag.readableBytes();
        if (length < TAG_LENGTH) {
            throw new CryptoException("a sealed packet has at least " + TAG_LENGTH + " bytes, got " + length);
        }
        Cipher cipher = init(decryptor, Cipher.DECRYPT_MODE, nonce(counter), lastOpenNonce, openedOnce);
        openedOnce = true;
        try {
            int written = crypt(cipher, ad, ciphertextAndTag, out, length - TAG_LENGTH);
            ciphertextAndTag.skipBytes(length);
            out.writerIndex(out.writerIndex() + written);
        } catch (AEADBadTagException e) {
            throw new CryptoException("packet does not authenticate");
        } catch (GeneralSecurityException e) {
            throw new CryptoException(algorithm + " open failed", e);
        }
    }

    /** Seal with an explicit 12-byte nonce: for published test vectors only. */
    byte[] sealWithNonce(byte[] fullNonce, byte[] ad, byte[] plaintext) {
        if (plaintext == null) {
            throw new CryptoException("plaintext is null");
        }
        Cipher cipher = init(encryptor, Cipher.ENCRYPT_MODE, fullNonce, lastSealNonce, sealedOnce);
        sealedOnce = true;
        try {
            if (ad != null && ad.length > 0) {
                cipher.updateAAD(ad);
            }
            return cipher.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new CryptoException(algorithm + " seal failed", e);
        }
    }

    /** Open with an explicit 12-byte nonce: for published test vectors only. */
    byte[] openWithNonce(byte[] fullNonce, byte[] ad, byte[] ciphertextAndTag) {
        if (ciphertextAndTag == null || ciphertextAndTag.length < TAG_LENGTH) {
            throw new CryptoException("a sealed packet has at least " + TAG_LENGTH + " bytes");
        }
        Cipher cipher = init(decryptor, Cipher.DECRYPT_MODE, fullNonce, lastOpenNonce, openedOnce);
        openedOnce = true;
        try {
            if (ad != null && ad.length > 0) {
                cipher.updateAAD(ad);
            }
            return cipher.doFinal(ciphertextAndTag);
        } catch (AEADBadTagException e) {
            throw new CryptoException("packet does not authenticate");
        } catch (GeneralSecurityException e) {
            throw new CryptoException(algorithm + " open failed", e);
        }
    }

    /** The 12-byte nonce of a counter: 4 zero bytes, then the counter in the algorithm's order. */
    byte[] nonce(long counter) {
        nonce[0] = 0;
        nonce[1] = 0;
        nonce[2] = 0;
        nonce[3] = 0;
        for (int i = 0; i < 8; i++) {
            int shift = algorithm == Algorithm.AES_256_GCM ? 56 - 8 * i : 8 * i;
            nonce[4 + i] = (byte) (counter >>> shift);
        }
        return nonce;
    }

    private int crypt(Cipher cipher, ByteBuf ad, ByteBuf in, ByteBuf out, int outputLength)
            throws GeneralSecurityException {
        // The JDK's AES-GCM copies direct buffers through new temporary arrays on every call (and
        // copies its input again when it cannot rule out an overlap with the output): 3-4 KiB of
        // garbage per packet. Through arrays it allocates nothing, so direct buffers are copied into
        // this instance's scratch arrays (bounded by the largest packet) and the result copied out.
        if (ad != null && ad.isReadable()) {
            int n = ad.readableBytes();
            if (ad.hasArray()) {
                cipher.updateAAD(ad.array(), ad.arrayOffset() + ad.readerIndex(), n);
            } else {
                byte[] a = scratchAd = atLeast(scratchAd, n);
                ad.getBytes(ad.readerIndex(), a, 0, n);
                cipher.updateAAD(a, 0, n);
            }
        }
        int inLength = in.readableBytes();
        byte[] src;
        int srcOffset;
        if (in.hasArray()) {
            src = in.array();
            srcOffset = in.arrayOffset() + in.readerIndex();
        } else {
            src = scratchIn = atLeast(scratchIn, inLength);
            in.getBytes(in.readerIndex(), src, 0, inLength);
            srcOffset = 0;
        }
        out.ensureWritable(outputLength);
        if (out.hasArray() && out.array() != src) {
            return cipher.doFinal(src, srcOffset, inLength, out.array(), out.arrayOffset() + out.writerIndex());
        }
        byte[] dst = scratchOut = atLeast(scratchOut, outputLength);
        int n = cipher.doFinal(src, srcOffset, inLength, dst, 0);
        out.setBytes(out.writerIndex(), dst, 0, n);
        return n;
    }

    private static byte[] atLeast(byte[] scratch, int length) {
        return scratch.length >= length ? scratch : new byte[Math.max(length, 2048)];
    }

    /**
     * Initialises a cipher. The JCE refuses to initialise an encrypting AES-GCM or ChaCha20
     * cipher twice in a row with the same key and nonce (a guard against nonce reuse); when the
     * nonce repeats we first initialise with a different one. Real nonces start with four zero
     * bytes, so the detour nonce is never a real one.
     */
    private Cipher init(Cipher cipher, int mode, byte[] fullNonce, byte[] last, boolean used) {
        if (fullNonce == null || fullNonce.length != NONCE_LENGTH) {
            throw new CryptoException("an AEAD nonce has " + NONCE_LENGTH + " bytes");
        }
        try {
            if (used && Arrays.equals(fullNonce, last)) {
                byte[] detour = fullNonce.clone();
                detour[0] ^= 0x5a;
                cipher.init(mode, key, spec(detour));
            }
            cipher.init(mode, key, spec(fullNonce));
            System.arraycopy(fullNonce, 0, last, 0, NONCE_LENGTH);
            return cipher;
        } catch (GeneralSecurityException e) {
            throw new CryptoException(algorithm + " initialisation failed", e);
        }
    }

    private AlgorithmParameterSpec spec(byte[] fullNonce) {
        return algorithm == Algorithm.AES_256_GCM
                ? new GCMParameterSpec(TAG_LENGTH * 8, fullNonce)
                : new IvParameterSpec(fullNonce);
    }

    @Override
    public String toString() {
        return "PacketAead[" + algorithm + ", key=<redacted>]";
    }
}
