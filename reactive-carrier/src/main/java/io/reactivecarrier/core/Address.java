package io.reactivecarrier.core;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The shareable address of a node: its {@link UserId}, a 4-byte anti-spam value (nospam) and a
 * 4-byte checksum, in Base58. A friend request must name the current nospam; changing it makes
 * every address shared before useless for new requests (existing friends are not affected).
 *
 * <p>Layout (40 bytes before Base58): {@code public key (32) | nospam (4, big-endian) |
 * checksum (4)}, where the checksum is the first 4 bytes of SHA-256 over the first 36 bytes. A
 * typo is caught with probability 1 - 2<sup>-32</sup>.
 *
 * <pre>{@code
 * Address address = Address.parse(text);   // InvalidAddressException on a typo
 * node.friends().request(address, "hi, it's Alice");
 * }</pre>
 */
public final class Address {

    /** Length of the decoded address in bytes. */
    public static final int LENGTH = UserId.LENGTH + 4 + 4;

    private final UserId userId;
    private final int nospam;
    private final String text;

    private Address(UserId userId, int nospam) {
        this.userId = userId;
        this.nospam = nospam;
        this.text = Base58.encode(bytes(userId.bytesUnsafe(), nospam));
    }

    /** The address of a user id with a nospam value. */
    public static Address of(UserId userId, int nospam) {
        if (userId == null) {
            throw new NullPointerException("userId");
        }
        return new Address(userId, nospam);
    }

    /**
     * Parses the Base58 text of an address.
     *
     * @throws InvalidAddressException {@code NOT_BASE58}, {@code WRONG_LENGTH} or {@code BAD_CHECKSUM}
     */
    public static Address parse(String text) {
        byte[] bytes = UserId.decode(text, "address");
        if (bytes.length != LENGTH) {
            if (bytes.length == UserId.LENGTH) {
                throw new InvalidAddressException(InvalidAddressException.Reason.WRONG_LENGTH,
                        "wrong length: this is a user id, not an address; a friend request needs the full address"
                                + " (ask the friend for it: node.address())");
            }
            throw new InvalidAddressException(InvalidAddressException.Reason.WRONG_LENGTH,
                    "wrong length: an address decodes to " + LENGTH + " bytes, this text decodes to " + bytes.length
                            + "; copy the address whole");
        }
        byte[] expected = checksum(bytes, UserId.LENGTH + 4);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(bytes, UserId.LENGTH + 4, LENGTH))) {
            throw new InvalidAddressException(InvalidAddressException.Reason.BAD_CHECKSUM,
                    "bad checksum in address '" + UserId.abbreviate(text) + "': it was mistyped or truncated;"
                            + " copy it again from the friend");
        }
        int nospam = ByteBuffer.wrap(bytes, UserId.LENGTH, 4).getInt();
        return new Address(UserId.of(Arrays.copyOf(bytes, UserId.LENGTH)), nospam);
    }

    public UserId userId() {
        return userId;
    }

    public int nospam() {
        return nospam;
    }

    /** This address with another nospam value. */
    public Address withNospam(int newNospam) {
        return new Address(userId, newNospam);
    }

    /** The 40 decoded bytes. */
    public byte[] toBytes() {
        return bytes(userId.bytesUnsafe(), nospam);
    }

    private static byte[] bytes(byte[] key, int nospam) {
        byte[] out = new byte[LENGTH];
        System.arraycopy(key, 0, out, 0, UserId.LENGTH);
        ByteBuffer.wrap(out, UserId.LENGTH, 4).putInt(nospam);
        System.arraycopy(checksum(out, UserId.LENGTH + 4), 0, out, UserId.LENGTH + 4, 4);
        return out;
    }

    private static byte[] checksum(byte[] data, int length) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(data, 0, length);
            return Arrays.copyOf(sha.digest(), 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Address other && nospam == other.nospam && userId.equals(other.userId);
    }

    @Override
    public int hashCode() {
        return userId.hashCode() * 31 + nospam;
    }

    /** The Base58 text to share. */
    @Override
    public String toString() {
        return text;
    }
}
