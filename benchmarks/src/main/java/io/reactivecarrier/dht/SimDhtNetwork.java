package io.reactivecarrier.dht;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * An in-memory network of {@link DhtTransport}s on one {@link VirtualClock}: seeded one-way
 * latency (uniform in {@code rtt/2 ± 20%}) and independent loss per datagram, deterministic for a
 * seed. A request to an address whose node is gone, or whose node id is not the one the caller
 * expects (the RPC layer would fail the authentication), is silently dropped, like a lost
 * datagram. It stands for the RPC layer's envelope (authenticated, encrypted) without paying its
 * cryptography, which the {@code dht-udp} scenario measures for real.
 */
final class SimDhtNetwork {

    final VirtualClock clock = new VirtualClock();
    private final SplittableRandom random;
    private final double loss;
    private final long minOneWayMs;
    private final long spreadMs;
    /**
     * Nodes by a mixed (ip, port) key: {@code InetSocketAddress.hashCode()} of thousands of
     * 10.x.y.1 addresses falls into few hash bins (treeified bins were a tenth of the CPU profile).
     */
    private final Map<Long, Transport> byAddress = new HashMap<>();
    long datagrams;
    long lost;

    SimDhtNetwork(long seed, long rttMs, double loss) {
        this.random = new SplittableRandom(seed);
        this.loss = loss;
        long oneWay = rttMs / 2;
        this.minOneWayMs = Math.max(0, oneWay - oneWay / 5);
        this.spreadMs = 2 * (oneWay / 5);
    }

    static InetSocketAddress address(int a, int b, int c, int d, int port) {
        try {
            return new InetSocketAddress(
                    InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private long latency() {
        return minOneWayMs + (spreadMs > 0 ? random.nextLong(spreadMs + 1) : 0);
    }

    private boolean drop() {
        datagrams++;
        if (loss > 0 && random.nextDouble() < loss) {
            lost++;
            return true;
        }
        return false;
    }

    Transport join(NodeId id, InetSocketAddress address) {
        Transport t = new Transport(id, address);
        byAddress.put(key(address), t);
        return t;
    }

    void leave(Transport t) {
        byAddress.remove(key(t.address), t);
    }

    private static Long key(InetSocketAddress a) {
        byte[] ip = a.getAddress().getAddress();
        long z = a.getPort();
        for (byte b : ip) {
            z = z * 257 + (b & 0xff);
        }
        // SplitMix64's finalizer: a bijection, so distinct addresses keep distinct keys (IPv4 here)
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    void advance(long ms) {
        clock.advance(ms);
    }

    final class Transport implements DhtTransport {
        final NodeId id;
        final InetSocketAddress address;
        final NodeInfo info;
        private final Map<Integer, Function<DhtRequest, Mono<byte[]>>> handlers = new HashMap<>(16);

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
            return clock;
        }

        @Override
        public Mono<byte[]> call(NodeInfo to, int method, byte[] body) {
            return Mono.create(sink -> {
                if (drop()) {
                    return;
                }
                Disposable d = clock.schedule(() -> {
                    Transport dest = byAddress.get(key(to.address()));
                    if (dest == null || !dest.id.equals(to.id())) {
                        return;
                    }
                    Function<DhtRequest, Mono<byte[]>> h = dest.handlers.get(method);
                    if (h == null) {
                        return;
                    }
                    h.apply(new DhtRequest(info, method, body, 1180)).subscribe(resp -> {
                        if (!drop()) {
                            clock.schedule(() -> sink.success(resp), latency(), TimeUnit.MILLISECONDS);
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
