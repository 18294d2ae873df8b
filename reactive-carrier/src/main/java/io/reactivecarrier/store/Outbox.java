package io.reactivecarrier.store;

import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The durable outbox of messages not yet acknowledged. Each write is on disk when its Mono
 * completes. Obtain it with {@link NodeStore#outbox()}; inside a transaction use the
 * {@code *Outbox} methods of {@link Tx}.
 *
 * <pre>{@code
 * Outbox outbox = store.outbox();
 * outbox.append(messageId, bobId, System.currentTimeMillis(), payload)
 *         .doOnNext(e -> System.out.println("queued as #" + e.sequence()))
 *         .thenMany(outbox.pending(bobId))
 *         .subscribe();
 * outbox.remove(messageId).subscribe(); // once Bob acknowledged it
 * }</pre>
 */
public final class Outbox {

    private final NodeStore store;

    Outbox(NodeStore store) {
        this.store = store;
    }

    /**
     * Appends a message in state {@link OutboxEntry#PENDING} with the recipient's next sequence
     * number (1, 2, 3… per recipient, never reused). Idempotent by message id: appending an id
     * that is already in the outbox returns the stored entry unchanged.
     */
    public Mono<OutboxEntry> append(byte[] messageId, byte[] recipient, long createdAtMillis, byte[] payload) {
        return store.transaction(tx -> tx.appendOutbox(messageId, recipient, createdAtMillis, payload));
    }

    /** Sets an entry's state; false if the message is not in the outbox. */
    public Mono<Boolean> markState(byte[] messageId, String state) {
        return store.transaction(tx -> tx.markOutboxState(messageId, state));
    }

    /** Removes an entry (acknowledged or given up); false if it was not there. */
    public Mono<Boolean> remove(byte[] messageId) {
        return store.transaction(tx -> tx.removeOutbox(messageId));
    }

    /** One entry by message id. */
    public Mono<Optional<OutboxEntry>> entry(byte[] messageId) {
        return store.read(tx -> tx.outboxEntry(messageId));
    }

    /** Every entry, ordered by recipient id (unsigned bytes), then sequence. */
    public Flux<OutboxEntry> pending() {
        return store.read(Tx::outbox).flatMapIterable(l -> l);
    }

    /** The entries of one recipient, ordered by sequence. */
    public Flux<OutboxEntry> pending(byte[] recipient) {
        return store.read(tx -> tx.outbox(recipient)).flatMapIterable(l -> l);
    }
}
