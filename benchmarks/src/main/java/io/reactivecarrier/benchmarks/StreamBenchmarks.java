package io.reactivecarrier.benchmarks;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.link.LinkIdentity;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.link.LinkOptions;
import io.reactivecarrier.link.PeerContact;
import io.reactivecarrier.session.CarrierStream;
import io.reactivecarrier.session.SessionRequest;
import io.reactivecarrier.session.Sessions;
import io.reactivecarrier.session.StreamOptions;
import io.reactivecarrier.session.StreamStats;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code stream}, {@code stream-compare} and {@code stream-faults} scenarios: two carrier
 * nodes (link managers and sessions on real UDP sockets) in this process, one stream between
 * them, compared with plain TCP on loopback (and Netty QUIC).
 */
final class StreamBenchmarks {

    static final Duration TIMEOUT = Duration.ofMinutes(10);

    private StreamBenchmarks() {
    }

    static void register(Map<String, Scenario> scenarios) {
        scenarios.put("stream", StreamBenchmarks::stream);
        scenarios.put("stream-compare", StreamBenchmarks::compare);
        scenarios.put("stream-faults", StreamBenchmarks::faults);
    }

    // ================================================================== scenarios

    /** {@code --offload false}: carrier sockets without UDP GSO/GRO (the wire is the same), for an A/B run. */
    static volatile boolean offload = true;

    static Json stream(Args args) throws Exception {
        offload = Boolean.parseBoolean(args.string("offload", "true"));
        String peer = args.string("peer", "carrier");
        String mode = args.string("mode", "reliable");
        long bytes = args.longValue("bytes", 1L << 30);
        int payload = args.integer("payload", 1200);
        boolean plain = Boolean.parseBoolean(args.string("plain", "false"));
        int maxPacket = args.integer("max-packet", StreamOptions.reliable().maxPacketSize());
        StreamOptions.CongestionControl cc = congestionControl(args);
        return switch (peer) {
            case "carrier" -> carrier(bytes, payload, mode.equals("reliable"), !plain, maxPacket, cc,
                    args.longValue("warmup", Math.min(bytes, 64L << 20)));
            case "tcp" -> tcp(bytes, payload);
            case "quic" -> QuicPeer.run(bytes, payload);
            case "udt" -> StreamPeers.udt(bytes, payload);
            case "kcp" -> StreamPeers.kcp(bytes, payload, args.integer("kcp-window", 1024));
            case "pseudotcp" -> StreamPeers.pseudotcp(bytes, payload);
            default -> throw new IllegalArgumentException("--peer carrier|tcp|quic|udt|kcp|pseudotcp, got " + peer);
        };
    }

    /** {@code --cc newreno|cubic}, default the stream default. */
    static StreamOptions.CongestionControl congestionControl(Args args) {
        String cc = args.string("cc", StreamOptions.reliable().congestionControl().name());
        try {
            return StreamOptions.CongestionControl.valueOf(cc.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cc newreno|cubic, got " + cc);
        }
    }

    static Json compare(Args args) throws Exception {
        offload = Boolean.parseBoolean(args.string("offload", "true"));
        long bytes = args.longValue("bytes", 512L << 20);
        int payload = args.integer("payload", 1200);
        int maxPacket = args.integer("max-packet", StreamOptions.reliable().maxPacketSize());
        StreamOptions.CongestionControl cc = congestionControl(args);
        List<Object> results = Json.list();
        Json tcp = tcp(bytes, payload);
        results.add(tcp);
        Json enc = carrier(bytes, payload, true, true, maxPacket, cc);
        results.add(enc);
        Json plain = carrier(bytes, payload, true, false, maxPacket, cc);
        results.add(plain);
        Json quic = null;
        try {
            quic = QuicPeer.run(bytes, payload);
            results.add(quic);
        } catch (Throwable t) {
            results.add(Json.object().put("scenario", "stream").put("peer", "quic").put("error", t.toString()));
        }
        // the other UDP transports; slow ones move fewer bytes (--kcp-bytes, --pseudotcp-bytes)
        List<Object> missing = Json.list();
        Json udt = peer(results, missing, "udt", () -> StreamPeers.udt(args.longValue("udt-bytes", bytes), payload));
        peer(results, missing, "kcp", () -> StreamPeers.kcp(args.longValue("kcp-bytes", Math.min(bytes, 128L << 20)), payload,
                args.integer("kcp-window", 1024)));
        peer(results, missing, "pseudotcp",
                () -> StreamPeers.pseudotcp(args.longValue("pseudotcp-bytes", Math.min(bytes, 8L << 20)), payload));
        double encRate = (Double) enc.get("mb_per_s");
        Json out = Json.object().put("scenario", "stream-compare").put("bytes", bytes).put("payload", payload)
                .put("results", results)
                .put("carrier_vs_tcp", encRate / (Double) tcp.get("mb_per_s"))
                .put("carrier_plain_vs_tcp", (Double) plain.get("mb_per_s") / (Double) tcp.get("mb_per_s"));
        if (quic != null) {
            out.put("carrier_vs_quic", encRate / (Double) quic.get("mb_per_s"));
        }
        if (udt != null) {
            out.put("carrier_vs_udt", encRate / (Double) udt.get("mb_per_s"));
        }
        out.put("missing_peers", missing);
        return out;
    }

    interface PeerRun {
        Json run() throws Exception;
    }

    /** Runs one peer; a peer that cannot run (a native library that does not load) goes to {@code missing} with the reason. */
    static Json peer(List<Object> results, List<Object> missing, String name, PeerRun run) {
        try {
            Json j = run.run();
            results.add(j);
            return j;
        } catch (Throwable t) {
            missing.add(Json.object().put("peer", name).put("reason", String.valueOf(t)));
            return null;
        }
    }

    static Json faults(Args args) throws Exception {
        offload = Boolean.parseBoolean(args.string("offload", "true"));
        double loss = args.decimal("loss", 0.05);
        double dup = args.decimal("dup", 0.03);
        double reorder = args.decimal("reorder", 0.25);
        double corrupt = args.decimal("corrupt", 0.02);
        long bytes = args.longValue("bytes", 64L << 20);
        long seed = args.longValue("seed", 1);
        int payload = args.integer("payload", 1200);
        StreamOptions.CongestionControl cc = congestionControl(args);
        try (Pair pair = Pair.create(new FaultyRelay.Faults(loss, dup, reorder, corrupt, seed))) {
            byte[] template = new byte[payload];
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            Random random = new Random(seed);
            long chunks = (bytes + payload - 1) / payload;
            Flux<ByteBuf> data = Flux.range(0, (int) chunks).map(i -> {
                int n = (int) Math.min(payload, bytes - (long) i * payload);
                random.nextBytes(template);
                sent.update(template, 0, n);
                return Unpooled.copiedBuffer(template, 0, n);
            });
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            long cpu0 = cpuNanos();
            Run run = pair.transfer(StreamOptions.reliable().congestionControl(cc), data, b -> got.update(b.nioBuffer()));
            boolean intact = run.received == bytes && MessageDigest.isEqual(sent.digest(), got.digest());
            return Json.object().put("scenario", "stream-faults").put("intact", intact)
                    .put("mb_per_s", bytes / run.seconds / 1e6)
                    .put("cpu_s_per_gb", (cpuNanos() - cpu0) / 1e9 / (bytes / 1e9)) // includes hashing and the faulty relay
                    .put("bytes", bytes).put("received", run.received)
                    .put("cc", cc.name().toLowerCase(java.util.Locale.ROOT))
                    .put("loss", loss).put("dup", dup).put("reorder", reorder).put("corrupt", corrupt).put("seed", seed)
                    .put("retransmit_ratio", run.stats.retransmitRatio())
                    .put("packets_lost", run.stats.packetsLost())
                    .put("packets_rejected_at_receiver", run.receiverStats.packetsRejected())
                    .put("proxy_dropped", pair.relay.faults.dropped).put("proxy_corrupted", pair.relay.faults.corrupted)
                    .put("proxy_duplicated", pair.relay.faults.duplicated).put("proxy_reordered", pair.relay.faults.reordered);
        }
    }

    // ================================================================== carrier

    static Json carrier(long bytes, int payload, boolean reliable, boolean encrypted, int maxPacket,
            StreamOptions.CongestionControl cc) throws Exception {
        return carrier(bytes, payload, reliable, encrypted, maxPacket, cc, Math.min(bytes, 64L << 20));
    }

    /** As above with {@code warmup} bytes sent first, unmeasured ({@code --warmup}: the JIT settles slowly on a loaded machine). */
    static Json carrier(long bytes, int payload, boolean reliable, boolean encrypted, int maxPacket,
            StreamOptions.CongestionControl cc, long warmup) throws Exception {
        StreamOptions options = (reliable ? StreamOptions.reliable() : StreamOptions.unreliable())
                .encrypted(encrypted).maxPacketSize(maxPacket).congestionControl(cc);
        if (!reliable) {
            payload = Math.min(payload, 1100);
        }
        try (Pair pair = Pair.create(null)) {
            // warm up the JIT and the socket buffers
            if (warmup > 0) {
                pair.transfer(options, source(warmup, payload), b -> { });
            }
            long cpu0 = cpuNanos();
            Run run = pair.transfer(options, source(bytes, payload), b -> { });
            long cpu = cpuNanos() - cpu0;
            Json j = Json.object().put("scenario", "stream").put("peer", "carrier")
                    .put("mode", reliable ? "reliable" : "unreliable").put("encrypted", encrypted)
                    .put("bytes", bytes).put("payload", payload)
                    .put("mb_per_s", run.received / run.seconds / 1e6)
                    .put("cpu_s_per_gb", cpu / 1e9 / (bytes / 1e9))
                    .put("retransmit_ratio", run.stats.retransmitRatio())
                    .put("cc", cc.name().toLowerCase(java.util.Locale.ROOT))
                    .put("packet_size", run.stats.maxPacketSize())
                    .put("packets_sent", run.stats.packetsSent())
                    .put("packets_lost", run.stats.packetsLost())
                    .put("srtt_us", run.stats.smoothedRttMicros()).put("cwnd", run.stats.congestionWindow())
                    .put("gso", pair.a.transport.isSegmentationOffload())
                    .put("gro", pair.b.transport.isReceiveOffload());
            if (!reliable) {
                j.put("delivered_ratio", (double) run.received / bytes)
                        .put("datagrams_dropped", run.stats.datagramsDropped() + run.receiverStats.datagramsDropped())
                        .put("datagrams_dropped_sending", run.stats.datagramsDroppedSending());
            }
            return j;
        }
    }

    /** {@code bytes} in buffers of {@code payload} bytes, all views of one constant array (no copies on the sending side). */
    static Flux<ByteBuf> source(long bytes, int payload) {
        byte[] template = new byte[payload];
        new Random(1).nextBytes(template);
        long chunks = (bytes + payload - 1) / payload;
        return Flux.range(0, (int) chunks).map(i -> Unpooled.wrappedBuffer(template, 0,
                (int) Math.min(payload, bytes - (long) i * payload)));
    }

    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    record Run(long received, double seconds, StreamStats stats, StreamStats receiverStats) {
    }

    /** Two nodes with a link between them, optionally through a faulty relay. */
    static final class Pair implements AutoCloseable {
        final Map<UserId, PeerContact> directory = new ConcurrentHashMap<>();
        final Node a;
        final Node b;
        final FaultyRelay relay;

        private Pair(FaultyRelay.Faults faults) {
            a = new Node(directory);
            b = new Node(directory);
            a.links.setAuthorizer(b.id()::equals);
            b.links.setAuthorizer(a.id()::equals);
            if (faults == null) {
                relay = null;
                directory.put(a.id(), a.contact(a.transport.localAddress()));
                directory.put(b.id(), b.contact(b.transport.localAddress()));
            } else {
                relay = FaultyRelay.start(faults, a.transport.localAddress(), b.transport.localAddress());
                directory.put(a.id(), a.contact(relay.address()));
                directory.put(b.id(), b.contact(relay.address()));
            }
        }

        static Pair create(FaultyRelay.Faults faults) {
            return new Pair(faults);
        }

        Run transfer(StreamOptions options, Flux<ByteBuf> data, java.util.function.Consumer<ByteBuf> sink) {
            AtomicLong received = new AtomicLong();
            Mono<CarrierStream> accepted = b.sessions.requests().next().flatMap(SessionRequest::accept).cache();
            Mono<Void> done = accepted.flatMap(s -> s.receive().doOnNext(buf -> {
                received.addAndGet(buf.readableBytes());
                sink.accept(buf);
                buf.release();
            }).then()).cache();
            done.subscribe();
            CarrierStream s = a.sessions.open(b.id(), options).block(TIMEOUT);
            long t0 = System.nanoTime();
            s.send(data).block(TIMEOUT);
            done.block(TIMEOUT);
            double seconds = (System.nanoTime() - t0) / 1e9;
            StreamStats stats = s.stats();
            CarrierStream r = accepted.block(TIMEOUT);
            StreamStats rs = r.stats();
            s.close().block(TIMEOUT);
            return new Run(received.get(), seconds, stats, rs);
        }

        @Override
        public void close() {
            a.close();
            b.close();
            if (relay != null) {
                relay.close();
            }
        }
    }

    static final class Node {
        final LinkIdentity identity = new LinkIdentity(Ed25519KeyPair.generate(), X25519KeyPair.generate());
        final UdpTransport transport;
        final LinkManager links;
        final Sessions sessions;

        Node(Map<UserId, PeerContact> directory) {
            transport = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)
                    .receiveBufferSize(8 << 20).sendBufferSize(8 << 20).segmentationOffload(offload)).block(TIMEOUT);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            PacketRouter router = PacketRouter.create(registry);
            transport.receive(router);
            links = LinkManager.create(transport, router, identity, f -> Mono.justOrEmpty(directory.get(f)),
                    LinkOptions.create().meterRegistry(registry));
            sessions = Sessions.create(links, transport, router);
        }

        UserId id() {
            return identity.userId();
        }

        PeerContact contact(InetSocketAddress at) {
            return new PeerContact(id(), identity.staticKey().publicKey(), identity.binding(), List.of(at));
        }

        void close() {
            sessions.close().block(TIMEOUT);
            links.close().block(TIMEOUT);
            transport.close().block(TIMEOUT);
        }
    }

    // ================================================================== TCP

    /** Plain TCP on loopback: one thread writes {@code payload}-byte buffers, one reads. */
    static Json tcp(long bytes, int payload) throws Exception {
        tcpRun(Math.min(bytes, 64L << 20), payload); // warm-up
        long cpu0 = cpuNanos();
        double seconds = tcpRun(bytes, payload);
        long cpu = cpuNanos() - cpu0;
        return Json.object().put("scenario", "stream").put("peer", "tcp").put("mode", "reliable")
                .put("encrypted", false).put("bytes", bytes).put("payload", payload)
                .put("mb_per_s", bytes / seconds / 1e6).put("cpu_s_per_gb", cpu / 1e9 / (bytes / 1e9))
                .put("retransmit_ratio", 0.0);
    }

    static double tcpRun(long bytes, int payload) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            AtomicLong got = new AtomicLong();
            Thread reader = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(64 << 10);
                    long n = 0;
                    while (n < bytes) {
                        buf.clear();
                        int r = c.read(buf);
                        if (r < 0) {
                            break;
                        }
                        n += r;
                    }
                    got.set(n);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, "tcp-reader");
            reader.start();
            long t0 = System.nanoTime();
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress())) {
                ByteBuffer chunk = ByteBuffer.allocateDirect(payload);
                long sent = 0;
                while (sent < bytes) {
                    int n = (int) Math.min(payload, bytes - sent);
                    chunk.clear().limit(n);
                    while (chunk.hasRemaining()) {
                        c.write(chunk);
                    }
                    sent += n;
                }
                reader.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (got.get() != bytes) {
                throw new IllegalStateException("TCP delivered " + got.get() + " of " + bytes + " bytes");
            }
            return seconds;
        }
    }

    static {
        // referenced so the shade plugin keeps them
        Object unused = new Object[] {ServerSocket.class, Socket.class};
    }
}
