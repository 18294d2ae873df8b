package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.Hkdf;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.link.Link;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@link Sessions} over a {@link LinkManager}: OPEN / ACCEPT / REFUSE as link frames of type
 * {@code 0x30}, stream packets as {@code PacketKind.STREAM} datagrams on the same socket.
 * All state is confined to the transport's scheduler.
 */
final class LinkSessions implements Sessions {

    private static final Logger log = LoggerFactory.getLogger(LinkSessions.class);

    static final int OPEN = 1;
    static final int ACCEPT = 2;
    static final int REFUSE = 3;
    static final int FLAG_RELIABLE = 1;
    static final int FLAG_ENCRYPTED = 2;
    static final int OPEN_BASE = 1 + 4 + 4 + 1 + 4 + 4 + 4 + 4;
    static final int ACCEPT_BASE = 1 + 4 + 4;
    static final byte[] KDF_INFO = "reactive-carrier stream v1".getBytes(StandardCharsets.US_ASCII);
    static final Duration OPEN_RETRY = Duration.ofMillis(500);
    static final int OPEN_ATTEMPTS = 12;
    static final int MAX_INCOMING = 1024;
    /** A UDP payload that fits a 1500-byte Ethernet MTU over IPv4. */
    static final int ETHERNET_PACKET = 1472;
    static final long ANSWER_KEPT_MS = 60_000;

    private final LinkManager links;
    private final DatagramTransport transport;
    private final PacketRouter router;
    private final Scheduler scheduler;
    private final UserId self;
    private final Map<Integer, StreamConnection> connections = new ConcurrentHashMap<>();
    private final Map<Integer, PendingOpen> pending = new HashMap<>();
    private final java.util.Set<Integer> reserved = new java.util.HashSet<>();
    private final Map<String, Incoming> incoming = new HashMap<>();
    private final Sinks.Many<SessionRequest> requests = Sinks.many().multicast().onBackpressureBuffer(64, false);
    private final Map<String, Sinks.Many<SessionRequest>> services = new ConcurrentHashMap<>();
    static final int MAX_SERVICE = 255;
    private volatile boolean closed;

    private final StreamMetrics metrics;

    LinkSessions(LinkManager links, DatagramTransport transport, PacketRouter router,
            io.micrometer.core.instrument.MeterRegistry registry) {
        this.links = Objects.requireNonNull(links, "links");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.router = Objects.requireNonNull(router, "router");
        this.scheduler = transport.scheduler();
        this.self = links.userId();
        this.metrics = new StreamMetrics(Objects.requireNonNull(registry, "registry"), connections.values(), self.shortString());
        links.handle(FRAME_CONTROL, this::onControl);
        router.route(PacketKind.STREAM, this::onStreamPacket);
    }

    // ================================================================== open (initiator)

    @Override
    public Mono<CarrierStream> open(UserId friend, StreamOptions options) {
        return open(friend, "", options);
    }

    @Override
    public Mono<CarrierStream> open(UserId friend, String service, StreamOptions options) {
        Objects.requireNonNull(service, "service");
        byte[] serviceBytes = service.getBytes(StandardCharsets.UTF_8);
        if (serviceBytes.length > MAX_SERVICE || (!service.isEmpty() && serviceName(service).isEmpty())) {
            throw new IllegalArgumentException("service must be 'name' or 'name/detail' in at most 255 bytes of UTF-8: " + service);
        }
        Objects.requireNonNull(friend, "friend");
        Objects.requireNonNull(options, "options");
        return Mono.fromCallable(() -> java.util.Optional.ofNullable(options.isEncrypted() ? X25519KeyPair.generate() : null))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(eph -> links.connect(friend)
                        .onErrorMap(e -> !(e instanceof StreamException), e -> new StreamException(
                                StreamException.Reason.UNREACHABLE, "cannot reach " + friend + ": " + e.getMessage(), e))
                        .flatMap(link -> Mono.<CarrierStream>create(sink -> runOnLoop(() -> startOpen(link, options, eph.orElse(null), serviceBytes, sink)))));
    }

    private void startOpen(Link link, StreamOptions options, X25519KeyPair eph, byte[] service, MonoSink<CarrierStream> sink) {
        if (closed) {
            sink.error(new StreamException(StreamException.Reason.CLOSED, "sessions are closed"));
            return;
        }
        int reqId;
        do {
            reqId = ThreadLocalRandom.current().nextInt();
        } while (pending.containsKey(reqId));
        int connId = newConnectionId();
        reserved.add(connId);
        ByteBuf f = Unpooled.buffer(OPEN_BASE + 32 + 1 + service.length);
        f.writeByte(OPEN).writeInt(reqId).writeInt(connId)
                .writeByte((options.isReliable() ? FLAG_RELIABLE : 0) | (options.isEncrypted() ? FLAG_ENCRYPTED : 0))
                .writeInt(options.receiveWindow()).writeInt(options.datagramWindow()).writeInt(options.maxPacketSize())
                .writeInt((int) Math.min(Integer.MAX_VALUE, options.idleTimeout().toMillis()));
        if (eph != null) {
            f.writeBytes(eph.publicKey());
        }
        if (service.length > 0) {
            f.writeByte(service.length).writeBytes(service);
        }
        byte[] frame = new byte[f.readableBytes()];
        f.readBytes(frame);
        PendingOpen p = new PendingOpen(reqId, link, connId, options, eph, frame, sink);
        pending.put(reqId, p);
        sink.onCancel(() -> runOnLoop(() -> abandon(p)));
        sendOpen(p);
    }

    private void sendOpen(PendingOpen p) {
        if (pending.get(p.reqId) != p) {
            return;
        }
        if (p.attempts++ >= OPEN_ATTEMPTS) {
            abandon(p);
            p.sink.error(new StreamException(StreamException.Reason.UNREACHABLE, p.link.peer()
                    + " did not answer the stream request: it is offline or does not accept streams"));
            return;
        }
        p.link.send(FRAME_CONTROL, Unpooled.wrappedBuffer(p.frame));
        p.retry = scheduler.schedule(() -> sendOpen(p), OPEN_RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void abandon(PendingOpen p) {
        if (pending.remove(p.reqId) == p) {
            if (p.retry != null) {
                p.retry.dispose();
            }
            reserved.remove(p.connId);
        }
    }

    private void onAccept(Link link, ByteBuf b) {
        if (b.readableBytes() < ACCEPT_BASE - 1) {
            return;
        }
        int reqId = b.readInt();
        int remoteConn = b.readInt();
        PendingOpen p = pending.get(reqId);
        if (p == null || !p.link.peer().equals(link.peer())) {
            return;
        }
        byte[] peerEph = null;
        if (p.eph != null) {
            if (b.readableBytes() != 32) {
                return;
            }
            peerEph = new byte[32];
            b.readBytes(peerEph);
        }
        abandon(p);
        StreamConnection c;
        try {
            c = connection(link, p.options, p.connId, remoteConn, true, p.eph, peerEph, self, link.peer());
        } catch (CryptoException e) {
            p.sink.error(new StreamException(StreamException.Reason.PROTOCOL, "bad key from " + link.peer(), e));
            return;
        }
        p.sink.success(c);
    }

    private void onRefuse(Link link, ByteBuf b) {
        if (b.readableBytes() < 5) {
            return;
        }
        int reqId = b.readInt();
        int n = b.readUnsignedByte();
        if (b.readableBytes() < n) {
            return;
        }
        String reason = b.toString(b.readerIndex(), n, StandardCharsets.UTF_8);
        PendingOpen p = pending.get(reqId);
        if (p == null || !p.link.peer().equals(link.peer())) {
            return;
        }
        abandon(p);
        p.sink.error(new StreamException(StreamException.Reason.REFUSED, link.peer() + " refused the stream: " + reason));
    }

    // ================================================================== answer (responder)

    private void onOpen(Link link, ByteBuf b) {
        if (b.readableBytes() < OPEN_BASE - 1) {
            return;
        }
        int reqId = b.readInt();
        int remoteConn = b.readInt();
        int flags = b.readUnsignedByte();
        int window = b.readInt();
        int dgWindow = b.readInt();
        int maxPacket = b.readInt();
        int idleMs = b.readInt();
        boolean encrypted = (flags & FLAG_ENCRYPTED) != 0;
        int keyLength = encrypted ? 32 : 0;
        String service = "";
        if (b.readableBytes() > keyLength) {
            int n = b.getUnsignedByte(b.readerIndex() + keyLength);
            if (n == 0 || b.readableBytes() != keyLength + 1 + n) {
                return;
            }
            service = b.toString(b.readerIndex() + keyLength + 1, n, StandardCharsets.UTF_8);
            b.writerIndex(b.readerIndex() + keyLength);
        }
        if (b.readableBytes() != keyLength) {
            return;
        }
        String key = link.peer() + "/" + reqId;
        Incoming in = incoming.get(key);
        if (in != null) {
            if (in.answer != null) {
                link.send(FRAME_CONTROL, Unpooled.wrappedBuffer(in.answer)); // our answer was lost
            }
            return;
        }
        StreamOptions options;
        try {
            options = StreamOptions.reliable().reliable((flags & FLAG_RELIABLE) != 0).encrypted(encrypted)
                    .receiveWindow(window).datagramWindow(dgWindow).maxPacketSize(maxPacket)
                    .idleTimeout(Duration.ofMillis(Math.max(1, idleMs)));
        } catch (IllegalArgumentException bad) {
            refuse(link, reqId, "bad options: " + bad.getMessage());
            return;
        }
        if (closed || incoming.size() >= MAX_INCOMING) {
            refuse(link, reqId, "busy");
            return;
        }
        byte[] peerEph = null;
        if (encrypted) {
            peerEph = new byte[32];
            b.readBytes(peerEph);
        }
        Sinks.Many<SessionRequest> target = service.isEmpty() ? requests : services.get(serviceName(service));
        if (target == null) {
            refuse(link, reqId, "no such service: " + serviceName(service));
            return;
        }
        in = new Incoming(link, reqId, remoteConn, options, peerEph, service);
        incoming.put(key, in);
        Incoming forget = in;
        scheduler.schedule(() -> incoming.remove(key, forget), ANSWER_KEPT_MS, TimeUnit.MILLISECONDS);
        if (target.tryEmitNext(in).isFailure()) {
            in.answered = true;
            refuse(link, reqId, "busy: too many unanswered stream requests");
        }
    }

    private void refuse(Link link, int reqId, String reason) {
        byte[] r = StreamConnection.reasonBytes(reason, 255);
        ByteBuf f = Unpooled.buffer(6 + r.length).writeByte(REFUSE).writeInt(reqId).writeByte(r.length).writeBytes(r);
        byte[] frame = new byte[f.readableBytes()];
        f.readBytes(frame);
        Incoming in = incoming.get(link.peer() + "/" + reqId);
        if (in != null) {
            in.answer = frame;
        }
        link.send(FRAME_CONTROL, Unpooled.wrappedBuffer(frame));
    }

    final class Incoming implements SessionRequest {
        final Link link;
        final int reqId;
        final int remoteConn;
        final StreamOptions options;
        final byte[] peerEph;
        final String service;
        boolean answered;
        byte[] answer;

        Incoming(Link link, int reqId, int remoteConn, StreamOptions options, byte[] peerEph, String service) {
            this.service = service;
            this.link = link;
            this.reqId = reqId;
            this.remoteConn = remoteConn;
            this.options = options;
            this.peerEph = peerEph;
        }

        @Override
        public UserId peer() {
            return link.peer();
        }

        @Override
        public StreamOptions options() {
            return options;
        }

        @Override
        public String service() {
            return service;
        }

        @Override
        public Mono<CarrierStream> accept() {
            return Mono.fromCallable(() -> java.util.Optional.ofNullable(peerEph != null ? X25519KeyPair.generate() : null))
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(eph -> Mono.<CarrierStream>create(sink -> runOnLoop(() -> doAccept(eph.orElse(null), sink))));
        }

        private void doAccept(X25519KeyPair eph, MonoSink<CarrierStream> sink) {
            if (answered || closed) {
                sink.error(new IllegalStateException("this stream request was already answered (or sessions closed)"));
                return;
            }
            answered = true;
            int connId = newConnectionId();
            StreamConnection c;
            try {
                c = connection(link, options, connId, remoteConn, false, eph, peerEph, link.peer(), self);
            } catch (CryptoException e) {
                sink.error(new StreamException(StreamException.Reason.PROTOCOL, "bad key from " + link.peer(), e));
                return;
            }
            ByteBuf f = Unpooled.buffer(ACCEPT_BASE + 32).writeByte(ACCEPT).writeInt(reqId).writeInt(connId);
            if (eph != null) {
                f.writeBytes(eph.publicKey());
            }
            answer = new byte[f.readableBytes()];
            f.readBytes(answer);
            link.send(FRAME_CONTROL, Unpooled.wrappedBuffer(answer));
            sink.success(c);
        }

        @Override
        public Mono<Void> refuse(String reason) {
            return Mono.create(sink -> runOnLoop(() -> {
                if (!answered) {
                    answered = true;
                    LinkSessions.this.refuse(link, reqId, reason == null ? "" : reason);
                }
                sink.success();
            }));
        }

        @Override
        public String toString() {
            return "SessionRequest[" + link.peer() + ", " + options + "]";
        }
    }

    // ================================================================== connections

    private StreamConnection connection(Link link, StreamOptions options, int localId, int remoteId, boolean initiator,
            X25519KeyPair eph, byte[] peerEph, UserId initiatorUser, UserId responderUser) {
        PacketProtection sealer;
        PacketProtection opener;
        if (eph != null) {
            byte[] shared = eph.agree(peerEph);
            int iConn = initiator ? localId : remoteId;
            int rConn = initiator ? remoteId : localId;
            byte[] salt = new byte[72];
            System.arraycopy(initiatorUser.toBytes(), 0, salt, 0, 32);
            System.arraycopy(responderUser.toBytes(), 0, salt, 32, 32);
            StreamConnection.putInt(salt, 64, iConn);
            StreamConnection.putInt(salt, 68, rConn);
            byte[] okm = Hkdf.derive(shared, salt, KDF_INFO, 64);
            byte[] i2r = Arrays.copyOfRange(okm, 0, 32);
            byte[] r2i = Arrays.copyOfRange(okm, 32, 64);
            Arrays.fill(okm, (byte) 0);
            Arrays.fill(shared, (byte) 0);
            sealer = PacketProtection.aead(initiator ? i2r : r2i);
            opener = PacketProtection.aead(initiator ? r2i : i2r);
            Arrays.fill(i2r, (byte) 0);
            Arrays.fill(r2i, (byte) 0);
        } else {
            sealer = PacketProtection.plain();
            opener = PacketProtection.plain();
        }
        StreamConnection c = new StreamConnection(new LinkPath(link), options, link.peer(), remoteId, initiator,
                sealer, opener, closedConn -> {
                    if (connections.remove(localId, closedConn)) {
                        metrics.closed(closedConn);
                    }
                });
        connections.put(localId, c);
        return c;
    }

    private int newConnectionId() {
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt();
        } while (id == 0 || connections.containsKey(id) || reserved.contains(id));
        return id;
    }

    private void onStreamPacket(InetSocketAddress sender, ByteBuf buf) {
        if (buf.readableBytes() < Frames.PACKET_HEADER) {
            return;
        }
        StreamConnection c = connections.get(buf.getInt(buf.readerIndex() + 2));
        if (c != null) {
            c.onPacket(buf, sender);
        }
    }

    private void onControl(Link link, ByteBuf payload) {
        if (!payload.isReadable()) {
            return;
        }
        switch (payload.readUnsignedByte()) {
            case OPEN -> onOpen(link, payload);
            case ACCEPT -> onAccept(link, payload);
            case REFUSE -> onRefuse(link, payload);
            default -> log.debug("unknown session control frame from {}", link.peer());
        }
    }

    @Override
    public Flux<SessionRequest> requests() {
        return requests.asFlux();
    }

    @Override
    public Flux<SessionRequest> requests(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.indexOf('/') >= 0 || name.getBytes(StandardCharsets.UTF_8).length > MAX_SERVICE) {
            throw new IllegalArgumentException("a service name is 1..255 bytes of UTF-8 without '/': " + name);
        }
        return services.computeIfAbsent(name, k -> Sinks.many().multicast().onBackpressureBuffer(64, false)).asFlux();
    }

    static String serviceName(String service) {
        int slash = service.indexOf('/');
        return slash < 0 ? service : service.substring(0, slash);
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            closed = true;
            return Flux.fromIterable(new ArrayList<>(connections.values()))
                                        .flatMap(CarrierStream::close)
                    .then(Mono.fromRunnable(() -> {
                        router.remove(PacketKind.STREAM);
                        requests.tryEmitComplete();
                        services.values().forEach(Sinks.Many::tryEmitComplete);
                    }));
        });
    }

    private void runOnLoop(Runnable task) {
        try {
            scheduler.schedule(task);
        } catch (java.util.concurrent.RejectedExecutionException gone) {
            task.run();
        }
    }

    /** Sends stream packets on the node's socket to wherever the link currently reaches the friend. */
    final class LinkPath implements StreamPath {
        final Link link;
        /** Where the peer's authenticated stream packets last came from, and the link address then. */
        private volatile InetSocketAddress observed;
        private volatile InetSocketAddress linkAtObservation;

        LinkPath(Link link) {
            this.link = link;
        }

        @Override
        public void observed(InetSocketAddress from) {
            if (!from.equals(observed)) {
                linkAtObservation = link.remoteAddress();
                observed = from;
            }
        }

        /** The peer's stream address: where its packets come from, unless the link has moved since. */
        private InetSocketAddress destination() {
            InetSocketAddress l = link.remoteAddress();
            InetSocketAddress o = observed;
            if (o == null || (l != null && !l.equals(linkAtObservation))) {
                return l;
            }
            return o;
        }

        @Override
        public Scheduler scheduler() {
            return scheduler;
        }

        @Override
        public ByteBufAllocator alloc() {
            return transport.alloc();
        }

        @Override
        public void send(ByteBuf packet) {
            InetSocketAddress to = destination();
            if (to == null) {
                packet.release();
                return;
            }
            transport.send(to, packet);
        }

        @Override
        public void sendSegments(ByteBuf packets, int segmentSize) {
            InetSocketAddress to = destination();
            if (to == null) {
                packets.release();
                return;
            }
            transport.sendSegments(to, packets, segmentSize);
        }

        @Override
        public int maxPacketCap() {
            InetSocketAddress to = destination();
            return to != null && to.getAddress() != null && to.getAddress().isLoopbackAddress()
                    ? StreamOptions.MAX_PACKET_SIZE : ETHERNET_PACKET;
        }

        @Override
        public TransportInfo info() {
            return new TransportInfo(link.path(), transport.localAddress(), destination(), false, false, 0);
        }
    }

    static final class PendingOpen {
        final int reqId;
        final Link link;
        final int connId;
        final StreamOptions options;
        final X25519KeyPair eph;
        final byte[] frame;
        final MonoSink<CarrierStream> sink;
        Disposable retry;
        int attempts;

        PendingOpen(int reqId, Link link, int connId, StreamOptions options, X25519KeyPair eph, byte[] frame,
                MonoSink<CarrierStream> sink) {
            this.reqId = reqId;
            this.link = link;
            this.connId = connId;
            this.options = options;
            this.eph = eph;
            this.frame = frame;
            this.sink = sink;
        }
    }

}
