package io.reactivecarrier.dht;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The DHT as the rest of the node uses it ({@code node.dht()}). Every lookup is cancellable:
 * cancelling the returned Mono stops its RPCs.
 *
 * <pre>{@code
 * node.dht().findPeer(friend.toBytes())          // the friend's signed peer record
 *         .subscribe(record -> log.info("{} is at {}", friend, record.endpoints()));
 * }</pre>
 */
public interface Dht {

    /** This node's id. */
    NodeId id();

    /**
     * The (up to k) closest nodes to {@code target} that answered us, closest first. When a node
     * with id {@code target} exists, the lookup ends as soon as it answered or an answering node
     * named it, and it comes first (its address as that node reported it: contact it through an
     * authenticated handshake).
     */
    Mono<List<NodeInfo>> findNode(NodeId target);

    /**
     * The values stored under {@code key}: an immutable value (checked against its hash), the
     * mutable value with the highest sequence number (signature checked), or every sealed entry
     * of the set. Empty list when none is found.
     */
    Mono<List<DhtValue>> findValue(NodeId key);

    /**
     * Every live entry of the sealed set under {@code key} (a mailbox), read page by page from
     * each of the k closest nodes (and from this node's own store, which may be one of them) and
     * deduplicated by entry id. Completes when all have answered.
     */
    Flux<DhtValue.Sealed> sealedEntries(NodeId key);

    /**
     * Stores {@code value} on the k closest nodes to its key: emits how many other nodes stored it.
     * This node keeps a copy too when it is one of the k closest (a reader never asks itself).
     */
    Mono<Integer> storeValue(DhtValue value);

    /** Compare-and-swap: stored only where the current sequence number is {@code expectedSeq}. */
    Mono<Integer> storeValue(DhtValue.Mutable value, long expectedSeq);

    /** Deletes a sealed entry with the recipient's signature: emits how many nodes deleted it. */
    Mono<Integer> deleteSealed(NodeId key, NodeId entryId, Ed25519KeyPair recipient);

    /**
     * Deletes several sealed entries under one key: {@link DhtNode} finds the closest nodes once
     * for the whole batch. Emits how many deletions (node and entry) succeeded.
     */
    default Mono<Integer> deleteSealed(NodeId key, List<NodeId> entryIds, Ed25519KeyPair recipient) {
        return Flux.fromIterable(entryIds).flatMap(id -> deleteSealed(key, id, recipient), 16).reduce(0, Integer::sum);
    }

    /** Stores a signed peer record on the k closest nodes to its key: emits how many stored it. */
    Mono<Integer> announcePeer(PeerRecord record);

    /** The valid, unexpired peer record of {@code userId} with the highest seq, if any. */
    Mono<PeerRecord> findPeer(byte[] userId);

    /** Changes of the routing table (hot; late subscribers see only later changes). */
    Flux<RoutingTableEvent> events();
}
