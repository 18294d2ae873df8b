package io.reactivecarrier.core;

/**
 * An operation named a user who is not a friend of this node (for example sending a message).
 * Add the friend first: send a friend request and wait until it is accepted.
 *
 * <pre>{@code
 * node.messages().send(stranger, "hi")           // fails: befriend them first
 *         .onErrorResume(UnknownFriendException.class, e -> Mono.empty());
 * }</pre>
 */
public final class UnknownFriendException extends CarrierException {

    private static final long serialVersionUID = 1L;

    private final UserId user;

    public UnknownFriendException(UserId user) {
        super(user + " is not a friend of this node; add the friend first (send a friend request and wait"
                + " until it is accepted), then send again");
        this.user = user;
    }

    /** The user who is not a friend. */
    public UserId user() {
        return user;
    }
}
