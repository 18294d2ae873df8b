package io.reactivecarrier.session;

import io.reactivecarrier.core.CarrierException;

/**
 * A stream or channel failed or was closed; {@link #reason()} says why.
 *
 * <pre>{@code
 * node.sessions().open(friend, StreamOptions.reliable())
 *         .onErrorResume(StreamException.class, e -> e.reason() == StreamException.Reason.REFUSED
 *                 ? Mono.empty() : Mono.error(e));
 * }</pre>
 */
public final class StreamException extends CarrierException {

    private static final long serialVersionUID = 1L;

    /** Why a stream operation failed. */
    public enum Reason {
        /** Closed by this side. */
        CLOSED,
        /** Closed by the peer (the message carries the peer's reason). */
        CLOSED_BY_PEER,
        /** Nothing heard from the peer within {@link StreamOptions#idleTimeout()}. */
        IDLE_TIMEOUT,
        /** The peer refused the stream or channel. */
        REFUSED,
        /** The friend could not be reached. */
        UNREACHABLE,
        /** The peer broke the protocol (flow control, frames). */
        PROTOCOL
    }

    private final Reason reason;

    public StreamException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public StreamException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Why the stream failed. */
    public Reason reason() {
        return reason;
    }
}
