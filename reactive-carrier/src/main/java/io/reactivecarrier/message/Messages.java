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
 * messages.send(friend, "hello")                       // Mono<Receipt>: DELIVERED or STORED_OFFLINE
 *         .timeout(Duration.ofMinutes(1))              // stops waiting; the message stays in the outbox
 *         .subscribe(r -> log.info("{} {}", r.id(), r.status()));
 * messages.enqueue(friend, "hello")                    // Mono<MessageId>: durable in the outbox
 *         .flatMap(messages::delivered)                // DELIVERED once the friend stored it
 *         .subscribe(receipt -> ...);
 * messages.incoming().subscribe(m -> ...);             // demand-driven: slow readers hold the senders back
 * }</pre>
 *
 * <p>Messages, receipts and {@code send()} outcomes are signalled on the node's event loop, where
 * its links and friends run too: do not block in those callbacks ({@code publishOn} a scheduler of
 * yours, such as {@code Schedulers.boundedElastic()}, for blocking or heavy work).
 */
public interface Messages {

    /**
     * Sends {@code body} to {@code friend} and completes with the first outcome:
     * {@link Receipt.Status#DELIVERED} when the friend's node acknowledged it, or
     * {@link Receipt.Status#STORED_OFFLINE} when the friend was offline and the message, sealed to
     * the friend, was acknowledged by enough DHT storage nodes ({@link MessageOptions#offlineReplicas()}).
     * After {@code STORED_OFFLINE} the message stays in the outbox until it is delivered; its
     * DELIVERED receipt comes on {@link #receipts()} and {@link #delivered(MessageId)}
     * ({@link Receipt#id()} is the id).
     *
     * <p>Subscribing hands the message to the durable outbox (as {@link #enqueue(UserId, byte[])}
     * does). Cancelling the returned Mono, or a {@code timeout}, only stops waiting: it never
     * withdraws the message nor removes it from the outbox; it is delivered exactly once all the
     * same, also across restarts. A message over {@link MessageOptions#maxOfflineMessageBytes()}
     * never goes to the mailbox (nor does any message of a service without a mailbox), so to an
     * offline friend this Mono then completes only when the friend is back (use a timeout). Fails fast with {@link io.reactivecarrier.core.UnknownFriendException} when
     * {@code friend} is not a friend and {@link io.reactivecarrier.core.MessageTooLargeException}
     * when the body is over {@link MessageOptions#maxMessageBytes()}; fails with an
     * {@link IllegalStateException} when the service closes first (the message stays in the outbox).
     */
    Mono<Receipt> send(UserId friend, byte[] body);

    /** {@link #send(UserId, byte[])} with the UTF-8 bytes of {@code text}. */
    default Mono<Receipt> send(UserId friend, String text) {
        return send(friend, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Puts {@code body} for {@code friend} into the durable outbox and completes with the message
     * id as soon as it is there ("accepted"): from then on it is never lost; it is retried over the
     * link and through the DHT mailbox until the friend acknowledges it, across restarts. The
     * outcome comes on {@link #receipts()} and {@link #delivered(MessageId)}. Use this for high
     * throughput (many messages in flight without one waiting Mono each) and when "durable" is
     * all the caller needs. Fails fast like {@link #send(UserId, byte[])}.
     */
    Mono<MessageId> enqueue(UserId friend, byte[] body);

    /** {@link #enqueue(UserId, byte[])} with the UTF-8 bytes of {@code text}. */
    default Mono<MessageId> enqueue(UserId friend, String text) {
        return enqueue(friend, text.getBytes(StandardCharsets.UTF_8));
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
     * as handed over when {@code onNext} returns. A subscriber that cancels in the middle of a
     * hand-out (with {@code takeUntil}, say) loses nothing: the messages it did not take go to the
     * next subscriber first.
     */
    Flux<Message> incoming();
}
