package io.reactivecarrier.dht;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A signed statement by a user: "node {@code nodeId} serves me at these endpoints", with a
 * sequence number (highest wins) and an expiry. Stored on the nodes closest to {@link #key()}.
 *
 * @param userId the user's Ed25519 public key (32 bytes)
 * @param nodeId the DHT node serving the user
 * @param endpoints at most {@link #MAX_ENDPOINTS} resolved UDP endpoints
 * @param seq sequence number, higher replaces lower
 * @param expiresAt expiry, ms on the network clock
 * @param signature Ed25519 signature by {@code userId} over {@link #signedBytes()}
 *
 * <pre>{@code
 * PeerRecord record = PeerRecord.create(identity, dht.id(), List.of(publicEndpoint), seq,
 *         System.currentTimeMillis() + Duration.ofMinutes(30).toMillis());
 * dht.announcePeer(record).subscribe(n -> log.info("announced on {} nodes", n));
 * dht.findPeer(friend.toBytes())
 *         .filter(PeerRecord::verify)
 *         .subscribe(r -> log.info("{} is at {}", friend, r.endpoints()));
 * }</pre>
 */
public record PeerRecord(byte[] userId, NodeId nodeId, List<InetSocketAddress> endpoints, long seq,
        long expiresAt, byte[] signature) {

    /** Most endpoints a record lists. */
    public static final int MAX_ENDPOINTS = 8;

    public PeerRecord {
        if (userId.length != Ed25519KeyPair.PUBLIC_KEY_LENGTH || signature.length != Ed25519KeyPair.SIGNATURE_LENGTH) {
            throw new IllegalArgumentException("bad user id or signature length");
        }
        if (endpoints.isEmpty() || endpoints.size() > MAX_ENDPOINTS) {
            throw new IllegalArgumentException("a peer record lists 1.." + MAX_ENDPOINTS + " endpoints");
        }
        if (seq < 0) {
            throw new IllegalArgumentException("seq must be >= 0");
        }
        endpoints = List.copyOf(endpoints);
        userId = userId.clone();
        signature = signature.clone();
    }

    /** A record signed by {@code user}. */
    public static PeerRecord create(Ed25519KeyPair user, NodeId nodeId, List<InetSocketAddress> endpoints,
            long seq, long expiresAt) {
        byte[] pk = user.publicKey();
        byte[] msg = signedBytes(pk, nodeId, endpoints, seq, expiresAt);
        return new PeerRecord(pk, nodeId, endpoints, seq, expiresAt, user.sign(msg));
    }

    /** The DHT key of the records of {@code userId}: SHA-256("carrier-peer-v1" || userId). */
    public static NodeId keyOf(byte[] userId) {
        return NodeId.sha256("carrier-peer-v1".getBytes(StandardCharsets.US_ASCII), userId);
    }

    /** The DHT key this record is stored under. */
    public NodeId key() {
        return keyOf(userId);
    }

    /** Whether the user's signature is valid. */
    public boolean verify() {
        return Ed25519KeyPair.verify(userId, signedBytes(), signature);
    }

    /** The bytes the user signs. */
    public byte[] signedBytes() {
        return signedBytes(userId, nodeId, endpoints, seq, expiresAt);
    }

    private static byte[] signedBytes(byte[] userId, NodeId nodeId, List<InetSocketAddress> endpoints, long seq,
            long expiresAt) {
        byte[] d = "carrier-peer-record-v1".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(d.length + 64 + 1 + endpoints.size() * 19 + 16);
        b.put(d).put(userId).put(nodeId.raw()).put((byte) endpoints.size());
        for (InetSocketAddress a : endpoints) {
            byte[] ip = a.getAddress().getAddress();
            b.put((byte) (a.getAddress() instanceof Inet4Address ? 4 : 6)).put(ip).putShort((short) a.getPort());
        }
        b.putLong(seq).putLong(expiresAt);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }
}
