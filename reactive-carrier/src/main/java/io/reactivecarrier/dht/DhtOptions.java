package io.reactivecarrier.dht;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Immutable DHT settings; every setter returns a modified copy (copy on write).
 *
 * <p>Defaults: {@code k = 20}, {@code alpha = 3} (Kademlia's, kept after simulating 10000 nodes
 * at 100 ms rtt and 1% loss: alpha 5 cost 60% more RPCs for no latency gain; numbers in
 * docs/dht.md), per-RPC soft timeout 250 ms
 * (after which a lookup stops waiting for the node but still accepts a late answer) and hard
 * timeout 2 s, bucket refresh after 15 min, at most 2 nodes per /24 or /64 per bucket and 10 per
 * prefix in the table, 64 MiB of stored values, 4096 entries per source address (a week of
 * offline messages from one busy sender fits), 8 days maximum
 * value lifetime.
 *
 * <pre>{@code
 * DhtOptions options = DhtOptions.defaults()
 *         .bootstrap(List.of(new NodeInfo(NodeId.fromHex(bootstrapHex), bootstrapAddress)))
 *         .rpcTimeout(Duration.ofSeconds(3))
 *         .storage(16L << 20, 1024, Duration.ofDays(2))
 *         .meterRegistry(registry);
 * DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(3)), options);
 * }</pre>
 */
public final class DhtOptions {

    private static final DhtOptions DEFAULTS = new DhtOptions();

    int k = 20;
    int alpha = 3;
    Duration rpcSoftTimeout = Duration.ofMillis(250);
    Duration rpcTimeout = Duration.ofSeconds(2);
    Duration bucketRefresh = Duration.ofMinutes(15);
    Duration refreshCheck = Duration.ofMinutes(1);
    Duration tokenRotation = Duration.ofMinutes(5);
    int perBucketPrefix = 2;
    int perTablePrefix = 10;
    long maxStoredBytes = 64L << 20;
    int maxEntriesPerSource = 4096;
    Duration maxValueTtl = Duration.ofDays(8);
    List<NodeInfo> bootstrap = List.of();
    List<NodeInfo> snapshot = List.of();
    ValueStorePersistence persistence = ValueStorePersistence.none();
    MeterRegistry meterRegistry;

    private DhtOptions() {
    }

    private DhtOptions copy() {
        DhtOptions o = new DhtOptions();
        o.k = k;
        o.alpha = alpha;
        o.rpcSoftTimeout = rpcSoftTimeout;
        o.rpcTimeout = rpcTimeout;
        o.bucketRefresh = bucketRefresh;
        o.refreshCheck = refreshCheck;
        o.tokenRotation = tokenRotation;
        o.perBucketPrefix = perBucketPrefix;
        o.perTablePrefix = perTablePrefix;
        o.maxStoredBytes = maxStoredBytes;
        o.maxEntriesPerSource = maxEntriesPerSource;
        o.maxValueTtl = maxValueTtl;
        o.bootstrap = bootstrap;
        o.snapshot = snapshot;
        o.persistence = persistence;
        o.meterRegistry = meterRegistry;
        return o;
    }

    /** The default options. */
    public static DhtOptions defaults() {
        return DEFAULTS;
    }

    /** Bucket size and replication factor. */
    public DhtOptions k(int k) {
        if (k < 1 || k > DhtCodec.MAX_NODES) {
            throw new IllegalArgumentException("k in 1.." + DhtCodec.MAX_NODES);
        }
        DhtOptions o = copy();
        o.k = k;
        return o;
    }

    /** Lookup parallelism. */
    public DhtOptions alpha(int alpha) {
        if (alpha < 1) {
            throw new IllegalArgumentException("alpha >= 1");
        }
        DhtOptions o = copy();
        o.alpha = alpha;
        return o;
    }

    /** After this, a lookup no longer waits for an RPC (a late answer is still used). */
    public DhtOptions rpcSoftTimeout(Duration d) {
        DhtOptions o = copy();
        o.rpcSoftTimeout = Objects.requireNonNull(d);
        return o;
    }

    /** After this, an RPC has failed (the node's failure count grows). */
    public DhtOptions rpcTimeout(Duration d) {
        DhtOptions o = copy();
        o.rpcTimeout = Objects.requireNonNull(d);
        return o;
    }

    /** A bucket untouched this long is refreshed by a lookup of a random id in it. */
    public DhtOptions bucketRefresh(Duration d) {
        DhtOptions o = copy();
        o.bucketRefresh = Objects.requireNonNull(d);
        return o;
    }

    /** IP-diversity limits: nodes per /24 (IPv4) or /64 (IPv6) per bucket and in the table. */
    public DhtOptions prefixLimits(int perBucket, int perTable) {
        DhtOptions o = copy();
        o.perBucketPrefix = perBucket;
        o.perTablePrefix = perTable;
        return o;
    }

    /** Bounds of the values held for others. */
    public DhtOptions storage(long maxBytes, int maxEntriesPerSource, Duration maxValueTtl) {
        DhtOptions o = copy();
        o.maxStoredBytes = maxBytes;
        o.maxEntriesPerSource = maxEntriesPerSource;
        o.maxValueTtl = Objects.requireNonNull(maxValueTtl);
        return o;
    }

    /** Nodes to contact on start. */
    public DhtOptions bootstrap(List<NodeInfo> nodes) {
        DhtOptions o = copy();
        o.bootstrap = List.copyOf(nodes);
        return o;
    }

    /** A saved routing-table snapshot ({@link DhtNode#snapshot()}): pinged first on start. */
    public DhtOptions snapshot(List<NodeInfo> nodes) {
        DhtOptions o = copy();
        o.snapshot = List.copyOf(nodes);
        return o;
    }

    /** Where held values survive a restart. */
    public DhtOptions persistence(ValueStorePersistence p) {
        DhtOptions o = copy();
        o.persistence = Objects.requireNonNull(p);
        return o;
    }

    /** Where the carrier.dht.* metrics go (default: a private SimpleMeterRegistry). */
    public DhtOptions meterRegistry(MeterRegistry registry) {
        DhtOptions o = copy();
        o.meterRegistry = Objects.requireNonNull(registry);
        return o;
    }

    public int k() {
        return k;
    }

    public int alpha() {
        return alpha;
    }
}
