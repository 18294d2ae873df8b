package io.reactivecarrier.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * A friend as stored: its user id (public key bytes), the local label, the profile it last sent,
 * when it was added and last seen, and opaque bytes the friend layer may keep with it.
 *
 * @param userId the friend's user id, not empty (copied)
 * @param label the local label, never null
 * @param name the friend's display name, never null
 * @param description the friend's description, never null
 * @param addedAtMillis when the friend was added (epoch millis)
 * @param lastSeenMillis when the friend was last online (epoch millis, 0 = never)
 * @param extra opaque bytes owned by the friend layer, never null (copied)
 *
 * <pre>{@code
 * long now = System.currentTimeMillis();
 * FriendRecord bob = new FriendRecord(bobId.toBytes(), "Bob", "Bob", "", now, 0, new byte[0]);
 * store.putFriend(bob)
 *         .then(store.updateLastSeen(bob.userId(), now))
 *         .subscribe();
 * }</pre>
 */
public record FriendRecord(byte[] userId, String label, String name, String description,
        long addedAtMillis, long lastSeenMillis, byte[] extra) {

    /** Checks and copies. */
    public FriendRecord {
        userId = Records.id(userId, "userId");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        extra = Objects.requireNonNull(extra, "extra").clone();
    }

    /** A copy of the user id. */
    @Override
    public byte[] userId() {
        return userId.clone();
    }

    /** A copy of the extra bytes. */
    @Override
    public byte[] extra() {
        return extra.clone();
    }

    /** The same friend last seen at another time. */
    public FriendRecord withLastSeen(long millis) {
        return new FriendRecord(userId, label, name, description, addedAtMillis, millis, extra);
    }

    /** The same friend with another label. */
    public FriendRecord withLabel(String newLabel) {
        return new FriendRecord(userId, newLabel, name, description, addedAtMillis, lastSeenMillis, extra);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FriendRecord f
                && Arrays.equals(userId, f.userId) && label.equals(f.label) && name.equals(f.name)
                && description.equals(f.description) && addedAtMillis == f.addedAtMillis
                && lastSeenMillis == f.lastSeenMillis && Arrays.equals(extra, f.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(userId), label, name, description, addedAtMillis, lastSeenMillis,
                Arrays.hashCode(extra));
    }

    @Override
    public String toString() {
        return "FriendRecord[userId=" + Hex.encode(userId) + ", label=" + label + ", name=" + name
                + ", addedAtMillis=" + addedAtMillis + ", lastSeenMillis=" + lastSeenMillis
                + ", extra=" + extra.length + " bytes]";
    }
}
