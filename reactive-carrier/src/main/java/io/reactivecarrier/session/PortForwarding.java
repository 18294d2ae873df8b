package io.reactivecarrier.session;

import io.reactivecarrier.core.UserId;
import java.net.InetSocketAddress;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Port forwarding over streams: a node registers named TCP services; a friend forwards a local
 * TCP port to one of them. Every TCP connection accepted on the local port becomes a channel of
 * one multiplexed, reliable, encrypted stream and is connected, on the serving node, to the
 * registered service. Only friends reach a node (the link layer admits nobody else) and only
 * registered services are reachable.
 *
 * <pre>{@code
 * // serving node
 * PortForwarding serving = PortForwarding.create(sessions).addService("web", "127.0.0.1", 8080);
 * // friend
 * PortForwarding.create(friendSessions)
 *         .forward(servingUser, "web", new InetSocketAddress("127.0.0.1", 0))
 *         .doOnNext(f -> log.info("web is at {}", f.localAddress()))
 *         .subscribe();
 * }</pre>
 *
 * <p>Half-close (FIN), reset and errors travel both ways. A service that refuses a connection
 * closes that local connection (the reason is logged) and the forwarding stays up. TCP reads
 * pause while the channel has no credit, so a slow reader slows the writer at the other end.
 * Create one {@code PortForwarding} per {@link Sessions}: it answers the {@value #SERVICE} streams.
 */
public interface PortForwarding {

    /** The {@link Sessions} service name of forwarding streams ({@code forward/<service>}). */
    String SERVICE = "forward";

    /** The default idle timeout of a forwarded TCP connection. */
    Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

    /** Port forwarding over {@code sessions}; forwarded connections idle for 5 minutes are closed. */
    static PortForwarding create(Sessions sessions) {
        return create(sessions, DEFAULT_IDLE_TIMEOUT);
    }

    /** Port forwarding over {@code sessions}; a forwarded connection without a byte either way for {@code idleTimeout} is closed. */
    static PortForwarding create(Sessions sessions, Duration idleTimeout) {
        return new StreamPortForwarding(sessions, idleTimeout);
    }

    /**
     * Registers (or replaces) the service {@code name} (1..200 bytes, no '/'): friends that forward
     * to it get connected to {@code host:port}. Returns this.
     */
    PortForwarding addService(String name, String host, int port);

    /** Unregisters a service: new connections to it are refused; established ones keep running. */
    PortForwarding removeService(String name);

    /**
     * Forwards {@code localBindAddress} (port 0 = any free port) to the service {@code service} of
     * {@code friend}. Completes when the friend accepted and the local port is bound; fails with
     * {@link StreamException} ({@code REFUSED} with "no such service" for an unregistered service,
     * {@code UNREACHABLE} when the friend cannot be reached).
     */
    Mono<Forwarding> forward(UserId friend, String service, InetSocketAddress localBindAddress);

    /** Closes every forwarding and stops serving. */
    Mono<Void> close();

    /** One forwarded local port. */
    interface Forwarding {

        /** The friend whose service this reaches. */
        UserId peer();

        /** The service's name. */
        String service();

        /** The bound local address (with the real port when 0 was asked for). */
        InetSocketAddress localAddress();

        /** Connections currently forwarded. */
        int activeConnections();

        /** Stops listening and closes every forwarded connection. Idempotent. */
        Mono<Void> close();

        /** Completes when the forwarding is closed. */
        Mono<Void> onClose();
    }
}
