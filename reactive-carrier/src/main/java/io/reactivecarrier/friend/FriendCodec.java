package io.reactivecarrier.friend;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.wire.DecodeException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The friend layer's wire formats: pure functions, big-endian, lengths checked before anything is
 * allocated. Layouts: docs/protocol/friends.md.
 */
final class FriendCodec {

    static final int VERSION = 1;

    /** RPC method of a direct friend request. */
    static final int RPC_FRIEND_REQUEST = 0x20;

    /** Mailbox item types (0x01-0x0F are the friend layer's). */
    static final int ITEM_REQUEST = 0x01;
    static final int ITEM_ACCEPT = 0x02;
    static final int ITEM_REMOVE = 0x03;

    /** Link frame types (0x10-0x1F are the friend layer's). */
    static final int FRAME_PROFILE = 0x10;
    static final int FRAME_PROFILE_ACK = 0x11;
    static final int FRAME_REMOVED = 0x12;

    /** Status byte of the answer to a direct request. */
    static final int STATUS_STORED = 0;
    static final int STATUS_ALREADY_FRIENDS = 1;
    static final int STATUS_NOSPAM = 2;
    static final int STATUS_FULL = 3;
    static final int STATUS_INVALID = 4;

    static final byte[] REQUEST_DOMAIN = "carrier-friend-request-v1".getBytes(StandardCharsets.US_ASCII);
    static final int REQUEST_FIXED = 1 + 32 + 32 + 4 + 8 + 2;
    static final int REQUEST_MAX = REQUEST_FIXED + Friends.MAX_HELLO_BYTES + Ed25519KeyPair.SIGNATURE_LENGTH;
    static final int NOTICE_LENGTH = 1 + 8;
    static final int PROFILE_MAX = 1 + 8 + 1 + 1 + Friends.MAX_NAME_BYTES + 2 + Friends.MAX_DESCRIPTION_BYTES;

    private FriendCodec() {
    }

    /** A signed request, as decoded; the signature was verified. */
    record Request(byte[] sender, byte[] recipient, int nospam, long sentAt, String hello) {
    }

    /**
     * {@code version(1) | sender(32) | recipient(32) | nospam(4) | sentAt(8) | helloLength(2) |
     * hello(UTF-8) | signature(64)}; the signature covers {@code REQUEST_DOMAIN | everything before it}.
     */
    static byte[] encodeRequest(Ed25519KeyPair sender, byte[] recipient, int nospam, long sentAt, String hello) {
        byte[] text = hello.getBytes(StandardCharsets.UTF_8);
        if (text.length > Friends.MAX_HELLO_BYTES) {
            throw new IllegalArgumentException("hello of " + text.length + " bytes over " + Friends.MAX_HELLO_BYTES);
        }
        ByteBuffer b = ByteBuffer.allocate(REQUEST_FIXED + text.length + Ed25519KeyPair.SIGNATURE_LENGTH);
        b.put((byte) VERSION).put(sender.publicKey()).put(recipient).putInt(nospam).putLong(sentAt)
                .putShort((short) text.length).put(text);
        byte[] signature = sender.sign(signed(b.array(), b.position()));
        b.put(signature);
        return b.array();
    }

    private static byte[] signed(byte[] body, int length) {
        byte[] m = new byte[REQUEST_DOMAIN.length + length];
        System.arraycopy(REQUEST_DOMAIN, 0, m, 0, REQUEST_DOMAIN.length);
        System.arraycopy(body, 0, m, REQUEST_DOMAIN.length, length);
        return m;
    }

    /** Decodes and verifies a request; DecodeException for anything malformed or unsigned. */
    static Request decodeRequest(byte[] in) throws DecodeException {
        if (in.length < REQUEST_FIXED + Ed25519KeyPair.SIGNATURE_LENGTH || in.length > REQUEST_MAX) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "friend request of " + in.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(in);
        if (b.get() != VERSION) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "friend request version " + in[0]);
        }
        byte[] sender = new byte[32];
        byte[] recipient = new byte[32];
        b.get(sender).get(recipient);
        int nospam = b.getInt();
        long sentAt = b.getLong();
        int len = b.getShort() & 0xffff;
        if (len > Friends.MAX_HELLO_BYTES || in.length != REQUEST_FIXED + len + Ed25519KeyPair.SIGNATURE_LENGTH) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "friend request hello length " + len + " does not match " + in.length + " bytes");
        }
        String hello = utf8(in, REQUEST_FIXED, len);
        int sigAt = REQUEST_FIXED + len;
        if (!Ed25519KeyPair.verify(sender, signed(in, sigAt), Arrays.copyOfRange(in, sigAt, in.length))) {
            throw new DecodeException(DecodeException.Reason.AUTHENTICATION, "friend request signature does not verify");
        }
        return new Request(sender, recipient, nospam, sentAt, hello);
    }

    /** An accept or remove notice: {@code version(1) | time(8)}. */
    static byte[] encodeNotice(long at) {
        return ByteBuffer.allocate(NOTICE_LENGTH).put((byte) VERSION).putLong(at).array();
    }

    static long decodeNotice(byte[] in) throws DecodeException {
        if (in.length != NOTICE_LENGTH || in[0] != VERSION) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "notice of " + in.length + " bytes");
        }
        return ByteBuffer.wrap(in, 1, 8).getLong();
    }

    /** A profile frame, as decoded. */
    record Profile(long seq, Presence status, String name, String description) {
    }

    /**
     * {@code version(1) | seq(8) | status(1) | nameLength(1) | name | descriptionLength(2) | description}.
     */
    static byte[] encodeProfile(Profile p) {
        byte[] name = p.name().getBytes(StandardCharsets.UTF_8);
        byte[] desc = p.description().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 8 + 1 + 1 + name.length + 2 + desc.length)
                .put((byte) VERSION).putLong(p.seq()).put((byte) p.status().ordinal())
                .put((byte) name.length).put(name).putShort((short) desc.length).put(desc).array();
    }

    static Profile decodeProfile(byte[] in) throws DecodeException {
        if (in.length < 13 || in.length > PROFILE_MAX || in[0] != VERSION) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "profile frame of " + in.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(in);
        b.get();
        long seq = b.getLong();
        int status = b.get() & 0xff;
        if (status == Presence.OFFLINE.ordinal() || status >= Presence.values().length) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "profile status " + status);
        }
        int nameLen = b.get() & 0xff;
        if (nameLen > Friends.MAX_NAME_BYTES || b.remaining() < nameLen + 2) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "profile name length " + nameLen);
        }
        String name = utf8(in, b.position(), nameLen);
        b.position(b.position() + nameLen);
        int descLen = b.getShort() & 0xffff;
        if (descLen > Friends.MAX_DESCRIPTION_BYTES || b.remaining() != descLen) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "profile description length " + descLen);
        }
        String desc = utf8(in, b.position(), descLen);
        return new Profile(seq, Presence.values()[status], name, desc);
    }

    static byte[] encodeAck(long seq) {
        return ByteBuffer.allocate(9).put((byte) VERSION).putLong(seq).array();
    }

    static long decodeAck(byte[] in) throws DecodeException {
        return decodeNotice(in);
    }

    private static String utf8(byte[] in, int offset, int length) throws DecodeException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(in, offset, length)).toString();
        } catch (CharacterCodingException e) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "text is not UTF-8");
        }
    }
}
