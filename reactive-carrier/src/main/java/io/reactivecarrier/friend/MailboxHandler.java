package io.reactivecarrier.friend;

import io.reactivecarrier.core.UserId;
import reactor.core.publisher.Mono;

/**
 * Handles the mailbox items of one type ({@link MailboxDispatcher#register}). The sender is
 * authenticated (its signature over the item verified). The returned Mono completes once the
 * item is durably handled (persisted); only then is the item deleted from the DHT. A handler may
 * see the same item more than once (a delete can fail, two nodes can store it): it deduplicates.
 * An error leaves the item in the DHT to be tried again at the next poll.
 *
 * <pre>{@code
 * MailboxHandler notes = (sender, body) -> store.map("notes")
 *         .put(sender.toBytes(), body);   // completes once on disk: only then is the item deleted
 * friendService.mailbox().register(0x20, notes);
 * }</pre>
 */
@FunctionalInterface
public interface MailboxHandler {

    Mono<Void> handle(UserId sender, byte[] body);
}
