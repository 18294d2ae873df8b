package io.reactivecarrier.core;

import java.util.Arrays;

/**
 * A user's identity: the 32-byte Ed25519 public key of the node's long-term key pair, shown in
 * Base58. Friends are known by their user id. To send a friend request, use the longer
 * {@link Address}, which adds the anti-spam value and a checksum.
 *
 * <pre>{@code
 * UserId id = UserId.parse("7Q3b...");
 * }</pre>
 */
public final class UserId implements Comparable<UserId> {

    /** Length of the public key in bytes. */
    public static final int LENGTH = 32;

    private final byte[] key;
    private final String text;

    private UserId(byte[] key) {
        this.key = key;
        this.text = Base58.encode(key);
    }

    /** The user id of a 32-byte Ed25519 public key. */
    public static UserId of(byte[] publicKey) {
        if (publicKey == null || publicKey.length != LENGTH) {
            throw new InvalidAddressException(InvalidAddressException.Reason.WRONG_LENGTH,
                    "wrong length: a user id is a " + LENGTH + "-byte public key, got "
                            + (publicKey == null ? "null" : publicKey.length + " bytes"));
        }
        return new UserId(publicKey.clone());
    }

    /**
     * Parses the Base58 text of a user id.
     *
     * @throws InvalidAddressException {@code NOT_BASE58} or {@code WRONG_LENGTH}
     */
    public static UserId parse(String text) {
        byte[] bytes = decode(text, "user id");
        if (bytes.length != LENGTH) {
            if (bytes.length == Address.LENGTH) {
                throw new InvalidAddressException(InvalidAddressException.Reason.WRONG_LENGTH,
                        "wrong length: this is an address, not a user id; use Address.parse(...).userId()");
            }
            throw new InvalidAddressException(InvalidAddressException.Reason.WRONG_LENGTH,
                    "wrong length: a user id decodes to " + LENGTH + " bytes, this text decodes to " + bytes.length);
        }
        return new UserId(bytes);
    }

    static byte[] decode(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new InvalidAddressException(InvalidAddressException.Reason.WRONG_LENGTH, "empty " + what);
        }
        try {
            return Base58.decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidAddressException(InvalidAddressException.Reason.NOT_BASE58,
                    e.getMessage() + " in " + what + " '" + abbreviate(text) + "'; copy the " + what + " whole");
        }
    }

    static String abbreviate(String text) {
        return text.length() <= 16 ? text : text.substring(0, 8) + "…" + text.substring(text.length() - 4);
    }

    /** A copy of the 32-byte public key. */
    public byte[] toBytes() {
        return key.clone();
    }

    /** The key without copying, for this library's own codecs. Callers must not modify it. */
    byte[] bytesUnsafe() {
        return key;
    }

    /** A short form for logs: the first 8 characters. */
    public String shortString() {
        return text.substring(0, Math.min(8, text.length()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UserId other && Arrays.equals(key, other.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public int compareTo(UserId o) {
        return Arrays.compareUnsigned(key, o.key);
    }

    /** The Base58 text. */
    @Override
    public String toString() {
        return text;
    }
}
