package io.reactivecarrier.dht;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Settles on this node's external address and NAT type from what distinct nodes report in their
 * PONGs. Keeps the latest report of at most {@link #MAX_OBSERVERS} nodes, each for
 * {@link #OBSERVATION_TTL_MS}; a newer report from the same node replaces its older one, so a
 * changed mapping shows up as soon as a quorum of nodes sees the new address.
 *
 * <p>Rules: the external address is the address reported by the most nodes, when at least
 * {@link #QUORUM} distinct nodes report it. The type is {@code SYMMETRIC} when at least two nodes
 * report the same IP with different ports and no address has a quorum, {@code CONE} when an
 * address has a quorum, {@code UNKNOWN} otherwise. Not thread-safe: confined to the DHT's scheduler.
 */
final class NatDetector {

    static final int QUORUM = 2;
    static final int MAX_OBSERVERS = 16;
    static final long OBSERVATION_TTL_MS = 10 * 60_000;

    private record Observation(InetSocketAddress address, long at) {
    }

    private final LinkedHashMap<NodeId, Observation> byObserver = new LinkedHashMap<>();
    private volatile NatInfo info = NatInfo.UNKNOWN;

    /** Records that {@code observer} saw this node at {@code address}; returns true when the info changed. */
    boolean observe(NodeId observer, InetSocketAddress address, long now) {
        Objects.requireNonNull(observer, "observer");
        Objects.requireNonNull(address, "address");
        byObserver.remove(observer);
        byObserver.put(observer, new Observation(address, now));
        while (byObserver.size() > MAX_OBSERVERS) {
            Iterator<NodeId> oldest = byObserver.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        NatInfo next = compute(now);
        boolean changed = !next.equals(info);
        info = next;
        return changed;
    }

    NatInfo info() {
        return info;
    }

    private NatInfo compute(long now) {
        byObserver.values().removeIf(o -> now - o.at >= OBSERVATION_TTL_MS);
        Map<InetSocketAddress, Integer> votes = new HashMap<>();
        Map<InetAddress, Integer> ipVotes = new HashMap<>();
        for (Observation o : byObserver.values()) {
            votes.merge(o.address, 1, Integer::sum);
            ipVotes.merge(o.address.getAddress(), 1, Integer::sum);
        }
        InetSocketAddress best = null;
        int bestVotes = 0;
        for (Map.Entry<InetSocketAddress, Integer> e : votes.entrySet()) {
            if (e.getValue() > bestVotes) {
                best = e.getKey();
                bestVotes = e.getValue();
            }
        }
        int observers = byObserver.size();
        if (best != null && bestVotes >= QUORUM) {
            return new NatInfo(best, NatInfo.Type.CONE, observers);
        }
        for (Map.Entry<InetAddress, Integer> e : ipVotes.entrySet()) {
            if (e.getValue() >= QUORUM) {
                // same IP, a different port for each observer: endpoint-dependent mapping
                return new NatInfo(null, NatInfo.Type.SYMMETRIC, observers);
            }
        }
        return new NatInfo(null, NatInfo.Type.UNKNOWN, observers);
    }
}
