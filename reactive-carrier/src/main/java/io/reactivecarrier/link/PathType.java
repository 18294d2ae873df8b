package io.reactivecarrier.link;

/** How a link's packets travel. */
public enum PathType {
    /** Straight to the friend's address (public, LAN, or a NAT mapping it already had). */
    DIRECT,
    /** Through a hole punched in both NATs (reserved: a later issue). */
    PUNCHED,
    /** Through a relay node (reserved: a later issue). */
    RELAYED
}
