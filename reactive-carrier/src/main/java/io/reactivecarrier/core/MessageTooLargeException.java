package io.reactivecarrier.core;

/**
 * A message is larger than the limit of the messaging layer; split it, or send it over a stream.
 *
 * <pre>{@code
 * node.messages().send(friend, hugeBody)
 *         .onErrorResume(MessageTooLargeException.class, e -> sendOverStream(friend, hugeBody));
 * }</pre>
 */
public final class MessageTooLargeException extends CarrierException {

    private static final long serialVersionUID = 1L;

    private final long size;
    private final long limit;

    public MessageTooLargeException(long size, long limit) {
        super("a message of " + size + " bytes is over the limit of " + limit + " bytes (MessageOptions.maxMessageBytes);"
                + " split it into several messages or send it over a session stream");
        this.size = size;
        this.limit = limit;
    }

    /** The size of the rejected message in bytes. */
    public long size() {
        return size;
    }

    /** The limit in bytes. */
    public long limit() {
        return limit;
    }
}
