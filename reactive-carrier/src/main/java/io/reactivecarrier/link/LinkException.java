package io.reactivecarrier.link;

import io.reactivecarrier.core.CarrierException;

/**
 * A friend link could not be established or was closed: the friend was not found, its published
 * static key is not bound to its user id, it did not answer the handshake, or the link manager
 * is closed. The message says which, and what to do.
 *
 * <pre>{@code
 * links.connect(friend)
 *         .onErrorResume(LinkException.class, e -> {
 *             log.info("{} not reachable ({}): {}", friend, e.reason(), e.getMessage());
 *             return Mono.empty();
 *         })
 *         .subscribe(link -> link.send(0x60, payload));
 * }</pre>
 */
public final class LinkException extends CarrierException {

    private static final long serialVersionUID = 1L;

    /** Why the link failed. */
    public enum Reason {
        /** The resolver knows no contact for the friend: it is offline or unknown. */
        NOT_FOUND,
        /** The contact's binding signature does not bind its static key to the friend's user id. */
        BAD_BINDING,
        /** No handshake response arrived after all attempts. */
        TIMEOUT,
        /** The link manager was closed, or the link disconnected while connecting. */
        CLOSED
    }

    private final Reason reason;

    LinkException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    LinkException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
