package io.reactivecarrier.dht;

/**
 * A value (or salt) is larger than the DHT accepts. The message names the limit.
 *
 * <pre>{@code
 * try {
 *     dht.storeValue(DhtValue.immutable(data, expiresAt)).subscribe();
 * } catch (ValueTooLargeException e) {   // thrown at once for data over DhtValue.MAX_DATA_BYTES
 *     log.warn(e.getMessage());          // names the limit and what to do instead
 * }
 * }</pre>
 */
public final class ValueTooLargeException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    ValueTooLargeException(String what, int size, int limit, String constant) {
        super(what + " of " + size + " bytes exceeds the limit of " + limit + " bytes (" + constant
                + "); split it or store it elsewhere and put its hash in the DHT");
    }
}
