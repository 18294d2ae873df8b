package io.reactivecarrier.wire;

/**
 * The one error a decoder throws: the input is truncated, oversized, of unknown kind, malformed
 * or followed by trailing bytes. It is cheap (no stack trace): decoders see hostile input all day.
 *
 * <pre>{@code
 * // a decoder rejects hostile input before it allocates:
 * if (in.length < 2) {
 *     throw new DecodeException(DecodeException.Reason.TRUNCATED, "packet of " + in.length + " bytes");
 * }
 * // a receiver drops the datagram and counts it by reason:
 * catch (DecodeException e) { registry.counter("dropped", "reason", e.reason().name()).increment(); }
 * }</pre>
 */
public final class DecodeException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a datagram was rejected; doubles as the metrics tag of the drop counter. */
    public enum Reason {
        TRUNCATED, OVERSIZED, UNKNOWN_KIND, BAD_VERSION, MALFORMED, TRAILING_BYTES, AUTHENTICATION
    }

    private final Reason reason;

    public DecodeException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
