package io.reactivecarrier.friend;

import io.reactivecarrier.core.UserId;
import java.time.Instant;
import java.util.Objects;

/**
 * A friend as this node knows it: a snapshot, immutable.
 *
 * <pre>{@code
 * node.friends().list().subscribe(f -> log.info("{} {} last seen {}", f.id().shortString(), f.name(), f.lastSeen()));
 * }</pre>
 *
 * @param id the friend's user id
 * @param label the local label this node gave the friend (empty when none)
 * @param name the display name the friend last sent (empty until it sent one)
 * @param description the description the friend last sent (empty until it sent one)
 * @param addedAt when the friendship was made
 * @param lastSeen when the friend was last linked ({@link Instant#EPOCH} when never)
 * @param presence the friend's presence now
 */
public record Friend(UserId id, String label, String name, String description, Instant addedAt, Instant lastSeen,
        Presence presence) {

    public Friend {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(addedAt, "addedAt");
        Objects.requireNonNull(lastSeen, "lastSeen");
        Objects.requireNonNull(presence, "presence");
    }
}
