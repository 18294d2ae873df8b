package io.reactivecarrier.dht;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * One iterative Kademlia lookup, confined to the node's scheduler.
 *
 * <p>Keeps the candidates ordered by XOR distance to the target, queries up to {@code alpha} of
 * the {@code k} closest not yet asked, and ends when the {@code k} closest live candidates have
 * all answered (or nothing is left to ask), or early when {@link Reply#stop()} says so (a value
 * was found, or the target node itself answered). An RPC that has not answered after the soft
 * timeout stops holding a slot and stops blocking termination; after the hard timeout it counts
 * as failed. Disposing the returned Mono disposes every in-flight RPC and sends no more.
 */
final class Lookup {

    /** What one queried node said. */
    record Reply(List<NodeInfo> closer, byte[] token, boolean stop) {
    }

    /** The outcome: closest answering nodes (with the tokens they gave), hops and RPCs sent. */
    record Result(List<NodeInfo> closest, Map<NodeId, byte[]> tokens, int hops, int rpcs) {
    }

    /** When set, the lookup also ends as soon as an answering node names the target itself. */
    private boolean locate;
    private Candidate locatedBy;
    private NodeInfo located;

    Lookup locate() {
        this.locate = true;
        return this;
    }

    private enum State { NEW, IN_FLIGHT, RETRYING, SLOW, ANSWERED, FAILED }

    private static final class Candidate {
        final NodeInfo node;
        final int depth;
        /** The node's /24 or /64 (null for loopback), computed once. */
        final RoutingTable.Prefix prefix;
        State state = State.NEW;
        byte[] token;
        int attempts;
        int outstanding;

        Candidate(NodeInfo node, int depth) {
            this.node = node;
            this.depth = depth;
            this.prefix = RoutingTable.prefixOrNull(node);
        }
    }

    static final int MAX_ATTEMPTS = 2;

    private final NodeId target;
    private final int k;
    private final int alpha;
    private final int perPrefix;
    private final long softTimeoutMs;
    private final Scheduler scheduler;
    private final Function<NodeInfo, Mono<Reply>> query;
    private final TreeMap<NodeId, Candidate> candidates;
    private final NodeId self;
    private final Disposable.Composite inFlight = Disposables.composite();
    private MonoSink<Result> sink;
    private boolean done;
    private boolean stopped;
    private int rpcs;
    private int active;

    Lookup(NodeId self, NodeId target, int k, int alpha, int perPrefix, long softTimeoutMs, Scheduler scheduler,
            Function<NodeInfo, Mono<Reply>> query) {
        this.perPrefix = perPrefix;
        this.self = self;
        this.target = target;
        this.k = k;
        this.alpha = alpha;
        this.softTimeoutMs = softTimeoutMs;
        this.scheduler = scheduler;
        this.query = query;
        this.candidates = new TreeMap<>(target.byDistance());
    }

    /** Runs the lookup from {@code seeds} (hop 1). */
    Mono<Result> run(List<NodeInfo> seeds) {
        return Mono.<Result>create(s -> {
            this.sink = s;
            s.onDispose(this::dispose);
            for (NodeInfo n : seeds) {
                add(n, 1);
            }
            pump();
        }).subscribeOn(scheduler);
    }

    private void dispose() {
        done = true;
        inFlight.dispose();
    }

    private void add(NodeInfo n, int depth) {
        if (n.id().equals(self) || candidates.containsKey(n.id())) {
            return;
        }
        candidates.put(n.id(), new Candidate(n, depth));
        // keep the shortlist bounded: drop far candidates nobody is asking
        while (candidates.size() > 16 * k) {
            Map.Entry<NodeId, Candidate> last = candidates.lastEntry();
            if (last.getValue().state == State.IN_FLIGHT || last.getValue().state == State.RETRYING) {
                break;
            }
            candidates.pollLastEntry();
        }
    }

    private void pump() {
        if (done) {
            return;
        }
        int seen = 0;
        boolean waiting = false;
        PrefixCounts prefixes = new PrefixCounts();
        List<Candidate> toAsk = new ArrayList<>();
        int slots = alpha - active;
        for (Candidate c : candidates.values()) {
            if (c.state == State.FAILED || c.state == State.SLOW) {
                continue;
            }
            if (!prefixAllowed(c, prefixes)) {
                continue;
            }
            if (seen++ == k) {
                break;
            }
            if (c.state == State.IN_FLIGHT || c.state == State.RETRYING) {
                waiting = true;
            } else if (c.state == State.NEW) {
                waiting = true;
                if (toAsk.size() < slots) {
                    toAsk.add(c);
                }
            }
        }
        if (stopped || !waiting) {
            finish();
            return;
        }
        for (Candidate c : toAsk) {
            send(c);
        }
    }

    /**
     * IP diversity inside the lookup (as in the routing table): among the candidates considered,
     * at most {@code perPrefix} from one /24 or /64, so nodes from a few prefixes cannot crowd the
     * shortlist and eclipse the target.
     */
    private boolean prefixAllowed(Candidate c, PrefixCounts counts) {
        if (perPrefix <= 0 || c.prefix == null) {
            return true;
        }
        return counts.increment(c.prefix) <= perPrefix;
    }

    /** Counts per prefix over one pass of the shortlist (a few dozen entries: a linear scan). */
    private static final class PrefixCounts {
        private RoutingTable.Prefix[] keys = new RoutingTable.Prefix[16];
        private int[] counts = new int[16];
        private int size;

        int increment(RoutingTable.Prefix p) {
            for (int i = 0; i < size; i++) {
                if (keys[i].bits() == p.bits() && keys[i].family() == p.family()) {
                    return ++counts[i];
                }
            }
            if (size == keys.length) {
                keys = java.util.Arrays.copyOf(keys, size * 2);
                counts = java.util.Arrays.copyOf(counts, size * 2);
            }
            keys[size] = p;
            counts[size] = 1;
            size++;
            return 1;
        }
    }

    private void send(Candidate c) {
        c.state = State.IN_FLIGHT;
        active++;
        attempt(c);
    }

    /**
     * One attempt to query {@code c}. When it has not answered by the soft timeout it is sent
     * once more (a lost datagram costs one soft timeout, not a hard one); after the second soft
     * timeout the candidate stops holding a slot, but a late answer to either attempt counts.
     */
    private void attempt(Candidate c) {
        rpcs++;
        c.attempts++;
        c.outstanding++;
        int attemptNo = c.attempts;
        Disposable soft = scheduler.schedule(() -> {
            if (done || (c.state != State.IN_FLIGHT && c.state != State.RETRYING) || c.attempts != attemptNo) {
                return;
            }
            if (c.state == State.IN_FLIGHT) {
                active--; // a slow node no longer holds a parallelism slot
            }
            if (c.attempts < MAX_ATTEMPTS) {
                c.state = State.RETRYING; // still awaited before the lookup may end
                attempt(c);
            } else {
                c.state = State.SLOW;
            }
            pump();
        }, softTimeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        Disposable sub = query.apply(c.node).subscribe(reply -> {
            if (done || c.state == State.ANSWERED) {
                return;
            }
            if (c.state == State.IN_FLIGHT) {
                active--;
            }
            c.state = State.ANSWERED;
            c.token = reply.token();
            for (NodeInfo n : reply.closer()) {
                add(n, c.depth + 1);
                if (locate && located == null && n.id().equals(target)) {
                    located = n;
                    locatedBy = c;
                    stopped = true;
                }
            }
            if (reply.stop()) {
                stopped = true;
            }
            pump();
        }, error -> fail(c), () -> fail(c));
        if (!done) {
            inFlight.add(sub);
            inFlight.add(soft);
        }
    }

    private void fail(Candidate c) {
        c.outstanding--;
        if (done || c.state == State.ANSWERED || c.state == State.FAILED || c.outstanding > 0) {
            return;
        }
        if (c.state == State.IN_FLIGHT) {
            active--;
        }
        c.state = State.FAILED;
        pump();
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        List<NodeInfo> closest = new ArrayList<>();
        Map<NodeId, byte[]> tokens = new java.util.HashMap<>();
        int hops = 0;
        PrefixCounts prefixes = new PrefixCounts();
        for (Candidate c : candidates.values()) {
            if (c.state != State.ANSWERED || !prefixAllowed(c, prefixes)) {
                continue;
            }
            if (closest.isEmpty()) {
                hops = c.depth;
            }
            closest.add(c.node);
            if (c.token != null) {
                tokens.put(c.node.id(), c.token);
            }
            if (closest.size() == k) {
                break;
            }
        }
        if (located != null && (closest.isEmpty() || !closest.get(0).id().equals(target))) {
            // named by an answering node: its address is as good as that node's word, and the
            // caller's authenticated handshake with it is the proof
            closest.add(0, located);
            if (closest.size() > k) {
                closest.remove(k);
            }
            hops = locatedBy.depth;
        }
        inFlight.dispose();
        sink.success(new Result(closest, tokens, hops, rpcs));
    }
}
