package io.reactivecarrier.session;

import io.netty.channel.ChannelOption;
import io.reactivecarrier.core.UserId;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpClient;
import reactor.netty.tcp.TcpServer;

/** {@link PortForwarding} with one reliable stream per forwarding and one channel per TCP connection. */
final class StreamPortForwarding implements PortForwarding {

    private static final Logger log = LoggerFactory.getLogger(StreamPortForwarding.class);
    static final int MAX_NAME = 200;

    private final Sessions sessions;
    private final Duration idleTimeout;
    private final Map<String, InetSocketAddress> services = new ConcurrentHashMap<>();
    private final Set<CarrierStream> served = ConcurrentHashMap.newKeySet();
    private final Set<LocalForwarding> forwardings = ConcurrentHashMap.newKeySet();
    private final Disposable answering;
    private final AtomicLong connectionIds = new AtomicLong();

    StreamPortForwarding(Sessions sessions, Duration idleTimeout) {
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive: " + idleTimeout);
        }
        this.idleTimeout = idleTimeout;
        this.answering = sessions.requests(SERVICE).subscribe(this::answer,
                e -> log.warn("port forwarding stopped answering: {}", e.toString()));
    }

    static StreamOptions streamOptions() {
        return StreamOptions.reliable().maxChannels(65_536);
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        int n = name.getBytes(StandardCharsets.UTF_8).length;
        if (n == 0 || n > MAX_NAME || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("a service name is 1.." + MAX_NAME + " bytes of UTF-8 without '/': " + name);
        }
        return name;
    }

    // ================================================================== serving side

    @Override
    public PortForwarding addService(String name, String host, int port) {
        checkName(name);
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        services.put(name, InetSocketAddress.createUnresolved(host, port));
        return this;
    }

    @Override
    public PortForwarding removeService(String name) {
        services.remove(checkName(name));
        return this;
    }

    private void answer(SessionRequest request) {
        String service = request.service();
        String name = service.startsWith(SERVICE + "/") ? service.substring(SERVICE.length() + 1) : "";
        if (!services.containsKey(name)) {
            log.info("refused forwarding from {} to unregistered service '{}'", request.peer(), name);
            request.refuse("no such service: " + name).subscribe();
            return;
        }
        request.accept().subscribe(stream -> {
            served.add(stream);
            stream.onClose().subscribe(null, e -> served.remove(stream), () -> served.remove(stream));
            stream.channels().subscribe(ch -> serveChannel(stream, name, ch),
                    e -> log.debug("forwarding stream from {} ended: {}", stream.peer(), e.toString()));
        }, e -> log.warn("could not accept forwarding from {}: {}", request.peer(), e.toString()));
    }

    private void serveChannel(CarrierStream stream, String name, Channel ch) {
        InetSocketAddress target = services.get(name);
        log.debug("{} opened channel {} to {}", stream.peer(), ch.id(), name);
        String label = "forward " + stream.peer() + " -> " + name + " #" + ch.id();
        if (target == null) {
            ch.close("service " + name + " was removed").subscribe();
            return;
        }
        TcpClient.newConnection()
                .runOn(reactor.netty.tcp.TcpResources.get(), false)
                .host(target.getHostString())
                .port(target.getPort())
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .doOnChannelInit((observer, c, remote) -> TcpPipe.install(c))
                .connect()
                .subscribe(tcp -> TcpPipe.pipe(tcp, ch, idleTimeout, label)
                                .doFinally(s -> tcp.dispose())
                                .subscribe(),
                        e -> {
                            String reason = "service " + name + " refused the connection: " + e.getMessage();
                            log.warn("{}: {}", label, reason);
                            ch.close(reason).subscribe();
                        });
    }

    // ================================================================== forwarding side

    @Override
    public Mono<Forwarding> forward(UserId friend, String service, InetSocketAddress localBindAddress) {
        Objects.requireNonNull(friend, "friend");
        checkName(service);
        Objects.requireNonNull(localBindAddress, "localBindAddress");
        LocalForwarding f = new LocalForwarding(friend, service);
        return f.stream().then(TcpServer.create()
                        .bindAddress(() -> localBindAddress)
                        // NIO: with epoll, a FIN that arrives while auto-read is off sometimes closed an
                        // accepted connection outright (half-close lost); NIO keeps it half-open
                        .runOn(reactor.netty.tcp.TcpResources.get(), false)
                        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .doOnChannelInit((observer, c, remote) -> TcpPipe.install(c))
                        .handle((in, out) -> {
                            Connection[] tcp = new Connection[1];
                            in.withConnection(c -> tcp[0] = c);
                            return f.carry(tcp[0]);
                        })
                        .bind())
                .map(server -> {
                    f.server = server;
                    forwardings.add(f);
                    log.info("forwarding {} to {} of {}", server.address(), service, friend);
                    return (Forwarding) f;
                })
                .doOnError(e -> f.closeStream());
    }

    final class LocalForwarding implements Forwarding {
        final UserId friend;
        final String service;
        final Set<Connection> connections = ConcurrentHashMap.newKeySet();
        final Sinks.Empty<Void> closed = Sinks.empty();
        volatile DisposableServer server;
        volatile boolean closing;
        Mono<CarrierStream> stream;
        volatile CarrierStream current;

        LocalForwarding(UserId friend, String service) {
            this.friend = friend;
            this.service = service;
        }

        /** The forwarding's stream; reopened when the last one closed (friend restarted, path lost). */
        synchronized Mono<CarrierStream> stream() {
            if (stream == null) {
                Mono<CarrierStream> m = sessions.open(friend, SERVICE + "/" + service, streamOptions())
                        .doOnNext(s -> {
                            current = s;
                            s.onClose().onErrorResume(e -> Mono.empty()).subscribe(null, null, () -> forget(s));
                        })
                        .doOnError(e -> forgetFailed())
                        .cache();
                stream = m;
            }
            return stream;
        }

        synchronized void forget(CarrierStream s) {
            if (current == s) {
                current = null;
                stream = null;
            }
        }

        synchronized void forgetFailed() {
            if (current == null) {
                stream = null;
            }
        }

        Mono<Void> carry(Connection tcp) {
            if (closing) {
                return Mono.empty();
            }
            connections.add(tcp);
            String label = "forward " + tcp.channel().remoteAddress() + " -> " + service + " of " + friend
                    + " #" + connectionIds.incrementAndGet();
            return stream()
                    .flatMap(s -> s.openChannel("tcp"))
                    .doOnNext(ch -> log.debug("{}: channel {}", label, ch.id()))
                    .flatMap(ch -> TcpPipe.pipe(tcp, ch, idleTimeout, label))
                    .onErrorResume(e -> {
                        log.info("{}: {}", label, e.getMessage());
                        TcpPipe.reset(tcp);
                        return Mono.empty();
                    })
                    .doFinally(sig -> connections.remove(tcp));
        }

        void closeStream() {
            CarrierStream s = current;
            if (s != null) {
                s.close().subscribe(null, e -> { });
            }
        }

        @Override
        public UserId peer() {
            return friend;
        }

        @Override
        public String service() {
            return service;
        }

        @Override
        public InetSocketAddress localAddress() {
            return (InetSocketAddress) server.address();
        }

        @Override
        public int activeConnections() {
            return connections.size();
        }

        @Override
        public Mono<Void> close() {
            return Mono.defer(() -> {
                closing = true;
                forwardings.remove(this);
                DisposableServer srv = server;
                if (srv != null) {
                    srv.disposeNow(Duration.ofSeconds(5));
                }
                connections.forEach(TcpPipe::reset);
                CarrierStream s = current;
                Mono<Void> done = s == null ? Mono.empty() : s.close().onErrorResume(e -> Mono.empty());
                return done.doFinally(sig -> closed.tryEmitEmpty());
            }).subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic());
        }

        @Override
        public Mono<Void> onClose() {
            return closed.asMono();
        }

        @Override
        public String toString() {
            return "Forwarding[" + (server == null ? "?" : server.address()) + " -> " + service + " of " + friend + "]";
        }
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            answering.dispose();
            return Flux.fromIterable(forwardings)
                    .flatMap(Forwarding::close)
                    .thenMany(Flux.fromIterable(served).flatMap(s -> s.close().onErrorResume(e -> Mono.empty())))
                    .then();
        });
    }
}
