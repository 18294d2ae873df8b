package io.reactivecarrier.dht;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Where relays are announced in the DHT: entries of one well-known set (a sealed set used as a
 * public bulletin board) under {@link #KEY}. Each entry names a relay's node id and address. An
 * entry proves nothing by itself: a client talks to a relay only through the RPC layer, whose
 * envelope authenticates the node id, so a forged entry costs one failed registration.
 *
 * <pre>{@code
 * RelayDirectory.announce(dht, relayNode, Duration.ofMinutes(30));
 * RelayDirectory.find(dht).subscribe(relays -> ...);
 * }</pre>
 */
public final class RelayDirectory {

    /** The DHT key of the relay set: SHA-256("carrier-relays-v1"). */
    public static final NodeId KEY = NodeId.sha256("carrier-relays-v1".getBytes(StandardCharsets.US_ASCII));

    private static final byte[] MAGIC = "relay1".getBytes(StandardCharsets.US_ASCII);
    /** Entries read at most (the rest are ignored). */
    static final int MAX_RELAYS = 32;

    private RelayDirectory() {
    }

    /**
     * Announces {@code relay} (this node's id and its public address) for {@code ttl}; re-announce
     * before it expires. Emits how many DHT nodes stored the entry.
     */
    public static Mono<Integer> announce(Dht dht, NodeInfo relay, Duration ttl) {
        Objects.requireNonNull(dht, "dht");
        Objects.requireNonNull(relay, "relay");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        // the delete key is derived from the relay's id, so re-announcing replaces rather than adds
        byte[] deleteKey = Ed25519KeyPair.fromSeed(Arrays.copyOf(NodeId.sha256(MAGIC, relay.id().bytes()).bytes(), 32))
                .publicKey();
        DhtValue v = DhtValue.sealed(KEY, deleteKey, System.currentTimeMillis() + ttl.toMillis(), encode(relay));
        return dht.storeValue(v);
    }

    /** The relays announced now (deduplicated by node id, at most {@value #MAX_RELAYS}). */
    public static Mono<List<NodeInfo>> find(Dht dht) {
        return dht.sealedEntries(KEY)
                .take(MAX_RELAYS * 4L)
                .<NodeInfo>handle((v, sink) -> {
                    NodeInfo n = decode(v.data());
                    if (n != null) {
                        sink.next(n);
                    }
                })
                .collect(LinkedHashMap<NodeId, NodeInfo>::new, (m, n) -> m.putIfAbsent(n.id(), n))
                .map((Map<NodeId, NodeInfo> m) -> m.values().stream().limit(MAX_RELAYS).toList());
    }

    static byte[] encode(NodeInfo relay) {
        byte[] ip = relay.address().getAddress().getAddress();
        return ByteBuffer.allocate(MAGIC.length + 32 + 1 + ip.length + 2).put(MAGIC).put(relay.id().bytes())
                .put((byte) (relay.address().getAddress() instanceof Inet4Address ? 4 : 6)).put(ip)
                .putShort((short) relay.address().getPort()).array();
    }

    /** The relay an entry names, or null for anything else. */
    static NodeInfo decode(byte[] data) {
        if (data.length != MAGIC.length + 32 + 1 + 4 + 2 && data.length != MAGIC.length + 32 + 1 + 16 + 2) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            return null;
        }
        byte[] id = new byte[32];
        b.get(id);
        int family = b.get();
        byte[] ip = new byte[family == 4 ? 4 : 16];
        if ((family != 4 && family != 6) || b.remaining() != ip.length + 2) {
            return null;
        }
        b.get(ip);
        int port = b.getShort() & 0xffff;
        if (port == 0) {
            return null;
        }
        try {
            InetAddress a = InetAddress.getByAddress(ip);
            return new NodeInfo(NodeId.of(id), new InetSocketAddress(a, port));
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
    }
}
