package io.reactivecarrier;

import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.Dht;
import io.reactivecarrier.dht.NodeId;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import reactor.core.publisher.Mono;

/**
 * A reactive-carrier node: one identity, one UDP socket, one DHT membership, one data directory.
 * Build it with {@link Carrier#builder()}, then {@link #start()} it.
 *
 * <pre>{@code
 * CarrierNode node = Carrier.builder()
 *         .dataDir(Path.of("alice"))
 *         .bindPort(33445)
 *         .bootstrap("127.0.0.1:33446/<nodeIdHex>")
 *         .build();
 * node.start().block(Duration.ofSeconds(30));
 * String share = node.address().toString();   // give this to friends
 * }</pre>
 *
 * <p>Identity methods ({@link #userId()}, {@link #address()}, ...) are available once
 * {@link #start()} has completed: the identity lives in the data directory, which start opens.
 */
public interface CarrierNode {

    /**
     * Opens the data directory (creating the identity on first start), binds the UDP socket,
     * joins the DHT through the bootstrap nodes and the saved routing table, and announces this
     * node's peer record. Completes when the node is ready. Subscribing twice starts once.
     */
    Mono<Void> start();

    /** Announces nothing more, saves the routing table, closes the socket and the store. */
    Mono<Void> stop();

    /** Whether {@link #start()} completed and {@link #stop()} has not been called. */
    boolean isRunning();

    /** This node's user id (its Ed25519 public key). */
    UserId userId();

    /** This node's shareable address: the user id, the current nospam and a checksum. */
    Address address();

    /** This node's DHT id (its X25519 public key). */
    NodeId nodeId();

    /** The UDP endpoint the node is bound to. */
    InetSocketAddress localAddress();

    /** How other nodes can bootstrap from this one: {@code host:port/nodeIdHex}. */
    BootstrapNode bootstrapInfo();

    /** The node's data directory. */
    Path dataDir();

    /** The DHT: lookups, values, peer records. */
    Dht dht();

    /**
     * Streams to friends: reliable or unreliable, encrypted by default, multiplexed
     * ({@code sessions().open(friend, StreamOptions.reliable())}, {@code sessions().requests()}).
     * They run over the node's friend links ({@code Sessions.create(links, transport, router)});
     * a node without friend links fails here with {@link UnsupportedOperationException}.
     */
    default io.reactivecarrier.session.Sessions sessions() {
        throw new UnsupportedOperationException("this node runs no friend links yet, and streams need them: "
                + "create io.reactivecarrier.session.Sessions over a LinkManager (Sessions.create(links, transport, router))");
    }
}
