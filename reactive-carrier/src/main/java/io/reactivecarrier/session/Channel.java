package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One ordered (or, on an unreliable stream, datagram) flow inside a {@link CarrierStream}, with
 * its own flow-control credit: a slow reader of one channel does not stall the others.
 *
 * <p>Buffers: {@link #send} takes ownership of every buffer it is given; the subscriber of
 * {@link #receive()} owns every buffer it is handed and must release it.
 *
 * <pre>{@code
 * stream.openChannel("chat")
 *         .flatMap(ch -> ch.sendBytes(Flux.just("hello".getBytes(StandardCharsets.UTF_8))));
 * channel.receive()
 *         .doOnNext(buf -> { handle(buf); buf.release(); })
 *         .subscribe();
 * }</pre>
 */
public interface Channel {

    /** The channel's id in its stream (0 is the stream's own main channel). */
    int id();

    /** The name given by the side that opened the channel ("" for the main channel). */
    String name();

    /**
     * Sends everything {@code data} publishes, then ends this direction of the channel. The Mono
     * completes when the peer has acknowledged every byte (reliable) or when every datagram was
     * sent (unreliable). Demand on {@code data} follows the congestion window and the peer's
     * credit: a slow reader slows the sender. One send per channel; a second one fails.
     * On an unreliable stream each buffer is one datagram and must fit {@link CarrierStream#maxDatagramSize()}.
     */
    Mono<Void> send(Publisher<? extends ByteBuf> data);

    /** {@link #send} for byte arrays (wrapped, not copied). */
    default Mono<Void> sendBytes(Publisher<byte[]> data) {
        return send(Flux.from(data).map(io.netty.buffer.Unpooled::wrappedBuffer));
    }

    /**
     * What the peer sends, in order (reliable) or as datagrams (unreliable). One subscriber.
     * Its {@code request(n)} is what grants the peer credit: nothing more than
     * {@link StreamOptions#receiveWindow()} is ever buffered. Completes when the peer's send
     * completes. Buffers are emitted on the stream's event loop; release each one.
     */
    Flux<ByteBuf> receive();

    /** Closes this channel in both directions with a reason the peer sees. */
    Mono<Void> close(String reason);
}
