package io.reactivecarrier.friend;

import io.reactivecarrier.core.UserId;
import java.time.Instant;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * A friend request this node received, from {@link Friends#requests()}. It stays pending (and
 * persisted) until it is accepted or refused, across restarts.
 *
 * <pre>{@code
 * node.friends().requests()
 *         .filter(r -> r.hello().contains("Alice"))
 *         .flatMap(FriendRequest::accept)
 *         .subscribe(friend -> log.info("now friends with {}", friend.id()));
 * }</pre>
 */
public final class FriendRequest {

    private final Friends friends;
    private final UserId from;
    private final String hello;
    private final Instant receivedAt;

    FriendRequest(Friends friends, UserId from, String hello, Instant receivedAt) {
        this.friends = friends;
        this.from = Objects.requireNonNull(from, "from");
        this.hello = Objects.requireNonNull(hello, "hello");
        this.receivedAt = Objects.requireNonNull(receivedAt, "receivedAt");
    }

    /** Who asks to be a friend (authenticated by its signature). */
    public UserId from() {
        return from;
    }

    /** The text the requester wrote. */
    public String hello() {
        return hello;
    }

    /** When this node received the request. */
    public Instant receivedAt() {
        return receivedAt;
    }

    /** Same as {@link Friends#accept(UserId) friends.accept(from())}. */
    public Mono<Friend> accept() {
        return friends.accept(from);
    }

    /** Same as {@link Friends#refuse(UserId) friends.refuse(from())}. */
    public Mono<Void> refuse() {
        return friends.refuse(from);
    }

    @Override
    public String toString() {
        return "FriendRequest[from=" + from.shortString() + ", receivedAt=" + receivedAt + ", hello=" + hello.length()
                + " chars]";
    }
}
