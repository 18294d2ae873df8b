package io.reactivecarrier.link;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.crypto.CryptoException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Layouts of the four link packets and their MACs (see {@code docs/protocol/link.md}). Offsets
 * are relative to the packet's first byte. One instance holds a reusable HMAC and is confined to
 * the node's event loop.
 */
final class LinkPackets {

    static final byte[] PROLOGUE = "reactive-carrier link v1".getBytes(StandardCharsets.US_ASCII);
    static final int MAC_LENGTH = 16;
    static final int COOKIE_LENGTH = 16;
    static final int NONCE_LENGTH = 24;
    static final int TAG_LENGTH = 16;
    static final int KEY_LENGTH = 32;

    /** INIT payload (inside Noise): user id 32, binding signature 64, timestamp 8. */
    static final int INIT_PAYLOAD = 32 + 64 + 8;
    /** RESP payload (inside Noise): user id 32, binding signature 64. */
    static final int RESP_PAYLOAD = 32 + 64;
    /** Noise IK message 1: e 32, encrypted s 32+16, encrypted payload + 16. */
    static final int NOISE_MSG1 = 32 + 32 + TAG_LENGTH + INIT_PAYLOAD + TAG_LENGTH;
    /** Noise IK message 2: e 32, encrypted payload + 16. */
    static final int NOISE_MSG2 = 32 + RESP_PAYLOAD + TAG_LENGTH;

    static final int INIT_SENDER = 2;
    static final int INIT_NOISE = 6;
    static final int INIT_MAC1 = INIT_NOISE + NOISE_MSG1;
    static final int INIT_MAC2 = INIT_MAC1 + MAC_LENGTH;
    static final int INIT_LENGTH = INIT_MAC2 + MAC_LENGTH;

    static final int RESP_SENDER = 2;
    static final int RESP_RECEIVER = 6;
    static final int RESP_NOISE = 10;
    static final int RESP_MAC1 = RESP_NOISE + NOISE_MSG2;
    static final int RESP_MAC2 = RESP_MAC1 + MAC_LENGTH;
    static final int RESP_LENGTH = RESP_MAC2 + MAC_LENGTH;

    static final int COOKIE_RECEIVER = 2;
    static final int COOKIE_NONCE = 6;
    static final int COOKIE_BOX = COOKIE_NONCE + NONCE_LENGTH;
    static final int COOKIE_PACKET_LENGTH = COOKIE_BOX + COOKIE_LENGTH + TAG_LENGTH;

    static final int DATA_RECEIVER = 2;
    static final int DATA_COUNTER = 6;
    static final int DATA_HEADER = 14;
    /** Bytes a DATA packet adds to a frame's payload: header 14, frame type 1, tag 16. */
    static final int DATA_OVERHEAD = DATA_HEADER + 1 + TAG_LENGTH;

    /** Frame type 0: a keepalive (empty, or the probe byte 1 asking for one back), never delivered to a handler. */
    static final int FRAME_KEEPALIVE = 0;

    private static final byte[] MAC1_LABEL = "mac1----".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COOKIE_LABEL = "cookie--".getBytes(StandardCharsets.US_ASCII);

    private final Mac hmac;

    LinkPackets() {
        try {
            hmac = Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new CryptoException("HMAC-SHA256 unavailable", e);
        }
    }

    /** The mac1 key of a receiver: SHA-256("mac1----" || its static public key). */
    static byte[] mac1Key(byte[] staticPublic) {
        return sha256(MAC1_LABEL, staticPublic);
    }

    /** The key that encrypts cookie replies from a responder: SHA-256("cookie--" || its static public key). */
    static byte[] cookieKey(byte[] staticPublic) {
        return sha256(COOKIE_LABEL, staticPublic);
    }

    /** HMAC-SHA256 of {@code length} bytes of {@code packet} from its reader index, truncated to 16 bytes. */
    byte[] mac(byte[] key, ByteBuf packet, int length) {
        try {
            hmac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new CryptoException("bad HMAC key", e);
        }
        hmac.update(packet.nioBuffer(packet.readerIndex(), length));
        byte[] full = hmac.doFinal();
        byte[] mac = new byte[MAC_LENGTH];
        System.arraycopy(full, 0, mac, 0, MAC_LENGTH);
        return mac;
    }

    /** Writes the MAC of the bytes before {@code offset} at {@code offset}; returns it. */
    byte[] writeMac(byte[] key, ByteBuf packet, int offset) {
        byte[] mac = mac(key, packet, offset);
        packet.setBytes(packet.readerIndex() + offset, mac);
        return mac;
    }

    /** Whether the 16 bytes at {@code offset} are the MAC of the bytes before it (constant time). */
    boolean checkMac(byte[] key, ByteBuf packet, int offset) {
        byte[] expected = mac(key, packet, offset);
        byte[] actual = new byte[MAC_LENGTH];
        packet.getBytes(packet.readerIndex() + offset, actual);
        return MessageDigest.isEqual(expected, actual);
    }

    /** The cookie of a source address: HMAC-SHA256(secret, ip || port) truncated to 16 bytes. */
    byte[] cookie(byte[] secret, java.net.InetSocketAddress source) {
        try {
            hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new CryptoException("bad HMAC key", e);
        }
        hmac.update(source.getAddress().getAddress());
        hmac.update((byte) (source.getPort() >>> 8));
        hmac.update((byte) source.getPort());
        byte[] full = hmac.doFinal();
        byte[] cookie = new byte[COOKIE_LENGTH];
        System.arraycopy(full, 0, cookie, 0, COOKIE_LENGTH);
        return cookie;
    }

    static boolean isZero(ByteBuf packet, int offset, int length) {
        int acc = 0;
        for (int i = 0; i < length; i++) {
            acc |= packet.getByte(packet.readerIndex() + offset + i);
        }
        return acc == 0;
    }

    static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("SHA-256 unavailable", e);
        }
    }

    static void putLong(byte[] out, int offset, long value) {
        for (int i = 0; i < 8; i++) {
            out[offset + i] = (byte) (value >>> (56 - 8 * i));
        }
    }

    static long getLong(byte[] in, int offset) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (in[offset + i] & 0xff);
        }
        return v;
    }
}
