package io.reactivecarrier.link;

import io.reactivecarrier.core.UserId;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * How to reach a friend, as a {@link PeerResolver} found it.
 *
 * @param user the friend's user id
 * @param staticKey the friend's static X25519 link key (32 bytes)
 * @param binding the friend's signature binding {@code staticKey} to {@code user}
 *        ({@link LinkIdentity#binding()}), or null when the source already authenticated the key;
 *        when present it is verified before any handshake
 * @param endpoints where the friend may be reached, best first (not empty)
 *
 * <pre>{@code
 * PeerContact bob = new PeerContact(bobIdentity.userId(), bobIdentity.staticKey().publicKey(),
 *         bobIdentity.binding(), List.of(new InetSocketAddress("192.0.2.10", 33445)));
 * PeerResolver fixed = friend -> friend.equals(bob.user()) ? Mono.just(bob) : Mono.empty();
 * }</pre>
 */
public record PeerContact(UserId user, byte[] staticKey, byte[] binding, List<InetSocketAddress> endpoints) {

    public PeerContact {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(staticKey, "staticKey");
        if (staticKey.length != 32) {
            throw new IllegalArgumentException("a static link key has 32 bytes, got " + staticKey.length);
        }
        staticKey = staticKey.clone();
        binding = binding == null ? null : binding.clone();
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a contact needs at least one endpoint");
        }
    }

    @Override
    public byte[] staticKey() {
        return staticKey.clone();
    }

    @Override
    public byte[] binding() {
        return binding == null ? null : binding.clone();
    }
}
