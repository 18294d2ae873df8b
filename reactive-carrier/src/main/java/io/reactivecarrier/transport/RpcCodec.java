package io.reactivecarrier.transport;

import com.google.crypto.tink.aead.internal.InsecureNonceXChaCha20Poly1305;
import com.google.crypto.tink.subtle.Hkdf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.wire.DecodeException;
import io.reactivecarrier.wire.Limits;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.function.Function;

/**
 * The RPC envelope (docs/protocol/rpc.md), pure functions:
 * <pre>
 * [kind 1][version 1][sender X25519 public key 32][nonce 24][ciphertext of (txid 8 | method 1 | body)][tag 16]
 * </pre>
 * The 58 header bytes are the associated data of XChaCha20-Poly1305; the key is
 * HKDF-SHA256(X25519(shared), salt = "reactive-carrier rpc v1", info = empty, 32 bytes).
 * In plaintext mode (simulator only) the body is not encrypted and the tag is 16 zero bytes.
 */
final class RpcCodec {

    static final int KEY_LENGTH = X25519KeyPair.KEY_LENGTH;
    static final int NONCE_LENGTH = 24;
    static final int HEADER_LENGTH = 2 + KEY_LENGTH + NONCE_LENGTH;
    static final int INNER_HEADER_LENGTH = 8 + 1;
    static final int TAG_LENGTH = 16;
    /** Bytes of an envelope around the body: 83. */
    static final int OVERHEAD = HEADER_LENGTH + INNER_HEADER_LENGTH + TAG_LENGTH;
    static final byte[] SALT = "reactive-carrier rpc v1".getBytes(StandardCharsets.US_ASCII);

    private RpcCodec() {
    }

    /** The AEAD of a node key and a peer key: the same in both directions. */
    static InsecureNonceXChaCha20Poly1305 cipher(X25519KeyPair self, byte[] peerKey) {
        byte[] shared = self.agree(peerKey);
        try {
            byte[] key = Hkdf.computeHkdf("HMACSHA256", shared, SALT, new byte[0], 32);
            return new InsecureNonceXChaCha20Poly1305(key);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot derive the RPC key", e);
        }
    }

    /** Encodes an envelope; {@code cipher} null means plaintext mode. */
    static ByteBuf encode(ByteBufAllocator alloc, int kind, byte[] senderKey, byte[] nonce,
            InsecureNonceXChaCha20Poly1305 cipher, long txid, int method, byte[] body) {
        byte[] header = new byte[HEADER_LENGTH];
        header[0] = (byte) kind;
        header[1] = (byte) Limits.PROTOCOL_VERSION;
        System.arraycopy(senderKey, 0, header, 2, KEY_LENGTH);
        System.arraycopy(nonce, 0, header, 2 + KEY_LENGTH, NONCE_LENGTH);
        byte[] plain = new byte[INNER_HEADER_LENGTH + body.length];
        for (int i = 0; i < 8; i++) {
            plain[i] = (byte) (txid >>> (56 - 8 * i));
        }
        plain[8] = (byte) method;
        System.arraycopy(body, 0, plain, INNER_HEADER_LENGTH, body.length);
        ByteBuf out = alloc.buffer(OVERHEAD + body.length);
        out.writeBytes(header);
        if (cipher == null) {
            out.writeBytes(plain).writeZero(TAG_LENGTH);
        } else {
            try {
                out.writeBytes(cipher.encrypt(nonce, plain, header));
            } catch (GeneralSecurityException e) {
                out.release();
                throw new CryptoException("RPC encryption failed", e);
            }
        }
        return out;
    }

    /** A decoded envelope. */
    record Opened(int kind, byte[] senderKey, long txid, int method, byte[] body) {
    }

    /** The sender key of an envelope whose size was checked by {@link #checkSize}; allocates 32 bytes. */
    static byte[] senderKey(ByteBuf in) {
        byte[] key = new byte[KEY_LENGTH];
        in.getBytes(in.readerIndex() + 2, key);
        return key;
    }

    /** Checks the size and version before anything is allocated. */
    static void checkSize(ByteBuf in, int maxBodySize) throws DecodeException {
        int length = in.readableBytes();
        if (length < OVERHEAD) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, "an RPC envelope has at least " + OVERHEAD + " bytes");
        }
        if (length > OVERHEAD + maxBodySize) {
            throw new DecodeException(DecodeException.Reason.OVERSIZED, "an RPC body has at most " + maxBodySize + " bytes");
        }
        if (in.getUnsignedByte(in.readerIndex() + 1) != Limits.PROTOCOL_VERSION) {
            throw new DecodeException(DecodeException.Reason.BAD_VERSION, "unsupported protocol version");
        }
    }

    /**
     * Decodes and authenticates an envelope. {@code ciphers} maps a sender key to its cipher (and
     * may throw {@link CryptoException} for a bad key); null means plaintext mode.
     */
    static Opened open(ByteBuf in, int maxBodySize, Function<byte[], InsecureNonceXChaCha20Poly1305> ciphers)
            throws DecodeException {
        checkSize(in, maxBodySize);
        int start = in.readerIndex();
        int length = in.readableBytes();
        byte[] header = new byte[HEADER_LENGTH];
        in.getBytes(start, header);
        byte[] senderKey = new byte[KEY_LENGTH];
        System.arraycopy(header, 2, senderKey, 0, KEY_LENGTH);
        byte[] plain;
        if (ciphers == null) {
            for (int i = start + length - TAG_LENGTH; i < start + length; i++) {
                if (in.getByte(i) != 0) {
                    throw new DecodeException(DecodeException.Reason.AUTHENTICATION, "plaintext RPC tag must be zero");
                }
            }
            plain = new byte[length - HEADER_LENGTH - TAG_LENGTH];
            in.getBytes(start + HEADER_LENGTH, plain);
        } else {
            byte[] nonce = new byte[NONCE_LENGTH];
            System.arraycopy(header, 2 + KEY_LENGTH, nonce, 0, NONCE_LENGTH);
            try {
                InsecureNonceXChaCha20Poly1305 cipher = ciphers.apply(senderKey);
                plain = cipher.decrypt(in.nioBuffer(start + HEADER_LENGTH, length - HEADER_LENGTH), nonce, header);
            } catch (GeneralSecurityException | CryptoException e) {
                throw new DecodeException(DecodeException.Reason.AUTHENTICATION, "RPC envelope does not authenticate");
            }
        }
        long txid = 0;
        for (int i = 0; i < 8; i++) {
            txid = (txid << 8) | (plain[i] & 0xff);
        }
        int method = plain[8] & 0xff;
        byte[] body = new byte[plain.length - INNER_HEADER_LENGTH];
        System.arraycopy(plain, INNER_HEADER_LENGTH, body, 0, body.length);
        return new Opened(header[0] & 0xff, senderKey, txid, method, body);
    }
}
