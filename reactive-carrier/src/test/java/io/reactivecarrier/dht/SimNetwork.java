package io.reactivecarrier.dht;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * An in-memory network of {@link DhtTransport}s on one {@link VirtualTimeScheduler}: seeded
 * one-way latency and loss, deterministic for a seed. A request to an address whose node is gone,
 * or whose node id differs from the one the caller expects (the RPC layer would fail the
 * authentication), is silently dropped, like a lost datagram.
 */
final class SimNetwork {

    final VirtualTimeScheduler scheduler = VirtualTimeScheduler.create();
    final Random random;
    final double loss;
    final long minOneWayMs;
    final long maxOneWayMs;
    final Map<InetSocketAddress, Transport> byAddress = new HashMap<>();
    long calls;

    SimNetwork(long seed, double loss, long minOneWayMs, long maxOneWayMs) {
        this.random = new Random(seed);
        this.loss = loss;
        this.minOneWayMs = minOneWayMs;
        this.maxOneWayMs = maxOneWayMs;
    }

    static InetSocketAddress address(int a, int b, int c, int d) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}), 33445);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private long latency() {
        return minOneWayMs + (maxOneWayMs > minOneWayMs ? (long) (random.nextDouble() * (maxOneWayMs - minOneWayMs)) : 0);
    }

    private boolean lost() {
        return loss > 0 && random.nextDouble() < loss;
    }

    Transport join(NodeId id, InetSocketAddress address) {
        Transport t = new Transport(id, address);
        byAddress.put(address, t);
        return t;
    }

    void leave(Transport t) {
        byAddress.remove(t.address, t);
    }

    void advance(long ms) {
        scheduler.advanceTimeBy(java.time.Duration.ofMillis(ms));
    }

    final class Transport implements DhtTransport {
        final NodeId id;
        final InetSocketAddress address;
        final NodeInfo info;
        final Map<Integer, Function<DhtRequest, Mono<byte[]>>> handlers = new HashMap<>();
        long sent;
        final Map<NodeId, Integer> findNodeByTarget = new HashMap<>();

        Transport(NodeId id, InetSocketAddress address) {
            this.id = id;
            this.address = address;
            this.info = new NodeInfo(id, address);
        }

        @Override
        public NodeId self() {
            return id;
        }

        @Override
        public Scheduler scheduler() {
            return scheduler;
        }

        @Override
        public Mono<byte[]> call(NodeInfo to, int method, byte[] body) {
            return Mono.create(sink -> {
                sent++;
                calls++;
                if (method == DhtCodec.FIND_NODE && body.length == 32) {
                    findNodeByTarget.merge(NodeId.of(body), 1, Integer::sum);
                }
                if (lost()) {
                    return;
                }
                Disposable d = scheduler.schedule(() -> {
                    Transport dest = byAddress.get(to.address());
                    if (dest == null || !dest.id.equals(to.id())) {
                        return;
                    }
                    Function<DhtRequest, Mono<byte[]>> h = dest.handlers.get(method);
                    if (h == null) {
                        return;
                    }
                    h.apply(new DhtRequest(info, method, body, 1180)).subscribe(resp -> {
                        if (!lost()) {
                            scheduler.schedule(() -> sink.success(resp), latency(), TimeUnit.MILLISECONDS);
                        }
                    });
                }, latency(), TimeUnit.MILLISECONDS);
                sink.onCancel(d);
            });
        }

        @Override
        public void serve(int method, Function<DhtRequest, Mono<byte[]>> handler) {
            handlers.put(method, handler);
        }
    }
}
