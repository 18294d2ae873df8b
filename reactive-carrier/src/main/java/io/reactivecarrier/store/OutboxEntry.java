package io.reactivecarrier.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * A message in the durable outbox. The store assigns {@code sequence} on append: per recipient,
 * starting at 1, strictly increasing, never reused (also after removals).
 *
 * @param messageId the message id, unique in the outbox, not empty (copied)
 * @param recipient the recipient's user id, not empty (copied)
 * @param sequence the per-recipient sequence number
 * @param createdAtMillis when the message was created (epoch millis)
 * @param payload the message bytes, never null (copied)
 * @param state a state name owned by the message layer (the store starts it at {@link #PENDING})
 *
 * <pre>{@code
 * store.outbox().pending(bobId)
 *         .filter(e -> OutboxEntry.PENDING.equals(e.state()))
 *         .subscribe(e -> send(e.recipient(), e.sequence(), e.payload()));
 * }</pre>
 */
public record OutboxEntry(byte[] messageId, byte[] recipient, long sequence, long createdAtMillis,
        byte[] payload, String state) {

    /** The state of a newly appended entry. */
    public static final String PENDING = "PENDING";

    /** Checks and copies. */
    public OutboxEntry {
        messageId = Records.id(messageId, "messageId");
        recipient = Records.id(recipient, "recipient");
        payload = Objects.requireNonNull(payload, "payload").clone();
        Objects.requireNonNull(state, "state");
    }

    /** A copy of the message id. */
    @Override
    public byte[] messageId() {
        return messageId.clone();
    }

    /** A copy of the recipient id. */
    @Override
    public byte[] recipient() {
        return recipient.clone();
    }

    /** A copy of the payload. */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** The payload itself, not a copy: for the store's encoder only. */
    byte[] payloadShared() {
        return payload;
    }

    /** The same entry in another state. */
    public OutboxEntry withState(String newState) {
        return new OutboxEntry(messageId, recipient, sequence, createdAtMillis, payload, newState);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutboxEntry e
                && Arrays.equals(messageId, e.messageId) && Arrays.equals(recipient, e.recipient)
                && sequence == e.sequence && createdAtMillis == e.createdAtMillis
                && Arrays.equals(payload, e.payload) && state.equals(e.state);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(messageId), Arrays.hashCode(recipient), sequence, createdAtMillis,
                Arrays.hashCode(payload), state);
    }

    @Override
    public String toString() {
        return "OutboxEntry[messageId=" + Hex.encode(messageId) + ", recipient=" + Hex.encode(recipient)
                + ", sequence=" + sequence + ", createdAtMillis=" + createdAtMillis
                + ", payload=" + payload.length + " bytes, state=" + state + "]";
    }
}
