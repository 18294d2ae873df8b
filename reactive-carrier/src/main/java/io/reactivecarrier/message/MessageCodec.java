package io.reactivecarrier.message;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.wire.DecodeException;
import java.util.ArrayList;
import java.util.List;

/**
 * The message layer's wire formats (docs/protocol/messages.md). Pure functions, strict limits:
 * every length is checked before anything is allocated.
 *
 * <pre>
 * MSG (link frame 0x20, mailbox item type 0x10), big-endian:
 *   messageId 16 | seq 8 | floor 8 | sentAt 8 | total 4 | offset 4 | chunk (total - offset or less)
 * RECEIPT (link frame 0x21):
 *   count 2 (1..) | messageId 16 * count
 * </pre>
 */
final class MessageCodec {

    static final int FRAME_MSG = 0x20;
    static final int FRAME_RECEIPT = 0x21;
    /**
     * A MSG fragment of a message this node may have sent before (a retransmission, or a message
     * loaded from the outbox at start): same payload as {@link #FRAME_MSG}. After a crash, a
     * receiver flags only such copies as redelivered.
     */
    static final int FRAME_MSG_AGAIN = 0x22;
    static final int MAILBOX_MSG = 0x10;
    static final int HEADER = 16 + 8 + 8 + 8 + 4 + 4;

    private MessageCodec() {
    }

    /** One fragment (or a whole message when offset 0 and chunk length == total). */
    record Fragment(byte[] id, long seq, long floor, long sentAt, int total, int offset, byte[] chunk) {
        boolean whole() {
            return offset == 0 && chunk.length == total;
        }
    }

    static void writeFragment(ByteBuf out, byte[] id, long seq, long floor, long sentAt, byte[] body, int offset,
            int length) {
        out.writeBytes(id).writeLong(seq).writeLong(floor).writeLong(sentAt).writeInt(body.length).writeInt(offset)
                .writeBytes(body, offset, length);
    }

    static byte[] fragment(byte[] id, long seq, long floor, long sentAt, byte[] body, int offset, int length) {
        ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(new byte[HEADER + length]).writerIndex(0);
        writeFragment(b, id, seq, floor, sentAt, body, offset, length);
        return b.array();
    }

    static Fragment readFragment(ByteBuf in, int maxMessageBytes) throws DecodeException {
        int len = in.readableBytes();
        if (len < HEADER) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, "a message fragment needs " + HEADER + " header bytes, got " + len);
        }
        int start = in.readerIndex();
        long seq = in.getLong(start + 16);
        long floor = in.getLong(start + 24);
        long sentAt = in.getLong(start + 32);
        int total = in.getInt(start + 40);
        int offset = in.getInt(start + 44);
        int chunk = len - HEADER;
        if (seq < 1 || floor < 1 || floor > seq) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "bad sequence " + seq + " / floor " + floor);
        }
        if (total < 0 || total > maxMessageBytes) {
            throw new DecodeException(DecodeException.Reason.OVERSIZED, "message length " + total + " outside 0.." + maxMessageBytes);
        }
        if (offset < 0 || offset > total || chunk > total - offset || (chunk == 0 && total != 0)) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "fragment at " + offset + " of " + chunk + " bytes does not fit a message of "
                    + total);
        }
        byte[] id = new byte[16];
        in.readBytes(id);
        in.skipBytes(32);
        byte[] data = new byte[chunk];
        in.readBytes(data);
        return new Fragment(id, seq, floor, sentAt, total, offset, data);
    }

    static Fragment readFragment(byte[] in, int maxMessageBytes) throws DecodeException {
        return readFragment(io.netty.buffer.Unpooled.wrappedBuffer(in), maxMessageBytes);
    }

    static int receiptCapacity(int maxPayload) {
        return Math.min(0xffff, (maxPayload - 2) / 16);
    }

    static void writeReceipt(ByteBuf out, List<byte[]> ids) {
        out.writeShort(ids.size());
        ids.forEach(out::writeBytes);
    }

    static List<byte[]> readReceipt(ByteBuf in) throws DecodeException {
        if (in.readableBytes() < 2) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, "a receipt needs a count");
        }
        int count = in.readUnsignedShort();
        if (count == 0 || in.readableBytes() != count * 16) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "a receipt of " + count + " ids needs " + count * 16 + " bytes, got "
                    + in.readableBytes());
        }
        List<byte[]> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] id = new byte[16];
            in.readBytes(id);
            ids.add(id);
        }
        return ids;
    }

    /**
     * An inbox entry: seq 8 | sentAt 8 | flags 1 (bit 0: came through the mailbox; bit 1: a copy
     * its sender may have sent before, see {@link #FRAME_MSG_AGAIN}) | messageId 16 | body.
     */
    static byte[] inboxValue(long seq, long sentAt, boolean offline, boolean again, byte[] id, byte[] body) {
        byte[] v = new byte[33 + body.length];
        ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(v).writerIndex(0);
        b.writeLong(seq).writeLong(sentAt).writeByte((offline ? 1 : 0) | (again ? 2 : 0)).writeBytes(id).writeBytes(body);
        return v;
    }

    /** The first 33 bytes of an {@link #inboxValue}: the body follows. */
    static byte[] inboxHead(long seq, long sentAt, boolean offline, boolean again, byte[] id) {
        return inboxValue(seq, sentAt, offline, again, id, EMPTY);
    }

    private static final byte[] EMPTY = new byte[0];

    static byte[] inboxKey(byte[] sender, long seq) {
        byte[] k = new byte[sender.length + 8];
        System.arraycopy(sender, 0, k, 0, sender.length);
        for (int i = 0; i < 8; i++) {
            k[sender.length + i] = (byte) (seq >>> (56 - 8 * i));
        }
        return k;
    }

    static long longAt(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return v;
    }

    /**
     * A friend's cursor record: the last sequence accepted for hand-out; the last one known to be
     * handed out (every sequence up to it went to a subscriber's {@code onNext}); and the lease, the
     * last sequence that may be handed out before a commit records it.
     */
    static byte[] cursorRecord(long cursor, long handedThrough, long lease) {
        return java.nio.ByteBuffer.allocate(24).putLong(cursor).putLong(handedThrough).putLong(lease).array();
    }

    static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (56 - 8 * i));
        }
        return b;
    }
}
