package io.reactivecarrier.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte layout of the stored records: a format byte, then the fields in order (ints and longs
 * big-endian, byte strings and UTF-8 strings as a 4-byte length and the bytes). Pure functions.
 */
final class Codec {

    private static final int FORMAT = 1;
    private static final int MAX_FIELD = 64 * 1024 * 1024;

    private Codec() {
    }

    /** A stored value that does not decode. */
    static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static byte[] identity(StoredIdentity id) {
        return write(out -> {
            bytes(out, id.ed25519Seed());
            bytes(out, id.x25519Private());
            out.writeInt(id.nospam());
        });
    }

    static StoredIdentity identity(byte[] data) {
        return read(data, "identity", in -> new StoredIdentity(bytes(in), bytes(in), in.readInt()));
    }

    static byte[] profile(StoredProfile p) {
        return write(out -> {
            string(out, p.name());
            string(out, p.description());
        });
    }

    static StoredProfile profile(byte[] data) {
        return read(data, "profile", in -> new StoredProfile(string(in), string(in)));
    }

    static byte[] friend(FriendRecord f) {
        return write(out -> {
            bytes(out, f.userId());
            string(out, f.label());
            string(out, f.name());
            string(out, f.description());
            out.writeLong(f.addedAtMillis());
            out.writeLong(f.lastSeenMillis());
            bytes(out, f.extra());
        });
    }

    static FriendRecord friend(byte[] data) {
        return read(data, "friend", in -> new FriendRecord(bytes(in), string(in), string(in), string(in),
                in.readLong(), in.readLong(), bytes(in)));
    }

    static byte[] request(FriendRequestRecord r) {
        return write(out -> {
            bytes(out, r.userId());
            out.writeBoolean(r.incoming());
            string(out, r.hello());
            out.writeLong(r.receivedAtMillis());
            bytes(out, r.extra());
        });
    }

    static FriendRequestRecord request(byte[] data) {
        return read(data, "friend request", in -> new FriendRequestRecord(bytes(in), in.readBoolean(), string(in),
                in.readLong(), bytes(in)));
    }

    static byte[] outbox(OutboxEntry e) {
        return outbox(e.messageId(), e.recipient(), e.sequence(), e.createdAtMillis(), e.payloadShared(), e.state());
    }

    static byte[] outbox(byte[] id, byte[] recipient, long sequence, long createdAtMillis, byte[] payload,
            String stateName) {
        // the layout of write(...) with DataOutputStream, written straight into an array of the exact size
        byte[] state = stateName.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + id.length + 4 + recipient.length + 8 + 8 + 4 + payload.length
                + 4 + state.length);
        b.put((byte) FORMAT);
        b.putInt(id.length).put(id);
        b.putInt(recipient.length).put(recipient);
        b.putLong(sequence).putLong(createdAtMillis);
        b.putInt(payload.length).put(payload);
        b.putInt(state.length).put(state);
        return b.array();
    }

    static OutboxEntry outbox(byte[] data) {
        return read(data, "outbox entry", in -> new OutboxEntry(bytes(in), bytes(in), in.readLong(), in.readLong(),
                bytes(in), string(in)));
    }

    /** A map value: expiry (epoch millis, Long.MAX_VALUE = never) then the value. */
    static byte[] expiring(long expiresAtMillis, byte[] value) {
        // the layout of write(...): format, expiry, length, value; one copy of the value
        return ByteBuffer.allocate(1 + 8 + 4 + value.length).put((byte) FORMAT).putLong(expiresAtMillis)
                .putInt(value.length).put(value).array();
    }

    /** {@link #expiring(long, byte[])} of {@code head ‖ tail}. */
    static byte[] expiring(long expiresAtMillis, byte[] head, byte[] tail) {
        return ByteBuffer.allocate(1 + 8 + 4 + head.length + tail.length).put((byte) FORMAT).putLong(expiresAtMillis)
                .putInt(head.length + tail.length).put(head).put(tail).array();
    }

    static long expiresAt(byte[] data) {
        checkExpiring(data);
        return ByteBuffer.wrap(data).getLong(1);
    }

    static byte[] value(byte[] data) {
        return Arrays.copyOfRange(data, 1 + 8 + 4, 1 + 8 + 4 + checkExpiring(data));
    }

    /** The value length of an {@link #expiring} record, after checking its layout (no allocation). */
    private static int checkExpiring(byte[] data) {
        if (data.length < 1 + 8 + 4) {
            throw new Malformed("map value of " + data.length + " bytes is too short", null);
        }
        if ((data[0] & 0xff) != FORMAT) {
            throw new Malformed("map value has unknown format " + (data[0] & 0xff), null);
        }
        int n = ByteBuffer.wrap(data).getInt(1 + 8);
        if (n != data.length - (1 + 8 + 4)) {
            throw new Malformed("map value of " + data.length + " bytes says " + n + " value bytes", null);
        }
        return n;
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writer writer) {
        return write(64, writer);
    }

    /** Writes into a buffer of {@code sizeHint} bytes (one copy when the hint is right). */
    private static byte[] write(int sizeHint, Writer writer) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(sizeHint);
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeByte(FORMAT);
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return buf.toByteArray();
    }

    private static <T> T read(byte[] data, String what, Reader<T> reader) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new Malformed(what + " has unknown format " + format, null);
            }
            T value = reader.read(in);
            if (in.available() != 0) {
                throw new Malformed(what + " has " + in.available() + " trailing bytes", null);
            }
            return value;
        } catch (IOException | RuntimeException e) {
            if (e instanceof Malformed m) {
                throw m;
            }
            throw new Malformed(what + " does not decode: " + e, e);
        }
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_FIELD || n > in.available()) {
            throw new IOException("bad field length " + n);
        }
        return in.readNBytes(n);
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        bytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static String string(DataInputStream in) throws IOException {
        return new String(bytes(in), StandardCharsets.UTF_8);
    }
}
