package io.reactivecarrier.dht;

/**
 * A change of the routing table.
 *
 * @param type what happened
 * @param node the node it happened to
 *
 * <pre>{@code
 * dht.events()
 *         .filter(e -> e.type() == RoutingTableEvent.Type.VERIFIED)
 *         .subscribe(e -> log.info("{} joined the routing table", e.node()));
 * }</pre>
 */
public record RoutingTableEvent(Type type, NodeInfo node) {

    /** The kind of change. */
    public enum Type {
        /** A node entered a bucket (still unverified). */
        ADDED,
        /** A node answered one of our RPCs: it may now be handed to others. */
        VERIFIED,
        /** A node left the table (failed liveness checks or replaced). */
        REMOVED
    }
}
