package io.reactivecarrier.link;

import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.PacketAead;

/**
 * The result of a Noise handshake's split: a cipher state for sending and one for receiving,
 * already oriented for this party, plus the handshake hash and the peer's static key. Transport
 * messages use an empty associated data and Noise's implicit nonces (section 5.1), so they must
 * be received in order; a link that wants a replay window can instead take the raw keys with
 * {@link #sendKey()} and {@link #receiveKey()} and number its packets with {@link PacketAead}.
 *
 * <p>Not thread-safe.
 */
final class NoiseTransport {

    private static final byte[] EMPTY = new byte[0];

    private final NoiseCipherState send;
    private final NoiseCipherState receive;
    private final byte[] handshakeHash;
    private final byte[] remoteStatic;

    NoiseTransport(NoiseCipherState send, NoiseCipherState receive, byte[] handshakeHash, byte[] remoteStatic) {
        this.send = send;
        this.receive = receive;
        this.handshakeHash = handshakeHash;
        this.remoteStatic = remoteStatic;
    }

    /** Encrypts a transport message: at most 65535 bytes including the tag. */
    byte[] encrypt(byte[] payload) {
        if (payload.length > NoiseHandshake.MAX_MESSAGE_LENGTH - PacketAead.TAG_LENGTH) {
            throw new IllegalArgumentException("Noise transport payload of " + payload.length + " bytes is too large");
        }
        return send.encryptWithAd(EMPTY, payload);
    }

    /** Decrypts the next transport message; {@link CryptoException} when it does not authenticate. */
    byte[] decrypt(byte[] message) {
        if (message.length > NoiseHandshake.MAX_MESSAGE_LENGTH) {
            throw new CryptoException("Noise message longer than " + NoiseHandshake.MAX_MESSAGE_LENGTH + " bytes");
        }
        if (message.length < PacketAead.TAG_LENGTH) {
            throw new CryptoException("Noise transport message shorter than its tag");
        }
        return receive.decryptWithAd(EMPTY, message);
    }

    NoiseCipherState sender() {
        return send;
    }

    NoiseCipherState receiver() {
        return receive;
    }

    /** A copy of the sending key. */
    byte[] sendKey() {
        return send.key();
    }

    /** A copy of the receiving key. */
    byte[] receiveKey() {
        return receive.key();
    }

    byte[] handshakeHash() {
        return handshakeHash.clone();
    }

    byte[] remoteStatic() {
        return remoteStatic == null ? null : remoteStatic.clone();
    }

    @Override
    public String toString() {
        return "NoiseTransport[send=" + send + ", receive=" + receive + "]";
    }
}
