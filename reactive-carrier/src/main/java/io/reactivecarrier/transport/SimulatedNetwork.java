package io.reactivecarrier.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivecarrier.wire.Limits;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Scheduler;

/**
 * An in-memory datagram network for many nodes in one JVM, driven by one Reactor
 * {@link Scheduler} — normally a {@code VirtualTimeScheduler}, so that seconds of network time run
 * in milliseconds and every run is reproducible.
 *
 * <h2>Determinism</h2>
 * All randomness comes from one {@link SplittableRandom} seeded at {@link #create}. Datagrams in
 * flight wait in one priority queue ordered by (delivery time, send sequence) and are delivered
 * by a single drain task per time slot (see {@link #timeSlot}), so the same seed and the same
 * calls give the same deliveries in the same order. {@link #traceHash()} summarises them.
 *
 * <h2>Threading</h2>
 * The network and all its nodes are confined to the scheduler's thread (with a
 * {@code VirtualTimeScheduler}: the thread that advances time). Every node's {@link
 * SimulatedTransport#scheduler()} is the network's scheduler.
 *
 * <h2>Buffers</h2>
 * {@link SimulatedTransport#send} takes ownership of the buffer, which travels as it is and is
 * released after delivery; a duplicate is a retained duplicate and corruption flips a bit of a copy.
 *
 * <h2>Faults</h2>
 * A default {@link LinkProfile} and per-link profiles; {@link #partition}/{@link #heal};
 * {@link #blackhole}; {@link #kill}/{@link #restart} for churn. NAT is not simulated.
 *
 * <pre>{@code
 * VirtualTimeScheduler time = VirtualTimeScheduler.create();
 * SimulatedNetwork network = SimulatedNetwork.create(time, 42L)
 *         .defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(20)));
 * SimulatedTransport a = network.addNode();
 * SimulatedTransport b = network.addNode();
 * network.partition(a.localAddress(), b.localAddress());
 * time.advanceTimeBy(Duration.ofSeconds(10));
 * long lost = network.stats().droppedTotal();
 * }</pre>
 */
public final class SimulatedNetwork {

    /** Why the simulator dropped a datagram. */
    public enum DropReason {
        LOSS, PARTITION, BLACKHOLE, DEAD, NO_NODE, OVERSIZED, CLOSED, HANDLER_ERROR
    }

    /** A snapshot of the network's counters. */
    public record Stats(long sent, long delivered, long duplicated, long corrupted, long reordered,
            Map<DropReason, Long> dropped) {

        /** All dropped datagrams. */
        public long droppedTotal() {
            return dropped.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final Scheduler scheduler;
    private final SplittableRandom random;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final Map<InetSocketAddress, SimulatedTransport> nodes = new HashMap<>();
    private final Map<Link, LinkProfile> links = new HashMap<>();
    private final Set<Link> partitions = new HashSet<>();
    private final Map<InetSocketAddress, Long> blackholes = new HashMap<>();
    private final PriorityQueue<Delivery> queue = new PriorityQueue<>(1024, SimulatedNetwork::compare);
    private final ArrayDeque<Delivery> pool = new ArrayDeque<>();
    private final Runnable drainTask = this::drain;
    private final long[] dropped = new long[DropReason.values().length];

    private LinkProfile defaultProfile = LinkProfile.perfect();
    private int maxDatagramSize = Limits.MAX_DATAGRAM;
    private long slotNanos = 100_000;
    private long sequence;
    /** Drain tasks scheduled (benchmarks). */
    long wakeups;
    private long wakeAt = Long.MAX_VALUE;
    private boolean draining;
    private int nextAuto = 1;
    private long sent;
    private long delivered;
    private long duplicated;
    private long corrupted;
    private long reordered;
    private long trace = 0xcbf29ce484222325L;

    private SimulatedNetwork(Scheduler scheduler, long seed) {
        this.scheduler = scheduler;
        this.random = new SplittableRandom(seed);
    }

    /** A network driven by {@code scheduler} whose randomness comes from {@code seed}. */
    public static SimulatedNetwork create(Scheduler scheduler, long seed) {
        return new SimulatedNetwork(Objects.requireNonNull(scheduler, "scheduler"), seed);
    }

    /** The scheduler of the network and of all its nodes. */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** The profile of every link that has none of its own ({@link LinkProfile#perfect()} at first). */
    public SimulatedNetwork defaultProfile(LinkProfile profile) {
        this.defaultProfile = Objects.requireNonNull(profile, "profile");
        return this;
    }

    /** The profile of the link between {@code a} and {@code b}, both directions. */
    public SimulatedNetwork link(InetSocketAddress a, InetSocketAddress b, LinkProfile profile) {
        Objects.requireNonNull(profile, "profile");
        links.put(new Link(a, b), profile);
        links.put(new Link(b, a), profile);
        return this;
    }

    /** The largest datagram delivered; larger ones are dropped ({@link Limits#MAX_DATAGRAM} at first). */
    public SimulatedNetwork maxDatagramSize(int bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("maxDatagramSize must be positive: " + bytes);
        }
        this.maxDatagramSize = bytes;
        return this;
    }

    /**
     * The delivery granularity (100 µs at first): delivery times are rounded up to a slot, and one
     * scheduled task delivers a whole slot in (time, sequence) order.
     */
    public SimulatedNetwork timeSlot(Duration slot) {
        if (slot.isNegative() || slot.isZero()) {
            throw new IllegalArgumentException("the time slot must be positive: " + slot);
        }
        this.slotNanos = slot.toNanos();
        return this;
    }

    /** A node bound to {@code address}; fails if a live node already holds it. */
    public SimulatedTransport node(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("a simulated address must be resolved: " + address);
        }
        if (nodes.containsKey(address)) {
            throw new IllegalStateException("address in use: " + address);
        }
        SimulatedTransport node = new SimulatedTransport(this, address, nodes.size());
        nodes.put(address, node);
        return node;
    }

    /** A node at the next free address of 10.0.0.0/8, port 33445. */
    public SimulatedTransport addNode() {
        while (true) {
            int n = nextAuto++;
            byte[] ip = {10, (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
            InetSocketAddress address = new InetSocketAddress(ip(ip), 33445);
            if (!nodes.containsKey(address)) {
                return node(address);
            }
        }
    }

    /**
     * A node on {@code ip} at the first free port from 33445: lets a test put many nodes behind a
     * few addresses or prefixes (the per-IP and per-prefix limits of the DHT).
     */
    public SimulatedTransport addNode(InetAddress ip) {
        for (int port = 33445; port <= 65535; port++) {
            InetSocketAddress address = new InetSocketAddress(ip, port);
            if (!nodes.containsKey(address)) {
                return node(address);
            }
        }
        throw new IllegalStateException("no free port left on " + ip);
    }

    /** The live node at {@code address}, or null. */
    public SimulatedTransport nodeAt(InetSocketAddress address) {
        return nodes.get(address);
    }

    /** How many nodes hold an address. */
    public int nodeCount() {
        return nodes.size();
    }

    /** Drops every datagram between {@code a} and {@code b} (both directions) until {@link #heal}. */
    public void partition(InetSocketAddress a, InetSocketAddress b) {
        partitions.add(new Link(a, b));
        partitions.add(new Link(b, a));
    }

    /** Ends a {@link #partition}. */
    public void heal(InetSocketAddress a, InetSocketAddress b) {
        partitions.remove(new Link(a, b));
        partitions.remove(new Link(b, a));
    }

    /** Ends every partition. */
    public void healAll() {
        partitions.clear();
    }

    /** Drops every datagram to or from {@code address} for {@code duration} from now. */
    public void blackhole(InetSocketAddress address, Duration duration) {
        blackholes.put(address, now() + duration.toNanos());
    }

    /** The node at {@code address} stops: what it sends and what is sent to it vanishes. */
    public void kill(InetSocketAddress address) {
        SimulatedTransport node = nodes.get(address);
        if (node != null) {
            node.alive = false;
        }
    }

    /** A {@linkplain #kill killed} node runs again, with the same handler. */
    public void restart(InetSocketAddress address) {
        SimulatedTransport node = nodes.get(address);
        if (node != null) {
            node.alive = true;
        }
    }

    /**
     * Stops the network: releases every datagram in flight and closes every node. Call it at the
     * end of a simulation so no buffer outlives it.
     */
    public void shutdown() {
        Delivery d;
        while ((d = queue.poll()) != null) {
            d.data.release();
            d.data = null;
        }
        for (SimulatedTransport node : new java.util.ArrayList<>(nodes.values())) {
            node.closed = true;
            node.alive = false;
        }
        nodes.clear();
    }

    /** Datagrams sent and not yet delivered or dropped. */
    public int inFlight() {
        return queue.size();
    }

    /** The counters so far. */
    public Stats stats() {
        Map<DropReason, Long> d = new LinkedHashMap<>();
        for (DropReason r : DropReason.values()) {
            d.put(r, dropped[r.ordinal()]);
        }
        return new Stats(sent, delivered, duplicated, corrupted, reordered, Map.copyOf(d));
    }

    /**
     * A hash of every delivery and drop so far (time, addresses, size, first byte): equal for
     * two runs with the same seed and the same calls.
     */
    public long traceHash() {
        return trace;
    }

    // ---------------------------------------------------------------- internals

    long now() {
        return scheduler.now(TimeUnit.NANOSECONDS);
    }

    ByteBufAllocator alloc() {
        return alloc;
    }

    void closed(SimulatedTransport node) {
        nodes.remove(node.localAddress(), node);
    }

    void send(SimulatedTransport from, InetSocketAddress to, ByteBuf data) {
        int size = data.readableBytes();
        sent++;
        if (from.closed) {
            drop(DropReason.CLOSED, from.address, to, data);
            return;
        }
        if (!from.alive) {
            drop(DropReason.DEAD, from.address, to, data);
            return;
        }
        if (size > maxDatagramSize) {
            drop(DropReason.OVERSIZED, from.address, to, data);
            return;
        }
        long now = now();
        if (!blackholes.isEmpty() && (blackholed(from.address, now) || blackholed(to, now))) {
            drop(DropReason.BLACKHOLE, from.address, to, data);
            return;
        }
        if (!partitions.isEmpty() && partitions.contains(new Link(from.address, to))) {
            drop(DropReason.PARTITION, from.address, to, data);
            return;
        }
        LinkProfile p = links.isEmpty() ? defaultProfile : links.getOrDefault(new Link(from.address, to), defaultProfile);
        if (p.loss > 0 && random.nextDouble() < p.loss) {
            drop(DropReason.LOSS, from.address, to, data);
            return;
        }
        long depart = now;
        if (p.bandwidthBytesPerSecond > 0) {
            depart = Math.max(now, from.txFreeAt) + size * 1_000_000_000L / p.bandwidthBytesPerSecond;
            from.txFreeAt = depart;
        }
        long at = depart + delay(p);
        if (p.corrupt > 0 && random.nextDouble() < p.corrupt && size > 0) {
            ByteBuf copy = alloc.buffer(size).writeBytes(data, data.readerIndex(), size);
            data.release();
            int bit = random.nextInt(size * 8);
            copy.setByte(bit >>> 3, copy.getByte(bit >>> 3) ^ (1 << (bit & 7)));
            data = copy;
            corrupted++;
        }
        if (p.duplicate > 0 && random.nextDouble() < p.duplicate) {
            duplicated++;
            enqueue(at, from.address, to, data.retainedDuplicate());
            at = depart + delay(p);
        }
        enqueue(at, from.address, to, data);
    }

    private long delay(LinkProfile p) {
        long d = p.latencyNanos;
        if (p.jitterNanos > 0) {
            d += random.nextLong(p.jitterNanos);
        }
        if (p.reorder > 0 && random.nextDouble() < p.reorder) {
            d += p.reorderDelayNanos;
            reordered++;
        }
        return d;
    }

    private boolean blackholed(InetSocketAddress address, long now) {
        Long until = blackholes.get(address);
        if (until == null) {
            return false;
        }
        if (until <= now) {
            blackholes.remove(address);
            return false;
        }
        return true;
    }

    private void enqueue(long at, InetSocketAddress from, InetSocketAddress to, ByteBuf data) {
        Delivery d = pool.pollFirst();
        if (d == null) {
            d = new Delivery();
        }
        d.at = at;
        d.seq = sequence++;
        d.from = from;
        d.to = to;
        d.data = data;
        queue.add(d);
        long slot = slot(at);
        if (slot < wakeAt) {
            wakeAt = slot;
            wakeups++;
            scheduler.schedule(drainTask, Math.max(0, slot - now()), TimeUnit.NANOSECONDS);
        }
    }

    private long slot(long at) {
        long r = at % slotNanos;
        return r == 0 ? at : at - r + slotNanos;
    }

    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            long now = now();
            if (wakeAt <= now) {
                wakeAt = Long.MAX_VALUE;
            }
            Delivery d;
            while ((d = queue.peek()) != null && slot(d.at) <= now) {
                queue.poll();
                InetSocketAddress from = d.from;
                InetSocketAddress to = d.to;
                ByteBuf data = d.data;
                d.from = null;
                d.to = null;
                d.data = null;
                pool.addLast(d);
                deliver(now, from, to, data);
            }
            if (d != null) {
                long slot = slot(d.at);
                if (slot < wakeAt) {
                    wakeAt = slot;
                    wakeups++;
                    scheduler.schedule(drainTask, Math.max(0, slot - now), TimeUnit.NANOSECONDS);
                }
            }
        } finally {
            draining = false;
        }
    }

    private void deliver(long now, InetSocketAddress from, InetSocketAddress to, ByteBuf data) {
        SimulatedTransport node = nodes.get(to);
        if (node == null) {
            drop(DropReason.NO_NODE, from, to, data);
            return;
        }
        if (!node.alive) {
            drop(DropReason.DEAD, from, to, data);
            return;
        }
        if (!blackholes.isEmpty() && blackholed(to, now)) {
            drop(DropReason.BLACKHOLE, from, to, data);
            return;
        }
        DatagramHandler handler = node.handler;
        if (handler == null) {
            drop(DropReason.NO_NODE, from, to, data);
            return;
        }
        delivered++;
        trace(now, from, to, data, -1);
        try {
            handler.onDatagram(from, data);
        } catch (RuntimeException e) {
            dropped[DropReason.HANDLER_ERROR.ordinal()]++;
        } finally {
            data.release();
        }
    }

    private void drop(DropReason reason, InetSocketAddress from, InetSocketAddress to, ByteBuf data) {
        dropped[reason.ordinal()]++;
        trace(now(), from, to, data, reason.ordinal());
        data.release();
    }

    private void trace(long now, InetSocketAddress from, InetSocketAddress to, ByteBuf data, int event) {
        long h = trace;
        h = mix(h, now);
        h = mix(h, from.hashCode());
        h = mix(h, to.hashCode());
        h = mix(h, data.readableBytes());
        h = mix(h, data.isReadable() ? data.getByte(data.readerIndex()) : -2);
        h = mix(h, event);
        trace = h;
    }

    private static long mix(long h, long v) {
        h ^= v;
        h *= 0x100000001b3L;
        return h ^ (h >>> 29);
    }

    private static int compare(Delivery a, Delivery b) {
        int c = Long.compare(a.at, b.at);
        return c != 0 ? c : Long.compare(a.seq, b.seq);
    }

    private static InetAddress ip(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A directed link. */
    private record Link(InetSocketAddress from, InetSocketAddress to) {
    }

    /** A datagram in flight; instances are pooled. */
    private static final class Delivery {
        long at;
        long seq;
        InetSocketAddress from;
        InetSocketAddress to;
        ByteBuf data;
    }
}
