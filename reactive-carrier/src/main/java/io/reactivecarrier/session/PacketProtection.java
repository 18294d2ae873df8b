package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.PacketAead;
import java.util.zip.CRC32C;

/**
 * Protects a stream packet's payload: AES-256-GCM with the packet number as the counter nonce and
 * the header as additional data (encrypted streams), or a CRC32C over header and payload (plain
 * streams: integrity against corruption, no secrecy, no authentication). One instance per direction.
 */
abstract class PacketProtection {

    /** Bytes added after the payload. */
    abstract int overhead();

    abstract boolean encrypted();

    /** Writes the protected form of {@code plain} (all readable bytes) to {@code out}, after the header already in it. */
    abstract void seal(long pn, ByteBuf out, int headerStart, int headerLength, ByteBuf plain);

    /** Writes the payload of {@code packet} (header at its reader index) to {@code out}; false when it does not verify. */
    abstract boolean open(long pn, ByteBuf packet, int headerLength, ByteBuf out);

    static PacketProtection aead(byte[] key) {
        return new Aead(PacketAead.create(PacketAead.Algorithm.AES_256_GCM, key));
    }

    static PacketProtection plain() {
        return new Plain();
    }

    static final class Aead extends PacketProtection {
        private final PacketAead aead;

        Aead(PacketAead aead) {
            this.aead = aead;
        }

        @Override
        int overhead() {
            return PacketAead.TAG_LENGTH;
        }

        @Override
        boolean encrypted() {
            return true;
        }

        @Override
        void seal(long pn, ByteBuf out, int headerStart, int headerLength, ByteBuf plain) {
            aead.seal(pn, out.slice(headerStart, headerLength), plain, out);
        }

        @Override
        boolean open(long pn, ByteBuf packet, int headerLength, ByteBuf out) {
            int start = packet.readerIndex();
            try {
                aead.open(pn, packet.slice(start, headerLength),
                        packet.slice(start + headerLength, packet.readableBytes() - headerLength), out);
                return true;
            } catch (CryptoException e) {
                return false;
            }
        }
    }

    static final class Plain extends PacketProtection {
        private final CRC32C crc = new CRC32C();

        @Override
        int overhead() {
            return 4;
        }

        @Override
        boolean encrypted() {
            return false;
        }

        @Override
        void seal(long pn, ByteBuf out, int headerStart, int headerLength, ByteBuf plain) {
            out.writeBytes(plain);
            crc.reset();
            update(out, headerStart, out.writerIndex() - headerStart);
            out.writeInt((int) crc.getValue());
        }

        @Override
        boolean open(long pn, ByteBuf packet, int headerLength, ByteBuf out) {
            int start = packet.readerIndex();
            int len = packet.readableBytes();
            if (len < headerLength + 4) {
                return false;
            }
            crc.reset();
            update(packet, start, len - 4);
            if ((int) crc.getValue() != packet.getInt(start + len - 4)) {
                return false;
            }
            out.writeBytes(packet, start + headerLength, len - 4 - headerLength);
            return true;
        }

        private void update(ByteBuf buf, int index, int length) {
            if (buf.nioBufferCount() == 1) {
                crc.update(buf.nioBuffer(index, length));
            } else {
                byte[] tmp = new byte[length];
                buf.getBytes(index, tmp);
                crc.update(tmp);
            }
        }
    }
}
