package io.reactivecarrier.crypto;

import com.google.crypto.tink.HybridEncrypt;
import com.google.crypto.tink.hybrid.HpkeParameters;
import com.google.crypto.tink.hybrid.HpkePublicKey;
import com.google.crypto.tink.hybrid.internal.HpkeAead;
import com.google.crypto.tink.hybrid.internal.HpkeContext;
import com.google.crypto.tink.hybrid.internal.HpkeEncrypt;
import com.google.crypto.tink.hybrid.internal.HpkeKdf;
import com.google.crypto.tink.hybrid.internal.HpkeKem;
import com.google.crypto.tink.hybrid.internal.HpkeKemPrivateKey;
import com.google.crypto.tink.hybrid.internal.HpkePrimitiveFactory;
import com.google.crypto.tink.util.Bytes;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Encryption to a recipient's X25519 public key by an anonymous sender: offline messages and
 * sealed DHT values. It is HPKE (RFC 9180) in base mode with the suite
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (the suite of RFC 9180 appendix A.1),
 * through Tink.
 *
 * <p>Format: {@code enc (32 bytes, the sender's ephemeral X25519 public key) || ciphertext ||
 * tag (16 bytes)}, so a sealed box is {@link #OVERHEAD} bytes longer than its plaintext. The
 * HPKE {@code info} binds the box to its use (for example a mailbox id); the AEAD's associated
 * data is empty and the sequence number is 0 (one message per context). There is no version
 * byte: a different suite would be a different {@code info} label.
 *
 * <p>Thread-safe: every call builds its own HPKE context.
 *
 * <pre>{@code
 * byte[] info = "mailbox v1".getBytes(StandardCharsets.US_ASCII);
 * byte[] box = SealedBox.seal(recipient.publicKey(), "hello".getBytes(StandardCharsets.UTF_8), info);
 * byte[] plain = SealedBox.open(recipient, box, info);   // recipient: an X25519KeyPair
 * }</pre>
 */
public final class SealedBox {

    /** Length of the encapsulated key (the ephemeral public key) at the front of a box. */
    public static final int ENC_LENGTH = 32;
    /** Length of the AEAD tag at the end of a box. */
    public static final int TAG_LENGTH = 16;
    /** How many bytes a sealed box adds to its plaintext. */
    public static final int OVERHEAD = ENC_LENGTH + TAG_LENGTH;

    private static final byte[] EMPTY = new byte[0];
    private static final HpkeParameters PARAMETERS;
    private static final HpkeKem KEM;
    private static final HpkeKdf KDF;
    private static final HpkeAead AEAD;

    static {
        try {
            PARAMETERS = HpkeParameters.builder()
                    .setKemId(HpkeParameters.KemId.DHKEM_X25519_HKDF_SHA256)
                    .setKdfId(HpkeParameters.KdfId.HKDF_SHA256)
                    .setAeadId(HpkeParameters.AeadId.AES_128_GCM)
                    .setVariant(HpkeParameters.Variant.NO_PREFIX)
                    .build();
            KEM = HpkePrimitiveFactory.createKem(PARAMETERS.getKemId());
            KDF = HpkePrimitiveFactory.createKdf(PARAMETERS.getKdfId());
            AEAD = HpkePrimitiveFactory.createAead(PARAMETERS.getAeadId());
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private SealedBox() {
    }

    /** Seals {@code plaintext} to the recipient's 32-byte X25519 public key. */
    public static byte[] seal(byte[] recipientPublicKey, byte[] plaintext, byte[] info) {
        if (recipientPublicKey == null || recipientPublicKey.length != X25519KeyPair.KEY_LENGTH) {
            throw new CryptoException("an X25519 public key has " + X25519KeyPair.KEY_LENGTH + " bytes");
        }
        if (plaintext == null) {
            throw new CryptoException("plaintext is null");
        }
        try {
            HpkePublicKey key = HpkePublicKey.create(PARAMETERS, Bytes.copyFrom(recipientPublicKey), null);
            HybridEncrypt encrypt = HpkeEncrypt.create(key);
            return encrypt.encrypt(plaintext, info == null ? EMPTY : info);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot seal to this public key (invalid or low-order)", e);
        }
    }

    /**
     * Opens a box sealed to {@code recipient} with the same {@code info}. Fails with
     * {@link CryptoException} when the box is truncated, was sealed to another key or with
     * another info, or was modified.
     */
    public static byte[] open(X25519KeyPair recipient, byte[] sealed, byte[] info) {
        return open(recipient, sealed, info, EMPTY);
    }

    /** Opens with explicit HPKE associated data: for the RFC 9180 vectors, whose aad is not empty. */
    static byte[] open(X25519KeyPair recipient, byte[] sealed, byte[] info, byte[] aad) {
        if (recipient == null) {
            throw new CryptoException("no recipient key pair given");
        }
        if (sealed == null || sealed.length < OVERHEAD) {
            throw new CryptoException("a sealed box has at least " + OVERHEAD + " bytes");
        }
        byte[] enc = Arrays.copyOfRange(sealed, 0, ENC_LENGTH);
        byte[] ciphertext = Arrays.copyOfRange(sealed, ENC_LENGTH, sealed.length);
        try {
            HpkeKemPrivateKey key = new HpkeKemPrivateKey(
                    Bytes.copyFrom(recipient.privateKey()), Bytes.copyFrom(recipient.publicKey()));
            HpkeContext context = HpkeContext.createRecipientContext(
                    enc, key, KEM, KDF, AEAD, info == null ? EMPTY : info);
            return context.open(ciphertext, aad);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CryptoException("sealed box does not open: wrong recipient, wrong info or modified");
        }
    }
}
