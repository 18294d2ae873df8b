package io.reactivecarrier.friend;

import io.reactivecarrier.core.UserId;
import java.util.Objects;

/**
 * A change of the friend list or of a friend, from {@link Friends#events()}.
 *
 * <pre>{@code
 * node.friends().events()
 *         .filter(e -> e.type() == FriendEvent.Type.ONLINE)
 *         .subscribe(e -> log.info("{} is online", e.id()));
 * }</pre>
 *
 * @param type what happened
 * @param friend the friend after the change (for {@link Type#REMOVED}: its last state)
 */
public record FriendEvent(Type type, Friend friend) {

    public FriendEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(friend, "friend");
    }

    /** The friend's user id. */
    public UserId id() {
        return friend.id();
    }

    /** The kind of change. */
    public enum Type {
        /** A friendship was made: a request of ours was accepted, or we accepted one. */
        ADDED,
        /** The friendship ended: we removed the friend, or it removed us. */
        REMOVED,
        /** A link to the friend came up. */
        ONLINE,
        /** The link to the friend went down (nothing heard for the link's dead interval, or it stopped). */
        OFFLINE,
        /** The friend's status changed while online (online, away, busy). */
        PRESENCE_CHANGED,
        /** The friend sent another name or description. */
        PROFILE_CHANGED,
        /** This node gave the friend another label. */
        LABEL_CHANGED
    }
}
