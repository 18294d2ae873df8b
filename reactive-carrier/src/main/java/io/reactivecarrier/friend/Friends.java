package io.reactivecarrier.friend;

import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.link.PathType;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The friend list of a node ({@code node.friends()}): requests, the list, labels, profile and
 * presence. Two nodes talk (open a link) only once they are friends.
 *
 * <pre>{@code
 * node.friends().request(Address.parse(text), "hi, it's Alice")  // Mono<Void>: delivered or stored in the DHT
 * node.friends().requests().flatMap(FriendRequest::accept)        // accept everyone (a demo)
 * node.friends().events().filter(e -> e.type() == FriendEvent.Type.ONLINE)
 * }</pre>
 *
 * <p>Every change is committed to the node's store before its Mono completes: a friend reported
 * as added survives a crash. Errors are {@link FriendException} (or
 * {@link io.reactivecarrier.core.InvalidAddressException} for an address that does not parse).
 */
public interface Friends {

    /** The longest hello text of a request, in bytes of UTF-8. */
    int MAX_HELLO_BYTES = 512;
    /** The longest profile name, in bytes of UTF-8. */
    int MAX_NAME_BYTES = 128;
    /** The longest profile description, in bytes of UTF-8. */
    int MAX_DESCRIPTION_BYTES = 512;

    /**
     * Asks the user of {@code address} to be a friend. Completes when the request reached that
     * node (directly, when it is online) or was stored in the DHT, sealed to it (when it is
     * offline). The request carries the address's nospam: after the user changes its nospam,
     * requests to its old address are refused. When both users request each other, they become
     * friends without an accept.
     *
     * <p>Fails fast ({@link FriendException}) for this node's own address, a current friend,
     * and a hello over {@link #MAX_HELLO_BYTES}; later with {@code NOSPAM_REJECTED} (ask for the
     * current address), {@code RECIPIENT_FULL} or {@code UNDELIVERED} (try again later).
     */
    Mono<Void> request(Address address, String hello);

    /** Same as {@link #request(Address, String)} for an address text; a bad checksum fails at once. */
    Mono<Void> request(String address, String hello);

    /**
     * Incoming requests: first the pending ones (kept across restarts), then new ones as they
     * arrive. Each subscriber gets them all; one that lags far behind loses live ones (they stay
     * pending: subscribe again to see them).
     */
    Flux<FriendRequest> requests();

    /**
     * The requests pending now (received, not yet accepted or refused), oldest first; completes.
     * Unlike {@link #requests()} it does not wait for new ones.
     */
    Flux<FriendRequest> pending();

    /**
     * Accepts the pending request of {@code from}: both become friends. Completes with the new
     * friend once it is stored; the requester is told over a link, or through the DHT mailbox
     * when it is offline. Fails with {@code NO_SUCH_REQUEST} when there is none.
     */
    Mono<Friend> accept(UserId from);

    /** Drops the pending request of {@code from}; the requester is not told. */
    Mono<Void> refuse(UserId from);

    /**
     * Ends a friendship: the friend is forgotten, its link closed and it is told (over the link
     * or through the DHT mailbox). It may request again later. Fails with {@code NOT_A_FRIEND}.
     */
    Mono<Void> remove(UserId friend);

    /** Gives a friend a local label (empty removes it); emits the updated friend. */
    Mono<Friend> label(UserId friend, String label);

    /** The friends, ordered by user id. */
    Flux<Friend> list();

    /** One friend, empty when {@code id} is not a friend. */
    Mono<Friend> friend(UserId id);

    /** Whether {@code id} is a friend now (a memory read: cheap, never blocks). */
    boolean isFriend(UserId id);

    /** A friend's presence now; {@link Presence#OFFLINE} for anyone not a friend. */
    Presence presence(UserId id);

    /**
     * How packets to a friend travel now: {@link PathType#DIRECT DIRECT} (to its address: public,
     * LAN, or a NAT mapping already open), {@link PathType#PUNCHED PUNCHED} (through a hole punched
     * in both NATs) or {@link PathType#RELAYED RELAYED} (through a relay node, which forwards
     * ciphertext it cannot read). Empty while no link to the friend is up (it is offline or not
     * reached yet) and for anyone not a friend. The path can change at any time without the layers
     * above noticing: a relayed link keeps trying to move to a direct one. A memory read: cheap,
     * never blocks.
     *
     * <pre>{@code
     * node.friends().path(bob).ifPresentOrElse(p -> log.info("bob over a {} path", p),
     *         () -> log.info("bob is not linked"));
     * }</pre>
     */
    Optional<PathType> path(UserId id);

    /**
     * Changes of the list and of friends: ADDED, REMOVED, ONLINE, OFFLINE, PRESENCE_CHANGED,
     * PROFILE_CHANGED, LABEL_CHANGED. A hot stream; each subscriber has a bounded buffer
     * ({@link FriendOptions#eventBufferSize()}), and one that lags further loses the oldest.
     */
    Flux<FriendEvent> events();

    /** Sets this node's name and description; sent to friends now and whenever they link. */
    Mono<Void> setProfile(String name, String description);

    /** Sets the status this node shows its friends: ONLINE, AWAY or BUSY. */
    Mono<Void> setStatus(Presence status);

    /**
     * Changes this node's nospam: the address changes, and requests that carry the old nospam
     * are refused from now on (existing friends are not affected). Emits the new address.
     */
    Mono<Address> setNospam(int nospam);

    /** This node's current address (user id, current nospam, checksum). */
    Address address();
}
