package io.reactivecarrier.dht;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A value stored in the DHT. Every value expires at {@link #expiresAt()} (ms on the network
 * clock) unless it is stored again; storing nodes also cap the lifetime.
 *
 * <ul>
 * <li>{@link Immutable}: key = SHA-256(data); anyone may re-store it.</li>
 * <li>{@link Mutable}: key = SHA-256(owner Ed25519 public key || salt); signed by the owner over
 * (salt, seq, expiry, data); a node accepts only a strictly higher sequence number (or the very
 * same value again), optionally compare-and-swap on the expected current seq.</li>
 * <li>{@link Sealed}: stored under a key the sender chooses (a mailbox key); the entries under one
 * key form a set, each with its own {@link #entryId()}; the data is opaque (sealed to the recipient
 * by higher layers); only a signature by {@link Sealed#deleteKey()} deletes it.</li>
 * </ul>
 *
 * <p>{@link #MAX_DATA_BYTES} is 1000 so that the largest STORE request (token, CAS field and a
 * mutable value with 32-byte salt: 1164 bytes) plus the RPC envelope (about 100 bytes) fits one
 * 1280-byte datagram, the IPv6 minimum MTU.
 *
 * <pre>{@code
 * long expiresAt = System.currentTimeMillis() + Duration.ofHours(1).toMillis();
 * DhtValue.Immutable blob = DhtValue.immutable(data, expiresAt);           // key = SHA-256(data)
 * DhtValue.Mutable status = DhtValue.mutable(identity, "status".getBytes(), 7, expiresAt, data);
 * dht.storeValue(status)
 *         .then(dht.findValue(DhtValue.Mutable.keyOf(identity.publicKey(), "status".getBytes())))
 *         .subscribe(values -> values.forEach(v -> log.info("{} bytes", v.data().length)));
 * }</pre>
 */
public sealed interface DhtValue permits DhtValue.Immutable, DhtValue.Mutable, DhtValue.Sealed {

    /** Largest data of a value, in bytes. */
    int MAX_DATA_BYTES = 1000;
    /** Largest salt of a mutable value, in bytes. */
    int MAX_SALT_BYTES = 32;

    /** The DHT key the value is stored under. */
    NodeId key();

    /** The id of this entry under its key (equal to the key except for sealed values). */
    NodeId entryId();

    /** A copy of the data. */
    byte[] data();

    /** Expiry, ms on the network clock. */
    long expiresAt();

    /** An immutable value. */
    static Immutable immutable(byte[] data, long expiresAt) {
        return new Immutable(data.clone(), expiresAt);
    }

    /** A mutable value signed by {@code owner}. */
    static Mutable mutable(Ed25519KeyPair owner, byte[] salt, long seq, long expiresAt, byte[] data) {
        checkSize(data, salt);
        if (seq < 0) {
            throw new IllegalArgumentException("seq must be >= 0");
        }
        byte[] sig = owner.sign(Mutable.signedBytes(salt, seq, expiresAt, data));
        return new Mutable(owner.publicKey(), salt.clone(), seq, expiresAt, data.clone(), sig);
    }

    /** A sealed value for the recipient whose Ed25519 public key is {@code deleteKey}. */
    static Sealed sealed(NodeId key, byte[] deleteKey, long expiresAt, byte[] sealedData) {
        return new Sealed(key, deleteKey.clone(), expiresAt, sealedData.clone());
    }

    private static void checkSize(byte[] data, byte[] salt) {
        if (data.length > MAX_DATA_BYTES) {
            throw new ValueTooLargeException("DHT value", data.length, MAX_DATA_BYTES, "DhtValue.MAX_DATA_BYTES");
        }
        if (salt != null && salt.length > MAX_SALT_BYTES) {
            throw new ValueTooLargeException("salt", salt.length, MAX_SALT_BYTES, "DhtValue.MAX_SALT_BYTES");
        }
    }

    /** The message a recipient signs to delete sealed entry {@code entryId} under {@code key}. */
    static byte[] deleteMessage(NodeId key, NodeId entryId) {
        byte[] d = "carrier-dht-delete-sealed-v1".getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(d.length + 64).put(d).put(key.raw()).put(entryId.raw()).array();
    }

    /** An immutable value: its key is the SHA-256 of its data. */
    record Immutable(byte[] content, long expiresAt) implements DhtValue {
        public Immutable {
            Objects.requireNonNull(content);
            checkSize(content, null);
        }

        @Override
        public NodeId key() {
            return NodeId.sha256(content);
        }

        @Override
        public NodeId entryId() {
            return key();
        }

        @Override
        public byte[] data() {
            return content.clone();
        }
    }

    /** A mutable value, signed by its owner. */
    record Mutable(byte[] owner, byte[] salt, long seq, long expiresAt, byte[] content, byte[] signature)
            implements DhtValue {
        public Mutable {
            checkSize(content, salt);
            if (owner.length != Ed25519KeyPair.PUBLIC_KEY_LENGTH || signature.length != Ed25519KeyPair.SIGNATURE_LENGTH) {
                throw new IllegalArgumentException("bad owner key or signature length");
            }
        }

        /** The key of the mutable value of {@code owner} with {@code salt}. */
        public static NodeId keyOf(byte[] owner, byte[] salt) {
            return NodeId.sha256(owner, salt);
        }

        static byte[] signedBytes(byte[] salt, long seq, long expiresAt, byte[] data) {
            byte[] d = "carrier-dht-mutable-v1".getBytes(StandardCharsets.US_ASCII);
            return ByteBuffer.allocate(d.length + 1 + salt.length + 16 + 2 + data.length)
                    .put(d).put((byte) salt.length).put(salt).putLong(seq).putLong(expiresAt)
                    .putShort((short) data.length).put(data).array();
        }

        /** Whether the owner's signature is valid. */
        public boolean verify() {
            return Ed25519KeyPair.verify(owner, signedBytes(salt, seq, expiresAt, content), signature);
        }

        @Override
        public NodeId key() {
            return keyOf(owner, salt);
        }

        @Override
        public NodeId entryId() {
            return key();
        }

        @Override
        public byte[] data() {
            return content.clone();
        }
    }

    /** A value sealed for one recipient, one entry of the set under {@link #key()}. */
    record Sealed(NodeId key, byte[] deleteKey, long expiresAt, byte[] content) implements DhtValue {
        public Sealed {
            Objects.requireNonNull(key);
            checkSize(content, null);
            if (deleteKey.length != Ed25519KeyPair.PUBLIC_KEY_LENGTH) {
                throw new IllegalArgumentException("a delete key is an Ed25519 public key of 32 bytes");
            }
        }

        /** SHA-256(deleteKey || data): stable across re-stores, so a delete is idempotent. */
        @Override
        public NodeId entryId() {
            return NodeId.sha256(deleteKey, content);
        }

        @Override
        public byte[] data() {
            return content.clone();
        }
    }
}
