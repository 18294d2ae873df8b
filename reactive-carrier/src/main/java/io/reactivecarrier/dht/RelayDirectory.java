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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RelayDirectory.class);

    /** How soon an announcement is repeated while it reached no node, or after the network grew. */
    static final Duration RETRY = Duration.ofSeconds(5);

    /**
     * Keeps {@code relay} announced: at once, again every half {@code ttl}, every {@link #RETRY}
     * while the last announcement reached no node, and soon after a node joins the routing table
     * while the last announcement reached fewer than k nodes (at least {@link #RETRY} later, and
     * twice as long after each such repeat, up to half the ttl). The DHT does not hand a stored
     * value to nodes that join later closer to its key, and a reader asks only the nodes closest
     * to the key from its view; in a small network (or where many nodes share a /24, of which a
     * lookup asks at most two) those are often nodes that joined after the announcement, and
     * without the repeat such a reader would miss the relay until the next half-ttl announcement.
     * {@code scheduler} runs the timer (the DHT's). Dispose to stop.
     */
    public static Disposable keepAnnounced(Dht dht, Supplier<NodeInfo> relay, Duration ttl, Scheduler scheduler) {
        Objects.requireNonNull(dht, "dht");
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(scheduler, "scheduler");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        return new Announcer(dht, relay, ttl, scheduler, DhtOptions.defaults().k()).start();
    }

    /** The state of {@link #keepAnnounced}; confined to the DHT's scheduler (atomics for safety). */
    private static final class Announcer {
        final Dht dht;
        final Supplier<NodeInfo> relay;
        final Duration ttl;
        final Scheduler scheduler;
        final int full;
        final long retry;
        final long half;
        final AtomicLong nextAt = new AtomicLong();
        final AtomicLong lastAt = new AtomicLong();
        final AtomicLong growthGap;
        final AtomicInteger lastStored = new AtomicInteger();
        final AtomicBoolean busy = new AtomicBoolean();
        /** A node joined while an announcement was in flight: it may not have been asked. */
        final AtomicBoolean grewInFlight = new AtomicBoolean();

        Announcer(Dht dht, Supplier<NodeInfo> relay, Duration ttl, Scheduler scheduler, int full) {
            this.dht = dht;
            this.relay = relay;
            this.ttl = ttl;
            this.scheduler = scheduler;
            this.full = full;
            this.half = Math.max(1, ttl.toMillis() / 2);
            this.retry = Math.min(RETRY.toMillis(), half);
            this.growthGap = new AtomicLong(retry);
        }

        long now() {
            return scheduler.now(TimeUnit.MILLISECONDS);
        }

        Disposable start() {
            Disposable growth = dht.events()
                    .filter(e -> e.type() == RoutingTableEvent.Type.VERIFIED)
                    .subscribe(e -> grew(), e -> { });
            Disposable timer = scheduler.schedulePeriodically(this::tick, 0, Math.max(1, retry / 5),
                    TimeUnit.MILLISECONDS);
            return Disposables.composite(timer, growth);
        }

        void tick() {
            long now = now();
            if (now < nextAt.get() || !busy.compareAndSet(false, true)) {
                return;
            }
            lastAt.set(now);
            grewInFlight.set(false);
            Mono.defer(() -> announce(dht, relay.get(), ttl)).defaultIfEmpty(0).onErrorResume(e -> {
                LOG.debug("relay announcement failed: {}", e.toString());
                return Mono.just(0);
            }).subscribe(n -> {
                LOG.debug("relay announced on {} nodes", n);
                lastStored.set(n);
                nextAt.set(now() + (n > 0 ? half : retry));
                busy.set(false);
                if (grewInFlight.get()) {
                    grew();
                }
            });
        }

        void grew() {
            if (busy.get()) {
                grewInFlight.set(true);
                return;
            }
            int stored = lastStored.get();
            if (stored == 0 || stored >= full) {
                return; // retried every few seconds anyway, or held by k nodes already
            }
            long gap = growthGap.get();
            long at = Math.max(now() + retry, lastAt.get() + gap);
            if (at < nextAt.get()) {
                nextAt.set(at);
                growthGap.set(Math.min(gap * 2, half));
            }
        }
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
