package io.reactivecarrier.dht;

import io.reactivecarrier.crypto.Hex;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.random.RandomGenerator;

/**
 * A 256-bit DHT identifier: a node id (the node's X25519 public key) or a value key. Distance is
 * XOR (Kademlia). Immutable; {@link #bytes()} returns a copy.
 *
 * <pre>{@code
 * NodeId key = NodeId.sha256("topic".getBytes(StandardCharsets.UTF_8));
 * NodeId self = NodeId.of(nodeKey.publicKey());
 * int bucket = self.commonPrefixLength(key);
 * List<NodeId> closestFirst = ids.stream().sorted(key.byDistance()).toList();
 * }</pre>
 */
public final class NodeId implements Comparable<NodeId> {

    /** Length of an id in bytes. */
    public static final int LENGTH = 32;
    /** Length of an id in bits. */
    public static final int BITS = 256;

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private final byte[] id;
    private final int hash;
    /** The id as four big-endian 64-bit words: distance comparisons XOR whole words. */
    private final long w0;
    private final long w1;
    private final long w2;
    private final long w3;

    private NodeId(byte[] id) {
        this.id = id;
        this.hash = Arrays.hashCode(id);
        this.w0 = (long) LONGS.get(id, 0);
        this.w1 = (long) LONGS.get(id, 8);
        this.w2 = (long) LONGS.get(id, 16);
        this.w3 = (long) LONGS.get(id, 24);
    }

    /** The id of these 32 bytes (copied). */
    public static NodeId of(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("a node id has " + LENGTH + " bytes");
        }
        return new NodeId(bytes.clone());
    }

    /** The id of a 64-character hex string. */
    public static NodeId fromHex(String hex) {
        return of(Hex.decode(hex));
    }

    /** SHA-256 of the concatenation of {@code parts}: the key of a value. */
    public static NodeId sha256(byte[]... parts) {
        return new NodeId(digest(parts));
    }

    static byte[] digest(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A random id. */
    public static NodeId random(RandomGenerator random) {
        byte[] b = new byte[LENGTH];
        random.nextBytes(b);
        return new NodeId(b);
    }

    static NodeId wrap(byte[] bytes) {
        return new NodeId(bytes);
    }

    /** A copy of the 32 bytes. */
    public byte[] bytes() {
        return id.clone();
    }

    byte[] raw() {
        return id;
    }

    /** The number of leading bits this id shares with {@code other} (256 when equal). */
    public int commonPrefixLength(NodeId other) {
        long x = w0 ^ other.w0;
        if (x != 0) {
            return Long.numberOfLeadingZeros(x);
        }
        x = w1 ^ other.w1;
        if (x != 0) {
            return 64 + Long.numberOfLeadingZeros(x);
        }
        x = w2 ^ other.w2;
        if (x != 0) {
            return 128 + Long.numberOfLeadingZeros(x);
        }
        x = w3 ^ other.w3;
        return x != 0 ? 192 + Long.numberOfLeadingZeros(x) : BITS;
    }

    /** The XOR distance to {@code other} as a new id. */
    public NodeId distance(NodeId other) {
        byte[] d = new byte[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            d[i] = (byte) (id[i] ^ other.id[i]);
        }
        return new NodeId(d);
    }

    /**
     * Compares the XOR distances of {@code a} and {@code b} to this id: negative when {@code a}
     * is closer.
     */
    public int compareDistance(NodeId a, NodeId b) {
        long da = a.w0 ^ w0;
        long db = b.w0 ^ w0;
        if (da == db) {
            da = a.w1 ^ w1;
            db = b.w1 ^ w1;
            if (da == db) {
                da = a.w2 ^ w2;
                db = b.w2 ^ w2;
                if (da == db) {
                    da = a.w3 ^ w3;
                    db = b.w3 ^ w3;
                }
            }
        }
        return Long.compareUnsigned(da, db);
    }

    /** A comparator ordering ids by their XOR distance to this id, closest first. */
    public Comparator<NodeId> byDistance() {
        return this::compareDistance;
    }

    /**
     * A random id that shares exactly {@code prefixLength} leading bits with this id (so it falls
     * into bucket {@code prefixLength} of a table owned by this id).
     */
    public NodeId randomInBucket(int prefixLength, RandomGenerator random) {
        if (prefixLength < 0 || prefixLength >= BITS) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " outside 0..255");
        }
        byte[] r = new byte[LENGTH];
        random.nextBytes(r);
        int fullBytes = prefixLength / 8;
        System.arraycopy(id, 0, r, 0, fullBytes);
        int bit = prefixLength % 8;
        int keepMask = (0xff00 >> bit) & 0xff; // the first `bit` bits come from this id
        int flip = 0x80 >> bit;
        int b = (id[fullBytes] & keepMask) | (r[fullBytes] & ~keepMask & 0xff);
        b = (b & ~flip) | (~id[fullBytes] & flip);
        r[fullBytes] = (byte) b;
        return new NodeId(r);
    }

    /** Lower-case hex of all 32 bytes. */
    public String toHex() {
        return Hex.encode(id);
    }

    @Override
    public int compareTo(NodeId o) {
        return Arrays.compareUnsigned(id, o.id);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeId other && hash == other.hash && Arrays.equals(id, other.id);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The short form: the first 8 bytes in hex followed by an ellipsis. */
    @Override
    public String toString() {
        return Hex.encode(Arrays.copyOf(id, 8)) + "…";
    }
}
