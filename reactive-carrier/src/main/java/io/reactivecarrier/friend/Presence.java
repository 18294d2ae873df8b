package io.reactivecarrier.friend;

/**
 * A friend's presence as this node sees it, and the status a node shows its friends.
 *
 * <pre>{@code
 * node.friends().setStatus(Presence.AWAY).subscribe();
 * boolean online = node.friends().presence(friendId) != Presence.OFFLINE;
 * }</pre>
 */
public enum Presence {
    /** No link to the friend (it stopped, or it is unreachable). */
    OFFLINE,
    /** Linked and available. */
    ONLINE,
    /** Linked, away from the keyboard. */
    AWAY,
    /** Linked, does not want to be disturbed. */
    BUSY;

    /** Whether the friend is linked (anything but {@link #OFFLINE}). */
    public boolean isOnline() {
        return this != OFFLINE;
    }
}
