package io.reactivecarrier.dht;

/** A value (or salt) is larger than the DHT accepts. The message names the limit. */
public final class ValueTooLargeException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    ValueTooLargeException(String what, int size, int limit, String constant) {
        super(what + " of " + size + " bytes exceeds the limit of " + limit + " bytes (" + constant
                + "); split it or store it elsewhere and put its hash in the DHT");
    }
}
