package io.reactivecarrier.link;

import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.PacketAead;
import io.reactivecarrier.crypto.X25519KeyPair;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * A Noise HandshakeState (Noise Protocol Framework revision 34, section 5.3) for the patterns
 * {@link Pattern#IK} and {@link Pattern#XX}, DH 25519, cipher AESGCM or ChaChaPoly (through
 * {@link PacketAead}) and hash SHA256: for example {@code Noise_IK_25519_ChaChaPoly_SHA256}.
 *
 * <p>Friends use IK (the initiator knows the responder's static key from the friend list); XX
 * is there for peers that learn each other's static key during the handshake. The parties
 * alternate {@link #writeMessage(byte[])} and {@link #readMessage(byte[])} until
 * {@link #isComplete()}, then call {@link #split()} once to get the transport cipher states.
 *
 * <p>Strict rules: a message is at most {@value #MAX_MESSAGE_LENGTH} bytes; a message that is
 * short or does not authenticate fails with {@link CryptoException} and the handshake is then
 * dead (every later call throws {@link IllegalStateException}); calls out of turn, after
 * {@link #split()} or a second split throw {@link IllegalStateException}.
 *
 * <p>Not thread-safe: confined to the link's event loop.
 */
final class NoiseHandshake {

    /** Noise's maximum message length. */
    static final int MAX_MESSAGE_LENGTH = 65535;
    /** DHLEN for 25519. */
    static final int DH_LENGTH = 32;

    /** A message token. */
    enum Token { E, S, EE, ES, SE, SS }

    /** The supported handshake patterns (section 7.5). */
    enum Pattern {
        /** {@code <- s ... -> e, es, s, ss  <- e, ee, se}. */
        IK(true, List.of(
                List.of(Token.E, Token.ES, Token.S, Token.SS),
                List.of(Token.E, Token.EE, Token.SE))),
        /** {@code -> e  <- e, ee, s, es  -> s, se}. */
        XX(false, List.of(
                List.of(Token.E),
                List.of(Token.E, Token.EE, Token.S, Token.ES),
                List.of(Token.S, Token.SE)));

        private final boolean responderStaticPreMessage;
        private final List<List<Token>> messages;

        Pattern(boolean responderStaticPreMessage, List<List<Token>> messages) {
            this.responderStaticPreMessage = responderStaticPreMessage;
            this.messages = messages;
        }
    }

    private enum State { IN_PROGRESS, COMPLETE, SPLIT, FAILED }

    private final Pattern pattern;
    private final PacketAead.Algorithm algorithm;
    private final boolean initiator;
    private final NoiseSymmetricState symmetric;
    private final X25519KeyPair s;
    private X25519KeyPair e;
    private byte[] rs;
    private byte[] re;
    private int messageIndex;
    private State state = State.IN_PROGRESS;
    private byte[] finalHash;

    private NoiseHandshake(Pattern pattern, PacketAead.Algorithm algorithm, boolean initiator,
            X25519KeyPair s, byte[] rs, byte[] prologue) {
        if (pattern == null || algorithm == null) {
            throw new IllegalArgumentException("a Noise handshake needs a pattern and a cipher");
        }
        if (s == null) {
            throw new IllegalArgumentException("patterns IK and XX need the local static key pair");
        }
        boolean needsRs = initiator && pattern.responderStaticPreMessage;
        if (needsRs && (rs == null || rs.length != DH_LENGTH)) {
            throw new IllegalArgumentException(pattern + " initiator needs the responder's 32-byte static key");
        }
        if (!needsRs && rs != null) {
            throw new IllegalArgumentException("the remote static key is not known before a " + pattern + " handshake");
        }
        this.pattern = pattern;
        this.algorithm = algorithm;
        this.initiator = initiator;
        this.s = s;
        this.rs = rs == null ? null : rs.clone();
        this.symmetric = new NoiseSymmetricState(protocolName(pattern, algorithm), algorithm);
        symmetric.mixHash(prologue == null ? new byte[0] : prologue);
        if (pattern.responderStaticPreMessage) {
            symmetric.mixHash(initiator ? this.rs : s.publicKey());
        }
    }

    /** The initiator of a handshake; {@code remoteStatic} is the responder's key for IK, null for XX. */
    static NoiseHandshake initiator(Pattern pattern, PacketAead.Algorithm algorithm, X25519KeyPair localStatic,
            byte[] remoteStatic, byte[] prologue) {
        return new NoiseHandshake(pattern, algorithm, true, localStatic, remoteStatic, prologue);
    }

    /** The responder of a handshake. */
    static NoiseHandshake responder(Pattern pattern, PacketAead.Algorithm algorithm, X25519KeyPair localStatic,
            byte[] prologue) {
        return new NoiseHandshake(pattern, algorithm, false, localStatic, null, prologue);
    }

    /** The Noise protocol name, for example {@code Noise_XX_25519_AESGCM_SHA256}. */
    static String protocolName(Pattern pattern, PacketAead.Algorithm algorithm) {
        String cipher = algorithm == PacketAead.Algorithm.AES_256_GCM ? "AESGCM" : "ChaChaPoly";
        return "Noise_" + pattern + "_25519_" + cipher + "_SHA256";
    }

    String protocolName() {
        return protocolName(pattern, algorithm);
    }

    /** Fixes the ephemeral key pair instead of a random one: for test vectors only. */
    void useEphemeralForTesting(X25519KeyPair ephemeral) {
        if (messageIndex != 0 || e != null) {
            throw new IllegalStateException("the ephemeral key must be set before the first message");
        }
        this.e = ephemeral;
    }

    boolean isInitiator() {
        return initiator;
    }

    /** Whether the next step of this party is {@link #writeMessage(byte[])}. */
    boolean isMyTurnToWrite() {
        return state == State.IN_PROGRESS && (messageIndex % 2 == 0) == initiator;
    }

    boolean isComplete() {
        return state == State.COMPLETE || state == State.SPLIT;
    }

    /** Writes the next handshake message, carrying {@code payload} (encrypted once a key exists). */
    byte[] writeMessage(byte[] payload) {
        requireTurn(true);
        byte[] body = payload == null ? new byte[0] : payload;
        List<Token> tokens = pattern.messages.get(messageIndex);
        int length = messageLength(tokens, body.length);
        if (length > MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("Noise message of " + length + " bytes exceeds " + MAX_MESSAGE_LENGTH);
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(length);
            for (Token token : tokens) {
                switch (token) {
                    case E -> {
                        if (e == null) {
                            e = X25519KeyPair.generate();
                        }
                        byte[] pub = e.publicKey();
                        out.writeBytes(pub);
                        symmetric.mixHash(pub);
                    }
                    case S -> out.writeBytes(symmetric.encryptAndHash(s.publicKey()));
                    default -> dh(token);
                }
            }
            out.writeBytes(symmetric.encryptAndHash(body));
            advance();
            return out.toByteArray();
        } catch (RuntimeException ex) {
            fail();
            throw ex;
        }
    }

    /**
     * Reads the next handshake message and returns its payload. Fails with
     * {@link CryptoException} when the message is too long, too short or does not authenticate.
     */
    byte[] readMessage(byte[] message) {
        requireTurn(false);
        try {
            if (message == null || message.length > MAX_MESSAGE_LENGTH) {
                throw new CryptoException("Noise message longer than " + MAX_MESSAGE_LENGTH + " bytes");
            }
            int offset = 0;
            for (Token token : pattern.messages.get(messageIndex)) {
                switch (token) {
                    case E -> {
                        re = take(message, offset, DH_LENGTH);
                        offset += DH_LENGTH;
                        symmetric.mixHash(re);
                    }
                    case S -> {
                        int n = DH_LENGTH + (symmetric.hasKey() ? PacketAead.TAG_LENGTH : 0);
                        byte[] encrypted = take(message, offset, n);
                        offset += n;
                        rs = symmetric.decryptAndHash(encrypted);
                    }
                    default -> dh(token);
                }
            }
            byte[] rest = Arrays.copyOfRange(message, offset, message.length);
            if (symmetric.hasKey() && rest.length < PacketAead.TAG_LENGTH) {
                throw new CryptoException("Noise message too short for its payload tag");
            }
            byte[] payload = symmetric.decryptAndHash(rest);
            advance();
            return payload;
        } catch (RuntimeException ex) {
            fail();
            throw ex;
        }
    }

    /** The handshake hash h, for channel binding; only once the handshake is complete. */
    byte[] handshakeHash() {
        if (!isComplete()) {
            throw new IllegalStateException("the handshake hash is final only when the handshake is complete");
        }
        return finalHash.clone();
    }

    /** The remote party's static public key: known from the start (IK initiator) or learned; else null. */
    byte[] remoteStatic() {
        return rs == null ? null : rs.clone();
    }

    /**
     * Split(): the transport cipher states, oriented for this party. Allowed once, after the
     * last handshake message; the handshake state is wiped.
     */
    NoiseTransport split() {
        if (state != State.COMPLETE) {
            throw new IllegalStateException("split needs a complete handshake that was not split yet: " + state);
        }
        NoiseCipherState[] pair = symmetric.split();
        state = State.SPLIT;
        e = null;
        re = null;
        NoiseCipherState send = initiator ? pair[0] : pair[1];
        NoiseCipherState receive = initiator ? pair[1] : pair[0];
        return new NoiseTransport(send, receive, finalHash.clone(), remoteStatic());
    }

    private void dh(Token token) {
        byte[] secret = switch (token) {
            case EE -> e.agree(re);
            case SS -> s.agree(rs);
            case ES -> initiator ? e.agree(rs) : s.agree(re);
            case SE -> initiator ? s.agree(re) : e.agree(rs);
            default -> throw new IllegalStateException("not a DH token: " + token);
        };
        symmetric.mixKey(secret);
        Arrays.fill(secret, (byte) 0);
    }

    private int messageLength(List<Token> tokens, int payloadLength) {
        boolean key = symmetric.hasKey();
        long length = 0;
        for (Token token : tokens) {
            switch (token) {
                case E -> length += DH_LENGTH;
                case S -> length += DH_LENGTH + (key ? PacketAead.TAG_LENGTH : 0);
                default -> key = true;
            }
        }
        length += payloadLength + (key ? PacketAead.TAG_LENGTH : 0);
        return (int) Math.min(length, Integer.MAX_VALUE);
    }

    private void requireTurn(boolean write) {
        if (state != State.IN_PROGRESS) {
            throw new IllegalStateException("Noise handshake is " + state + ": no more handshake messages");
        }
        if (isMyTurnToWrite() != write) {
            throw new IllegalStateException("out of turn: this party must " + (write ? "read" : "write") + " now");
        }
    }

    private void advance() {
        messageIndex++;
        if (messageIndex == pattern.messages.size()) {
            state = State.COMPLETE;
            finalHash = symmetric.handshakeHash();
        }
    }

    private void fail() {
        state = State.FAILED;
        symmetric.destroy();
        e = null;
    }

    private static byte[] take(byte[] message, int offset, int length) {
        if (message.length - offset < length) {
            throw new CryptoException("Noise message too short");
        }
        return Arrays.copyOfRange(message, offset, offset + length);
    }

    @Override
    public String toString() {
        return "NoiseHandshake[" + protocolName() + ", " + (initiator ? "initiator" : "responder")
                + ", message " + messageIndex + ", " + state + ", keys=<redacted>]";
    }
}
