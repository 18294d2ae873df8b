package io.reactivecarrier.message;

import io.reactivecarrier.core.UserId;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A message received from a friend, from {@link Messages#incoming()}.
 *
 * <pre>{@code
 * node.messages().incoming()
 *         .subscribe(m -> log.info("{} says {}{}", m.sender().shortString(), m.text(), m.offline() ? " (offline)" : ""));
 * }</pre>
 *
 * @param sender the friend who sent it (authenticated by the link or by the mailbox signature)
 * @param id the message id the sender chose
 * @param sequence the sender's sequence number for this recipient (messages of one sender arrive in this order)
 * @param sentAtMillis when the sender created it (the sender's clock, epoch millis)
 * @param offline whether it came through the offline path (the DHT mailbox)
 * @param redelivered whether this node may have handed it to a subscriber before a restart: after a
 *        crash, the copies its sender may have sent before the crash (retransmissions, mailbox copies)
 *        of the last messages the store had not recorded as handed out (at most 2,048 past them) are
 *        flagged, whether or not they were handed out; after a stop, the messages a subscriber that
 *        cancelled had left behind. Deduplicate by {@link #id()} if the handling is not idempotent
 * @param body the bytes (not copied: do not modify)
 */
public record Message(UserId sender, MessageId id, long sequence, long sentAtMillis, boolean offline,
        boolean redelivered, byte[] body) {

    public Message {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(body, "body");
    }

    /** The body decoded as UTF-8. */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "Message[" + id + " from " + sender.shortString() + " #" + sequence + ", " + body.length + " bytes"
                + (offline ? ", offline" : "") + (redelivered ? ", redelivered" : "") + "]";
    }
}
