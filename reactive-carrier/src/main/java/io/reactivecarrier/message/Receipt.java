package io.reactivecarrier.message;

import io.reactivecarrier.core.UserId;
import java.util.Objects;

/**
 * What happened to a sent message. {@link Messages#send} completes with the first receipt of its
 * message; {@link Messages#receipts()} carries all of them.
 *
 * <pre>{@code
 * node.messages().receipts()
 *         .filter(r -> r.status() == Receipt.Status.DELIVERED)
 *         .subscribe(r -> log.info("{} read by {}", r.id(), r.friend()));
 * }</pre>
 *
 * @param id the message id ({@link Messages#enqueue} returned it)
 * @param friend the recipient
 * @param status {@link Status#STORED_OFFLINE} or {@link Status#DELIVERED}
 * @param atMillis when this node learned it (epoch millis)
 */
public record Receipt(MessageId id, UserId friend, Status status, long atMillis) {

    /** The outcome of a message. */
    public enum Status {
        /**
         * The friend was offline: the message is sealed to the friend and stored on enough DHT
         * nodes. The outbox keeps it until it is {@link #DELIVERED}.
         */
        STORED_OFFLINE,
        /**
         * The friend's node acknowledged the message: it handed it to its subscriber's
         * {@code onNext}, or stored it durably to hand it out later. The outbox dropped it.
         */
        DELIVERED
    }

    public Receipt {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(friend, "friend");
        Objects.requireNonNull(status, "status");
    }
}
