package io.reactivecarrier.message;

import io.reactivecarrier.core.UserId;
import reactor.core.publisher.Flux;

/**
 * What the message layer needs to know about friends: who they are, and when one comes
 * online. The node connects this to the friends layer; tests use a table.
 *
 * <pre>{@code
 * FriendDirectory directory = new FriendDirectory() {
 *     public boolean isFriend(UserId user) { return friends.isFriend(user); }
 *     public Flux<UserId> online() {
 *         return friends.events().filter(e -> e.type() == FriendEvent.Type.ONLINE).map(e -> e.friend().id());
 *     }
 * };
 * }</pre>
 */
public interface FriendDirectory {

    /** Whether {@code user} is a friend (messages to anyone else fail fast; from anyone else are dropped). */
    boolean isFriend(UserId user);

    /** Friends as they come online (a hot stream; a hint to retry delivery at once). */
    Flux<UserId> online();
}
