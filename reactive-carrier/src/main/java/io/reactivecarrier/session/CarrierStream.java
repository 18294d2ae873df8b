package io.reactivecarrier.session;

import io.reactivecarrier.core.UserId;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A stream to a friend: reliable (ordered, retransmitted, like TCP) or unreliable (datagrams,
 * like UDP), encrypted unless opened {@link StreamOptions#plain() plain}. The stream itself is
 * its main {@link Channel} (id 0); with multiplexing more channels can be opened on it, each
 * ordered on its own and with its own credit.
 *
 * <pre>{@code
 * sessions.open(friend, StreamOptions.reliable())
 *         .flatMap(stream -> stream.send(Flux.just(Unpooled.wrappedBuffer(bytes))).then(stream.close()))
 *         .subscribe();
 * }</pre>
 */
public interface CarrierStream extends Channel {

    /** The friend at the other end. */
    UserId peer();

    /** The options the stream was opened with. */
    StreamOptions options();

    /** How the stream's packets travel right now. */
    TransportInfo transportInfo();

    /** A snapshot of the stream's counters. */
    StreamStats stats();

    /** The largest datagram an unreliable stream can send in one piece at the current packet size. */
    int maxDatagramSize();

    /** Opens a channel on this stream; the peer sees it in {@link #channels()}. */
    Mono<Channel> openChannel(String name);

    /** The channels the peer opens. A hot, bounded flux (channels beyond its buffer are refused). */
    Flux<Channel> channels();

    /**
     * The stream's state as events: {@link StreamEvent.Type#OPENED} first, {@link StreamEvent.Type#PATH_CHANGED}
     * when its packets move to another address or path, {@link StreamEvent.Type#CLOSED} with the reason last,
     * then completion. A hot flux that replays the latest 32 events to a late subscriber (bounded: older
     * events are gone); events are emitted on the stream's event loop, so subscribers must not block.
     */
    Flux<StreamEvent> events();

    /** Closes the stream and every channel with a reason the peer sees. Idempotent. */
    Mono<Void> close();

    /** Completes when the stream is closed, by either side, for whatever reason. */
    Mono<Void> onClose();
}
