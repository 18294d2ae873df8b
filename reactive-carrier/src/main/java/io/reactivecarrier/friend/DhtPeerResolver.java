package io.reactivecarrier.friend;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.Dht;
import io.reactivecarrier.link.PeerContact;
import io.reactivecarrier.link.PeerResolver;
import java.util.Objects;

/**
 * A {@link PeerResolver} over the DHT: a friend's contact is its signed peer record. The record
 * is signed by the friend's identity and names its node id, which is its static link key, so
 * the key needs no separate binding.
 *
 * <pre>{@code
 * PeerResolver resolver = DhtPeerResolver.over(dht);
 * resolver.resolve(friend).subscribe(contact -> log.info("{} at {}", friend, contact.endpoints()));
 * LinkManager links = LinkManager.create(transport, router, identity, resolver, LinkOptions.create());
 * }</pre>
 */
public final class DhtPeerResolver {

    private DhtPeerResolver() {
    }

    /** The resolver that reads peer records from {@code dht}. */
    public static PeerResolver over(Dht dht) {
        Objects.requireNonNull(dht, "dht");
        return (UserId friend) -> dht.findPeer(friend.toBytes())
                .filter(r -> java.util.Arrays.equals(r.userId(), friend.toBytes()) && r.verify())
                .map(r -> new PeerContact(friend, r.nodeId().bytes(), null, r.endpoints()));
    }
}
