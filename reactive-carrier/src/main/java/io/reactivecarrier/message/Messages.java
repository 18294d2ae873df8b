package io.reactivecarrier.message;

import io.reactivecarrier.core.UserId;
import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Messages between friends: delivered exactly once, in order per sender, whether the friend is
 * online (over the link, with receipts) or offline (sealed into the friend's DHT mailbox).
 *
 * <pre>{@code
 * messages.send(friend, "hello")                       // durable in the outbox when this completes
 *         .flatMap(messages::delivered)                // DELIVERED once the friend stored it
 *         .subscribe(receipt -> ...);
 * messages.incoming().subscribe(m -> ...);             // demand-driven: slow readers hold the senders back
 * }</pre>
 */
public interface Messages {

    /**
     * Sends {@code body} to {@code friend}. Completes with the message id once the message is in
     * the durable outbox: from then on it is never lost; it is retried over the link and through
     * the DHT mailbox until the friend acknowledges it, across restarts. Fails fast with
     * {@link io.reactivecarrier.core.UnknownFriendException} when {@code friend} is not a friend and
     * {@link io.reactivecarrier.core.MessageTooLargeException} when the body is over
     * {@link MessageOptions#maxMessageBytes()}.
     */
    Mono<MessageId> send(UserId friend, byte[] body);

    /** {@link #send(UserId, byte[])} with the UTF-8 bytes of {@code text}. */
    default Mono<MessageId> send(UserId friend, String text) {
        return send(friend, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The DELIVERED receipt of a message sent by this node (also before a restart). Completes at
     * once when the message is no longer in the outbox (it was delivered).
     */
    Mono<Receipt> delivered(MessageId id);

    /** Every receipt from now on: STORED_OFFLINE and DELIVERED of all messages (hot; a lagging subscriber loses the oldest). */
    Flux<Receipt> receipts();

    /**
     * Messages from friends, each once, in order per sender. One subscriber at a time. Reads from
     * the durable inbox only as fast as the subscriber requests: when the inbox is full, this
     * node stops acknowledging and the senders keep the rest in their outboxes. A message counts
     * as handed over when {@code onNext} returns.
     */
    Flux<Message> incoming();
}
