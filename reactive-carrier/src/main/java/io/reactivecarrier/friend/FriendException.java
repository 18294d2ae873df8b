package io.reactivecarrier.friend;

import io.reactivecarrier.core.CarrierException;

/**
 * A friend operation that cannot be done. {@link #reason()} says why; the message says what to do.
 *
 * <pre>{@code
 * node.friends().request(address, "hi")
 *         .onErrorResume(FriendException.class, e -> {
 *             log.warn("request failed ({}): {}", e.reason(), e.getMessage());
 *             return Mono.empty();
 *         });
 * }</pre>
 */
public final class FriendException extends CarrierException {

    private static final long serialVersionUID = 1L;

    /** Why an operation failed. */
    public enum Reason {
        /** The address is this node's own. */
        OWN_ADDRESS,
        /** The user is a friend already. */
        ALREADY_FRIENDS,
        /** The hello text is longer than {@link Friends#MAX_HELLO_BYTES} bytes of UTF-8. */
        HELLO_TOO_LONG,
        /** A profile field is longer than its limit. */
        PROFILE_TOO_LONG,
        /** The user is not a friend. */
        NOT_A_FRIEND,
        /** There is no pending request from that user. */
        NO_SUCH_REQUEST,
        /** The recipient refused the request's nospam: the address is outdated. */
        NOSPAM_REJECTED,
        /** The recipient holds too many pending requests. */
        RECIPIENT_FULL,
        /** The recipient could not be reached and no DHT node stored the request. */
        UNDELIVERED,
        /** The friend service is stopped. */
        STOPPED
    }

    private final Reason reason;

    public FriendException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public FriendException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Why the operation failed. */
    public Reason reason() {
        return reason;
    }
}
