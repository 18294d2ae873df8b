package io.reactivecarrier;

import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.Dht;
import io.reactivecarrier.dht.NatInfo;
import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.friend.Friends;
import io.reactivecarrier.message.Messages;
import io.reactivecarrier.session.FileTransfers;
import io.reactivecarrier.session.PortForwarding;
import io.reactivecarrier.session.Sessions;
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
     * The friend list: requests, accept/refuse, remove, labels, profile, presence and events.
     * Two nodes open a link only once they are friends.
     */
    Friends friends();

    /**
     * Messages to and from friends: sent over the link with receipts when the friend is online,
     * through the friend's DHT mailbox (sealed to them) when not; exactly once. {@code send} completes
     * with a {@link io.reactivecarrier.message.Receipt} (DELIVERED or STORED_OFFLINE); {@code enqueue}
     * completes as soon as the message is durable in the outbox.
     */
    Messages messages();

    /**
     * This node's external address and NAT type, as distinct DHT nodes reported it in their
     * PONGs ({@link NatInfo#UNKNOWN} until two of them agree or disagree).
     */
    NatInfo natInfo();

    /**
     * Streams to friends: reliable or unreliable, encrypted by default, multiplexed
     * ({@code sessions().open(friend, StreamOptions.reliable())}, {@code sessions().requests()}),
     * over the node's friend links and its UDP socket.
     */
    Sessions sessions();

    /**
     * Port forwarding over streams: {@code forwarding().addService("web", "127.0.0.1", 8080)} makes
     * a local service reachable to friends; {@code forwarding().forward(friend, "web", localBind)}
     * makes a friend's service appear on a local TCP port.
     */
    PortForwarding forwarding();

    /**
     * File transfer over streams: {@code files().send(friend, path)} with progress,
     * {@code files().incoming()} to accept or refuse, resumable and verified by SHA-256.
     */
    FileTransfers files();
}
