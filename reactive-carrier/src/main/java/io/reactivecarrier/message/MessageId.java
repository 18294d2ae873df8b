package io.reactivecarrier.message;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The id of a message: 16 bytes chosen by the sender (a millisecond time prefix and random
 * bytes), the key of dedupe and receipts.
 *
 * <pre>{@code
 * node.messages().enqueue(friend, "hello")             // durable in the outbox
 *     .flatMap(id -> node.messages().delivered(id))
 *     .subscribe(receipt -> log.info("delivered at {}", receipt.atMillis()));
 * }</pre>
 */
public final class MessageId {

    /** Length of an id in bytes. */
    public static final int LENGTH = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] bytes;
    private final int hash;

    private MessageId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /**
     * A new id: 6 bytes of the current time in milliseconds, then 10 random bytes. The time
     * prefix makes ids sent close together sort close together, so the stores' id indexes grow at
     * their end instead of rewriting pages all over (80 random bits keep ids unique).
     */
    public static MessageId random() {
        byte[] b = new byte[LENGTH];
        RANDOM.nextBytes(b);
        long now = System.currentTimeMillis();
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (now >>> (40 - 8 * i));
        }
        return new MessageId(b);
    }

    /** The id of 16 bytes (copied). */
    public static MessageId of(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("a message id has " + LENGTH + " bytes, got "
                    + (bytes == null ? "null" : bytes.length));
        }
        return new MessageId(bytes.clone());
    }

    /** Parses the 32 hex digits of {@link #toString()}. */
    public static MessageId parse(String hex) {
        return of(HexFormat.of().parseHex(hex));
    }

    static MessageId wrap(byte[] bytes) {
        return new MessageId(bytes);
    }

    byte[] raw() {
        return bytes;
    }

    /** A copy of the 16 bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MessageId m && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** 32 lower-case hex digits. */
    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes);
    }
}
