package io.reactivecarrier.core;

/**
 * The root of every error reactive-carrier delivers in a {@code Mono.error} or throws on API
 * misuse. Each subclass says what is wrong and what to do about it.
 *
 * <pre>{@code
 * node.friends().request(address, "hi")
 *         .onErrorResume(CarrierException.class, e -> { log.warn(e.getMessage()); return Mono.empty(); });
 * }</pre>
 */
public abstract class CarrierException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    protected CarrierException(String message) {
        super(message);
    }

    protected CarrierException(String message, Throwable cause) {
        super(message, cause);
    }
}
