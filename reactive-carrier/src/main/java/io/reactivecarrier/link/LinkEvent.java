package io.reactivecarrier.link;

import io.reactivecarrier.core.UserId;
import java.net.InetSocketAddress;

/**
 * A change of a friend link, from {@link LinkManager#events()}.
 *
 * @param type what happened
 * @param peer the friend
 * @param remoteAddress the friend's address after the change
 *
 * <pre>{@code
 * links.events()
 *         .filter(e -> e.type() == LinkEvent.Type.UP)
 *         .subscribe(e -> log.info("{} is online at {}", e.peer(), e.remoteAddress()));
 * }</pre>
 */
public record LinkEvent(Type type, UserId peer, InetSocketAddress remoteAddress) {

    /** The kind of change. */
    public enum Type {
        /** The link works: a handshake completed, or authenticated packets arrive again after DOWN. */
        UP,
        /** Nothing authenticated arrived for {@link LinkOptions#deadAfter()}, or the link was closed. */
        DOWN,
        /** Authenticated packets now come from another address (the friend roamed or its NAT rebound). */
        ADDRESS_CHANGED
    }
}
