package io.reactivecarrier.session;

import io.reactivecarrier.core.CarrierException;

/**
 * A file transfer failed; {@link #reason()} says why.
 *
 * <pre>{@code
 * node.files().send(friend, Path.of("video.mkv"))
 *         .onErrorResume(FileTransferException.class, e -> {
 *             log.warn("failed ({}): {}", e.reason(), e.getMessage());   // INTERRUPTED: send again to resume
 *             return Flux.empty();
 *         })
 *         .subscribe();
 * }</pre>
 */
public final class FileTransferException extends CarrierException {

    private static final long serialVersionUID = 1L;

    /** Why a transfer failed. */
    public enum Reason {
        /** The receiver refused the file. */
        REFUSED,
        /** One side cancelled the transfer. */
        CANCELLED,
        /** The stream broke off; send again (and accept to the same path) to resume. */
        INTERRUPTED,
        /** The received file's SHA-256 is not the offered one; the partial file was deleted. */
        CORRUPTED,
        /** A file could not be read or written. */
        IO,
        /** The peer broke the transfer protocol. */
        PROTOCOL
    }

    private final Reason reason;

    public FileTransferException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public FileTransferException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Why the transfer failed. */
    public Reason reason() {
        return reason;
    }
}
