package io.reactivecarrier.link;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A node's keys as the link layer sees them: the Ed25519 identity (the user id) and the static
 * X25519 key of its handshakes (the node's DHT key), bound together by a signature.
 *
 * @param identity the long-term identity key pair
 * @param staticKey the static X25519 key pair of the Noise handshake
 *
 * <pre>{@code
 * LinkIdentity me = new LinkIdentity(Ed25519KeyPair.generate(), X25519KeyPair.generate());
 * byte[] binding = me.binding();   // published with the static key, e.g. in a peer record
 * boolean ok = LinkIdentity.verifyBinding(me.userId(), me.staticKey().publicKey(), binding);
 * LinkManager links = LinkManager.create(transport, router, me, resolver, LinkOptions.create());
 * }</pre>
 */
public record LinkIdentity(Ed25519KeyPair identity, X25519KeyPair staticKey) {

    /** The context of the binding signature: {@code sig = Ed25519.sign(CONTEXT || staticPub)}. */
    static final byte[] BINDING_CONTEXT = "reactive-carrier link static v1".getBytes(StandardCharsets.US_ASCII);

    public LinkIdentity {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(staticKey, "staticKey");
    }

    /** The user id of the identity key. */
    public UserId userId() {
        return UserId.of(identity.publicKey());
    }

    /** The 64-byte signature that binds the static key to the user id; publish it with the static key. */
    public byte[] binding() {
        return identity.sign(bindingMessage(staticKey.publicKey()));
    }

    /** Whether {@code signature} binds {@code staticKey} to {@code user}. */
    public static boolean verifyBinding(UserId user, byte[] staticKey, byte[] signature) {
        return staticKey != null && staticKey.length == X25519KeyPair.KEY_LENGTH
                && Ed25519KeyPair.verify(user.toBytes(), bindingMessage(staticKey), signature);
    }

    static byte[] bindingMessage(byte[] staticKey) {
        byte[] m = new byte[BINDING_CONTEXT.length + staticKey.length];
        System.arraycopy(BINDING_CONTEXT, 0, m, 0, BINDING_CONTEXT.length);
        System.arraycopy(staticKey, 0, m, BINDING_CONTEXT.length, staticKey.length);
        return m;
    }

    @Override
    public String toString() {
        return "LinkIdentity[" + userId() + "]";
    }
}
