package io.reactivecarrier.session;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.transport.PacketRouter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Streams to friends over their links. A stream is asked for and answered over the friend's
 * secure link (link frame type {@code 0x30}), with a fresh X25519 exchange whose HKDF output keys
 * the stream's packets; the packets themselves travel on the node's UDP socket as
 * {@code PacketKind.STREAM} datagrams to the link's current address.
 *
 * <pre>{@code
 * Sessions sessions = Sessions.create(links, transport, router);
 * sessions.requests().flatMap(SessionRequest::accept).flatMap(s -> s.receive()...).subscribe();
 * sessions.open(friend, StreamOptions.reliable())
 *         .flatMap(stream -> stream.send(data))
 *         .subscribe();
 * }</pre>
 */
public interface Sessions {

    /** Link frame type of the session control frames (OPEN, ACCEPT, REFUSE). */
    int FRAME_CONTROL = 0x30;

    /**
     * Sessions over {@code links}, whose stream packets use {@code transport} and arrive through
     * {@code router} (it registers {@code PacketKind.STREAM} there and link frame type {@link #FRAME_CONTROL}).
     */
    static Sessions create(LinkManager links, DatagramTransport transport, PacketRouter router) {
        return create(links, transport, router, io.micrometer.core.instrument.Metrics.globalRegistry);
    }

    /**
     * As {@link #create(LinkManager, DatagramTransport, PacketRouter)}, with the stream metrics
     * ({@code carrier.streams.bytes}, {@code .packets}, {@code .retransmitted.bytes}, {@code .packets.lost},
     * {@code .packets.rejected}, {@code .open}, {@code .rtt.max.us}, {@code .cwnd.bytes}) in {@code registry}.
     */
    static Sessions create(LinkManager links, DatagramTransport transport, PacketRouter router,
            io.micrometer.core.instrument.MeterRegistry registry) {
        return new LinkSessions(links, transport, router, registry);
    }

    /**
     * Opens a stream to a friend: connects the link if needed, asks the friend, and completes
     * with the stream when the friend accepts. Fails with {@link StreamException} (REFUSED, or
     * UNREACHABLE when the friend does not answer).
     */
    Mono<CarrierStream> open(UserId friend, StreamOptions options);

    /**
     * Opens a stream for a service of the friend's node (port forwarding, file transfer, an
     * application protocol): the friend's node hands it to {@link #requests(String)} of the
     * service's name instead of {@link #requests()}, and refuses it ("no such service") when
     * nothing subscribes there. {@code service} is {@code name} or {@code name/detail}
     * (1..255 bytes of UTF-8); only the {@code name} part routes, the whole string is
     * {@link SessionRequest#service()} at the friend.
     */
    Mono<CarrierStream> open(UserId friend, String service, StreamOptions options);

    /**
     * Streams friends ask for. Hot; up to 64 requests wait for a subscriber, more are refused.
     * Each must be accepted or refused (an unanswered request times out at the opener).
     */
    Flux<SessionRequest> requests();

    /**
     * Streams friends open for the service {@code name} (see {@link #open(UserId, String, StreamOptions)}).
     * Hot; up to 64 requests wait, more are refused. While no subscriber is (or was) attached for
     * a name, requests for it are refused with "no such service".
     */
    Flux<SessionRequest> requests(String name);

    /** Closes every stream and stops answering. */
    Mono<Void> close();
}
