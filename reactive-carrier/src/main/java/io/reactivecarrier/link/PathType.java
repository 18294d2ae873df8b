package io.reactivecarrier.link;

/**
 * How a link's packets travel.
 *
 * <pre>{@code
 * links.connect(friend)
 *         .filter(link -> link.path() == PathType.RELAYED)
 *         .subscribe(link -> log.info("{} only through a relay", link.peer()));
 * }</pre>
 */
public enum PathType {
    /** Straight to the friend's address (public, LAN, or a NAT mapping it already had). */
    DIRECT,
    /** Through a hole punched in both NATs ({@link NatTraversal}). */
    PUNCHED,
    /** Through a relay circuit: the relay forwards ciphertext it cannot read ({@link RelayServer}). */
    RELAYED
}
