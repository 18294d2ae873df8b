package io.reactivecarrier.link;

import io.reactivecarrier.core.UserId;
import reactor.core.publisher.Mono;

/**
 * Finds how to reach a friend: its static link key and its endpoints. Backed by the DHT peer
 * record that the friend signs; a fixed table in tests. The link layer does not depend on the
 * DHT: the node wires a resolver in.
 *
 * <pre>{@code
 * PeerResolver resolver = DhtPeerResolver.over(dht);             // what the node wires in
 * PeerResolver table = friend -> Mono.justOrEmpty(contacts.get(friend));   // a fixed table in tests
 * LinkManager links = LinkManager.create(transport, router, identity, resolver, LinkOptions.create());
 * }</pre>
 */
@FunctionalInterface
public interface PeerResolver {

    /** The friend's contact, empty when it is not found (the friend is offline or unknown). */
    Mono<PeerContact> resolve(UserId friend);
}
