package io.reactivecarrier.dht;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Kademlia k-buckets over 256-bit ids.
 *
 * <p>A fixed array of 256 buckets indexed by the common prefix length with our own id. This
 * holds exactly the nodes a split-on-own-bucket tree would hold (only the bucket containing our
 * id ever splits, so bucket {@code i} of the tree is "ids sharing exactly i bits with us"), with
 * an O(1) bucket index and no split bookkeeping; deep buckets are simply empty.
 *
 * <p>Rules: a node enters as unverified and is returned by {@link #closest} only once it has
 * answered one of our RPCs. A full bucket keeps newcomers in a bounded replacement cache; its
 * least recently seen node is pinged by the owner and replaced on failure. At most
 * {@code perBucketPrefix} nodes per /24 (IPv4) or /64 (IPv6) in a bucket and
 * {@code perTablePrefix} in the whole table (loopback addresses are exempt, for local tests).
 *
 * <p>Not thread-safe: confined to the node's scheduler.
 */
final class RoutingTable {

    /** What {@link #offer} did. */
    enum Offer { SELF, UPDATED, ADDED, REPLACEMENT, REJECTED_PREFIX }

    static final class Entry {
        NodeInfo node;
        boolean verified;
        long lastSeen;
        int failures;

        /** The node's /24 or /64, or null when exempt (loopback). */
        Prefix prefix;

        Entry(NodeInfo node, boolean verified, long now) {
            this.node = node;
            this.prefix = prefixOrNull(node);
            this.verified = verified;
            this.lastSeen = now;
        }

        NodeId id() {
            return node.id();
        }
    }

    static final class Bucket {
        /** Live entries, least recently seen first. */
        final ArrayList<Entry> live = new ArrayList<>();
        /** Replacement cache, oldest first. */
        final ArrayList<Entry> replacements = new ArrayList<>();
        long lastTouched;
    }

    record Prefix(int family, long bits) {
        // explicit: the generated record methods showed up in lookup profiles
        @Override
        public int hashCode() {
            return (int) (bits ^ (bits >>> 32)) * 31 + family;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Prefix p && p.bits == bits && p.family == family;
        }
    }

    private final NodeId self;
    private final int k;
    private final int perBucketPrefix;
    private final int perTablePrefix;
    private final int maxFailures;
    private final Bucket[] buckets = new Bucket[NodeId.BITS];
    private final Map<NodeId, Entry> live = new HashMap<>();
    private final Map<Prefix, Integer> prefixCounts = new HashMap<>();
    private final Sinks.Many<RoutingTableEvent> events =
            Sinks.many().multicast().directBestEffort();
    private int verifiedCount;

    RoutingTable(NodeId self, int k, int perBucketPrefix, int perTablePrefix, long now) {
        this.self = self;
        this.k = k;
        this.perBucketPrefix = perBucketPrefix;
        this.perTablePrefix = perTablePrefix;
        this.maxFailures = 2;
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new Bucket();
            buckets[i].lastTouched = now;
        }
    }

    NodeId self() {
        return self;
    }

    int k() {
        return k;
    }

    Flux<RoutingTableEvent> events() {
        return events.asFlux();
    }

    int size() {
        return live.size();
    }

    int verifiedSize() {
        return verifiedCount;
    }

    int bucketIndex(NodeId id) {
        return Math.min(self.commonPrefixLength(id), NodeId.BITS - 1);
    }

    Bucket bucket(int index) {
        return buckets[index];
    }

    Entry get(NodeId id) {
        return live.get(id);
    }

    boolean contains(NodeId id) {
        return live.containsKey(id);
    }

    boolean isVerified(NodeId id) {
        Entry e = live.get(id);
        return e != null && e.verified;
    }

    static Prefix prefixOf(InetAddress address) {
        byte[] a = address.getAddress();
        if (address instanceof Inet4Address) {
            return new Prefix(4, ((a[0] & 0xffL) << 16) | ((a[1] & 0xffL) << 8) | (a[2] & 0xffL));
        }
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (a[i] & 0xffL);
        }
        return new Prefix(6, bits);
    }

    private static boolean exempt(InetAddress a) {
        return a.isLoopbackAddress();
    }

    static Prefix prefixOrNull(NodeInfo node) {
        InetAddress a = node.address().getAddress();
        return exempt(a) ? null : prefixOf(a);
    }

    private boolean prefixAllowed(Bucket b, NodeInfo node, Entry ignoring) {
        Prefix p = prefixOrNull(node);
        if (p == null) {
            return true;
        }
        if (prefixCounts.getOrDefault(p, 0) >= perTablePrefix) {
            return false;
        }
        int inBucket = 0;
        for (Entry e : b.live) {
            if (e != ignoring && p.equals(e.prefix)) {
                inBucket++;
            }
        }
        return inBucket < perBucketPrefix;
    }

    private void countPrefix(Entry e, int delta) {
        if (e.prefix != null) {
            prefixCounts.merge(e.prefix, delta, (x, y) -> x + y == 0 ? null : x + y);
        }
    }

    /**
     * Records that we heard from {@code node}: {@code responded} when it answered an RPC of ours
     * (which verifies it), otherwise it only sent us a request or was named by another node.
     */
    Offer offer(NodeInfo node, boolean responded, long now) {
        NodeId id = node.id();
        if (id.equals(self)) {
            return Offer.SELF;
        }
        Bucket b = buckets[bucketIndex(id)];
        Entry e = live.get(id);
        if (e != null) {
            if (responded) {
                if (!e.node.address().equals(node.address())) {
                    // the RPC layer authenticated the id: the node moved
                    countPrefix(e, -1);
                    e.node = node;
                    e.prefix = prefixOrNull(node);
                    countPrefix(e, +1);
                }
                e.failures = 0;
                e.lastSeen = now;
                b.lastTouched = now;
                b.live.remove(e);
                b.live.add(e);
                if (!e.verified) {
                    e.verified = true;
                    verifiedCount++;
                    events.tryEmitNext(new RoutingTableEvent(RoutingTableEvent.Type.VERIFIED, e.node));
                }
            }
            return Offer.UPDATED;
        }
        if (!prefixAllowed(b, node, null)) {
            return Offer.REJECTED_PREFIX;
        }
        if (b.live.size() < k) {
            insert(b, new Entry(node, responded, now));
            return Offer.ADDED;
        }
        if (responded) {
            // a verified newcomer displaces the oldest never-verified entry
            for (Entry old : b.live) {
                if (!old.verified) {
                    removeLive(b, old);
                    insert(b, new Entry(node, true, now));
                    return Offer.ADDED;
                }
            }
        }
        addReplacement(b, node, responded, now);
        return Offer.REPLACEMENT;
    }

    private void addReplacement(Bucket b, NodeInfo node, boolean responded, long now) {
        for (Iterator<Entry> it = b.replacements.iterator(); it.hasNext();) {
            Entry r = it.next();
            if (r.id().equals(node.id())) {
                it.remove();
                responded |= r.verified;
                break;
            }
        }
        b.replacements.add(new Entry(node, responded, now));
        if (b.replacements.size() > k) {
            b.replacements.remove(0);
        }
    }

    private void insert(Bucket b, Entry e) {
        b.live.add(e);
        live.put(e.id(), e);
        countPrefix(e, +1);
        if (e.verified) {
            verifiedCount++;
            b.lastTouched = e.lastSeen;
        }
        events.tryEmitNext(new RoutingTableEvent(RoutingTableEvent.Type.ADDED, e.node));
        if (e.verified) {
            events.tryEmitNext(new RoutingTableEvent(RoutingTableEvent.Type.VERIFIED, e.node));
        }
    }

    private void removeLive(Bucket b, Entry e) {
        b.live.remove(e);
        live.remove(e.id());
        countPrefix(e, -1);
        if (e.verified) {
            verifiedCount--;
        }
        events.tryEmitNext(new RoutingTableEvent(RoutingTableEvent.Type.REMOVED, e.node));
    }

    /**
     * The least recently seen live node of the bucket {@code id} falls into, when that bucket is
     * full: the node to ping before a newcomer can take its place.
     */
    NodeInfo evictionCandidate(NodeId id) {
        Bucket b = buckets[bucketIndex(id)];
        return b.live.size() >= k ? b.live.get(0).node : null;
    }

    /**
     * An RPC to {@code id} went unanswered. An unverified node is dropped at once, a verified one
     * when a replacement is waiting or after {@code maxFailures} failures in a row; the freed slot
     * goes to the best replacement (verified first, then most recently seen).
     */
    void failed(NodeId id) {
        Bucket b = buckets[bucketIndex(id)];
        Entry e = live.get(id);
        if (e == null) {
            b.replacements.removeIf(r -> r.id().equals(id));
            return;
        }
        e.failures++;
        if (!e.verified || e.failures >= maxFailures || !b.replacements.isEmpty()) {
            removeLive(b, e);
            promote(b);
        }
    }

    /** Removes a node (for example one that sent a bad packet). */
    void remove(NodeId id) {
        Entry e = live.get(id);
        if (e != null) {
            Bucket b = buckets[bucketIndex(id)];
            removeLive(b, e);
            promote(b);
        }
    }

    private void promote(Bucket b) {
        while (b.live.size() < k && !b.replacements.isEmpty()) {
            Entry best = null;
            for (Entry r : b.replacements) {
                if (best == null || (r.verified && !best.verified)
                        || (r.verified == best.verified && r.lastSeen >= best.lastSeen)) {
                    best = r;
                }
            }
            b.replacements.remove(best);
            if (prefixAllowed(b, best.node, null)) {
                insert(b, best);
                return;
            }
        }
    }

    /** The {@code n} verified nodes closest to {@code target}: the only nodes we hand to others. */
    List<NodeInfo> closest(NodeId target, int n) {
        return closest(target, n, true);
    }

    /** The {@code n} closest live nodes, verified or not: the seeds of our own lookups. */
    List<NodeInfo> closestForLookup(NodeId target, int n) {
        return closest(target, n, false);
    }

    /**
     * Walks the buckets in distance order instead of sorting the whole table. With {@code d} the
     * common prefix length of our id and the target: nodes of bucket {@code d} share more than
     * {@code d} bits with the target (closest), nodes of every deeper bucket share exactly
     * {@code d}, and nodes of bucket {@code i < d} share exactly {@code i}. So the order is bucket
     * {@code d}, then the deeper buckets together, then {@code d-1} down to 0, each group sorted.
     */
    private List<NodeInfo> closest(NodeId target, int n, boolean verifiedOnly) {
        ArrayList<NodeInfo> out = new ArrayList<>(Math.min(n, live.size()));
        if (n <= 0) {
            return out;
        }
        Comparator<NodeId> cmp = target.byDistance();
        ArrayList<NodeInfo> group = new ArrayList<>(live.size());
        int d = bucketIndex(target);
        collect(buckets[d], verifiedOnly, group);
        if (!takeSorted(group, cmp, out, n)) {
            return out;
        }
        for (int i = d + 1; i < NodeId.BITS; i++) {
            if (!buckets[i].live.isEmpty()) {
                collect(buckets[i], verifiedOnly, group);
            }
        }
        if (!takeSorted(group, cmp, out, n)) {
            return out;
        }
        for (int i = d - 1; i >= 0; i--) {
            collect(buckets[i], verifiedOnly, group);
            if (!takeSorted(group, cmp, out, n)) {
                return out;
            }
        }
        return out;
    }

    private static void collect(Bucket b, boolean verifiedOnly, List<NodeInfo> into) {
        ArrayList<Entry> l = b.live;
        for (int i = 0, n = l.size(); i < n; i++) {
            Entry e = l.get(i);
            if (!verifiedOnly || e.verified) {
                into.add(e.node);
            }
        }
    }

    /** Appends {@code group} in distance order to {@code out} up to {@code n}; false once full. */
    private static boolean takeSorted(ArrayList<NodeInfo> group, Comparator<NodeId> cmp, List<NodeInfo> out, int n) {
        if (!group.isEmpty()) {
            group.sort((x, y) -> cmp.compare(x.id(), y.id()));
            for (int i = 0; i < group.size() && out.size() < n; i++) {
                out.add(group.get(i));
            }
            group.clear();
        }
        return out.size() < n;
    }

    /** Every verified node: the routing-table snapshot a restarted node pings first. */
    List<NodeInfo> verifiedNodes() {
        ArrayList<NodeInfo> out = new ArrayList<>();
        for (Entry e : live.values()) {
            if (e.verified) {
                out.add(e.node);
            }
        }
        return out;
    }

    /** Marks the bucket of {@code target} as refreshed (a lookup went there). */
    void touch(NodeId target, long now) {
        buckets[bucketIndex(target)].lastTouched = now;
    }

    /**
     * Indices of the buckets untouched for {@code interval} ms, from bucket 0 to one past the
     * deepest non-empty bucket (deeper buckets are empty in any network of realistic size).
     */
    List<Integer> bucketsToRefresh(long now, long interval) {
        int deepest = -1;
        for (int i = NodeId.BITS - 1; i >= 0; i--) {
            if (!buckets[i].live.isEmpty()) {
                deepest = i;
                break;
            }
        }
        ArrayList<Integer> out = new ArrayList<>();
        for (int i = 0; i <= Math.min(deepest + 1, NodeId.BITS - 1); i++) {
            if (now - buckets[i].lastTouched >= interval) {
                out.add(i);
            }
        }
        return out;
    }

    void close() {
        events.tryEmitComplete();
    }
}
