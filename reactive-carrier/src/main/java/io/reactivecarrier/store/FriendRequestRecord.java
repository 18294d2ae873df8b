package io.reactivecarrier.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * A pending friend request, received ({@code incoming}) or sent. At most one request per user id
 * and direction is stored; putting another replaces it.
 *
 * @param userId the other user's id, not empty (copied)
 * @param incoming true for a request we received, false for one we sent
 * @param hello the request's message, never null
 * @param receivedAtMillis when it was received or sent (epoch millis)
 * @param extra opaque bytes owned by the friend layer (for example the nospam), never null (copied)
 *
 * <pre>{@code
 * FriendRequestRecord request = new FriendRequestRecord(aliceId.toBytes(), true, "hi, it's Alice",
 *         System.currentTimeMillis(), new byte[0]);
 * store.putFriendRequest(request)
 *         .thenMany(store.friendRequests(true))   // the requests we received
 *         .subscribe(r -> System.out.println(r.hello()));
 * }</pre>
 */
public record FriendRequestRecord(byte[] userId, boolean incoming, String hello, long receivedAtMillis,
        byte[] extra) {

    /** Checks and copies. */
    public FriendRequestRecord {
        userId = Records.id(userId, "userId");
        Objects.requireNonNull(hello, "hello");
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

    @Override
    public boolean equals(Object o) {
        return o instanceof FriendRequestRecord r
                && Arrays.equals(userId, r.userId) && incoming == r.incoming && hello.equals(r.hello)
                && receivedAtMillis == r.receivedAtMillis && Arrays.equals(extra, r.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(userId), incoming, hello, receivedAtMillis, Arrays.hashCode(extra));
    }

    @Override
    public String toString() {
        return "FriendRequestRecord[userId=" + Hex.encode(userId) + ", incoming=" + incoming
                + ", receivedAtMillis=" + receivedAtMillis + ", hello=" + hello.length() + " chars]";
    }
}
