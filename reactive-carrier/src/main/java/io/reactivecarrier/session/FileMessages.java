package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;

/**
 * The control messages of a file stream, framed on the stream's main channel:
 * {@code [u16 length][u8 type][body]}, at most {@value #MAX} bytes each.
 * <pre>
 * OFFER  1  [u64 size][32 sha256][u8 n][n bytes name, UTF-8]   sender to receiver
 * ACCEPT 2  [u64 offset]                                       receiver to sender
 * REFUSE 3  [u8 n][reason]                                     receiver to sender
 * RESULT 4  [u8 ok][u8 n][reason]                              receiver to sender, after the data
 * </pre>
 */
final class FileMessages {

    static final int MAX = 1024;
    static final int OFFER = 1;
    static final int ACCEPT = 2;
    static final int REFUSE = 3;
    static final int RESULT = 4;

    private FileMessages() {
    }

    record Message(int type, long number, byte[] sha256, String text, boolean ok) {
    }

    static ByteBuf offer(long size, byte[] sha256, String name) {
        byte[] n = StreamConnection.reasonBytes(name, 255);
        return frame(OFFER, Unpooled.buffer().writeLong(size).writeBytes(sha256).writeByte(n.length).writeBytes(n));
    }

    static ByteBuf accept(long offset) {
        return frame(ACCEPT, Unpooled.buffer().writeLong(offset));
    }

    static ByteBuf refuse(String reason) {
        byte[] r = StreamConnection.reasonBytes(reason, 255);
        return frame(REFUSE, Unpooled.buffer().writeByte(r.length).writeBytes(r));
    }

    static ByteBuf result(boolean ok, String reason) {
        byte[] r = StreamConnection.reasonBytes(reason, 255);
        return frame(RESULT, Unpooled.buffer().writeByte(ok ? 1 : 0).writeByte(r.length).writeBytes(r));
    }

    private static ByteBuf frame(int type, ByteBuf body) {
        ByteBuf f = Unpooled.buffer(3 + body.readableBytes());
        f.writeShort(1 + body.readableBytes()).writeByte(type).writeBytes(body);
        body.release();
        return f;
    }

    /** Decodes one message body (type byte first); rejects anything malformed. */
    static Message decode(ByteBuf m) {
        int type = m.readUnsignedByte();
        switch (type) {
            case OFFER -> {
                need(m, 8 + 32 + 1);
                long size = m.readLong();
                byte[] sha = new byte[32];
                m.readBytes(sha);
                int n = m.readUnsignedByte();
                need(m, n);
                if (size < 0 || m.readableBytes() != n) {
                    throw bad("bad OFFER");
                }
                return new Message(type, size, sha, m.readCharSequence(n, StandardCharsets.UTF_8).toString(), true);
            }
            case ACCEPT -> {
                need(m, 8);
                long offset = m.readLong();
                if (offset < 0 || m.isReadable()) {
                    throw bad("bad ACCEPT");
                }
                return new Message(type, offset, null, null, true);
            }
            case REFUSE -> {
                need(m, 1);
                int n = m.readUnsignedByte();
                if (m.readableBytes() != n) {
                    throw bad("bad REFUSE");
                }
                return new Message(type, 0, null, m.readCharSequence(n, StandardCharsets.UTF_8).toString(), false);
            }
            case RESULT -> {
                need(m, 2);
                boolean ok = m.readUnsignedByte() == 1;
                int n = m.readUnsignedByte();
                if (m.readableBytes() != n) {
                    throw bad("bad RESULT");
                }
                return new Message(type, 0, null, m.readCharSequence(n, StandardCharsets.UTF_8).toString(), ok);
            }
            default -> throw bad("unknown file message " + type);
        }
    }

    private static void need(ByteBuf m, int n) {
        if (m.readableBytes() < n) {
            throw bad("truncated file message");
        }
    }

    private static FileTransferException bad(String what) {
        return new FileTransferException(FileTransferException.Reason.PROTOCOL, "the peer sent a " + what);
    }

    /** Splits a channel's bytes into messages (buffers released); fails on a length over {@value #MAX}. */
    static Flux<Message> messages(Flux<ByteBuf> in) {
        return Flux.defer(() -> {
            ByteBuf acc = Unpooled.buffer(64, 2 * MAX);
            return in.concatMapIterable(b -> {
                try {
                    if (acc.readableBytes() + b.readableBytes() > 2 * MAX) {
                        throw bad("message over " + MAX + " bytes");
                    }
                    acc.writeBytes(b);
                } finally {
                    b.release();
                }
                List<Message> out = new ArrayList<>(1);
                while (acc.readableBytes() >= 2) {
                    int len = acc.getUnsignedShort(acc.readerIndex());
                    if (len < 1 || len > MAX) {
                        throw bad("message of " + len + " bytes");
                    }
                    if (acc.readableBytes() < 2 + len) {
                        break;
                    }
                    acc.skipBytes(2);
                    out.add(decode(acc.readSlice(len)));
                }
                acc.discardReadBytes();
                return out;
            }, 1).doFinally(s -> acc.release());
        });
    }
}
