package io.reactivecarrier.core;

/**
 * A user id or address text could not be parsed. {@link #reason()} says why, and the message
 * says what to do (ask the friend to share the address again, copy it whole).
 *
 * <pre>{@code
 * try {
 *     Address.parse(text);
 * } catch (InvalidAddressException e) {
 *     log.warn(e.getMessage());                    // says what is wrong and what to do
 * }
 * }</pre>
 */
public final class InvalidAddressException extends CarrierException {

    private static final long serialVersionUID = 1L;

    /** Why the text was rejected. */
    public enum Reason {
        /** A character outside the Base58 alphabet. */
        NOT_BASE58,
        /** The decoded bytes have the wrong length for a user id or an address. */
        WRONG_LENGTH,
        /** The checksum does not match: a typo or a truncated copy. */
        BAD_CHECKSUM
    }

    private final Reason reason;

    public InvalidAddressException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
