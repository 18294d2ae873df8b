package io.reactivecarrier.samples.spring;

import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.InvalidAddressException;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.DhtValue;
import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The node over HTTP: its identity, and DHT lookups. Every handler returns the node's reactive
 * results directly; nothing blocks the server's event loop.
 *
 * <p>Friends and messages are in {@link FriendsController}.
 */
@RestController
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
public class NodeController {

    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration VALUE_LIFETIME = Duration.ofHours(1);
    private static final int EVENT_BUFFER = 256;

    private final CarrierNode node;

    public NodeController(CarrierNode node) {
        this.node = node;
    }

    /** This node: what to share with friends and with other nodes. */
    public record NodeView(String userId, String address, String nodeId, String localAddress, String bootstrap) {
    }

    /** A DHT node as a lookup found it. */
    public record NodeInfoView(String nodeId, String address) {
        static NodeInfoView of(NodeInfo n) {
            return new NodeInfoView(n.id().toHex(), n.address().toString());
        }
    }

    /** A user's signed peer record: which node serves them, at which endpoints. */
    public record PeerView(String userId, String nodeId, List<String> endpoints, boolean signatureValid) {
    }

    /** A change of the routing table. */
    public record RoutingEventView(String type, String nodeId, String address) {
    }

    /** A value stored in the DHT. */
    public record StoredView(String key, int storedOn) {
    }

    @GetMapping("/node")
    public Mono<NodeView> node() {
        return Mono.fromSupplier(() -> new NodeView(node.userId().toString(), node.address().toString(),
                node.nodeId().toHex(), node.localAddress().toString(), node.bootstrapInfo().toString()));
    }

    /** The closest nodes to {@code nodeId} (64 hex characters), closest first. */
    @GetMapping("/dht/nodes/{nodeId}")
    public Mono<List<NodeInfoView>> findNode(@PathVariable String nodeId) {
        return node.dht().findNode(nodeIdOf(nodeId)).timeout(LOOKUP_TIMEOUT)
                .map(list -> list.stream().map(NodeInfoView::of).toList());
    }

    /** The peer record of a user (Base58 user id), 404 when the DHT has none. */
    @GetMapping("/dht/peers/{userId}")
    public Mono<PeerView> findPeer(@PathVariable String userId) {
        UserId id;
        try {
            id = UserId.parse(userId);
        } catch (InvalidAddressException e) {
            return Mono.error(new ResponseStatusException(HttpStatus.BAD_REQUEST, "user id: " + e.getMessage()));
        }
        return node.dht().findPeer(id.toBytes()).timeout(LOOKUP_TIMEOUT)
                .map(r -> new PeerView(UserId.of(r.userId()).toString(), r.nodeId().toHex(),
                        r.endpoints().stream().map(Object::toString).toList(), r.verify()))
                .switchIfEmpty(Mono.error(new ResponseStatusException(HttpStatus.NOT_FOUND,
                        "no peer record for " + userId)));
    }

    /** Stores the request body (text, at most {@value DhtValue#MAX_DATA_BYTES} bytes) as an immutable value. */
    @PostMapping(path = "/dht/values", consumes = MediaType.TEXT_PLAIN_VALUE)
    public Mono<StoredView> store(@RequestBody String text) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        if (data.length > DhtValue.MAX_DATA_BYTES) {
            return Mono.error(new ResponseStatusException(HttpStatus.PAYLOAD_TOO_LARGE,
                    "a DHT value holds at most " + DhtValue.MAX_DATA_BYTES + " bytes, this is " + data.length));
        }
        DhtValue value = DhtValue.immutable(data, System.currentTimeMillis() + VALUE_LIFETIME.toMillis());
        return node.dht().storeValue(value).timeout(LOOKUP_TIMEOUT)
                .map(n -> new StoredView(value.key().toHex(), n));
    }

    /** The value under {@code key} as text, 404 when none is found. */
    @GetMapping(path = "/dht/values/{key}", produces = MediaType.TEXT_PLAIN_VALUE)
    public Mono<String> findValue(@PathVariable String key) {
        return node.dht().findValue(nodeIdOf(key)).timeout(LOOKUP_TIMEOUT)
                .flatMap(values -> values.isEmpty()
                        ? Mono.error(new ResponseStatusException(HttpStatus.NOT_FOUND, "no value under " + key))
                        : Mono.just(new String(values.get(0).data(), StandardCharsets.UTF_8)));
    }

    /**
     * Changes of the routing table as server-sent events, from the moment of subscription. A
     * client that reads slowly loses the oldest events of a burst, never the connection.
     */
    @GetMapping(path = "/dht/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<ServerSentEvent<RoutingEventView>> routingEvents() {
        Flux<ServerSentEvent<RoutingEventView>> changes = node.dht().events()
                .onBackpressureBuffer(EVENT_BUFFER, dropped -> { }, BufferOverflowStrategy.DROP_OLDEST)
                .map(e -> ServerSentEvent.builder(new RoutingEventView(e.type().name(), e.node().id().toHex(),
                        e.node().address().toString())).event("routing").build());
        // subscribed to the changes first, then a comment that sends the response headers at once
        return Flux.merge(changes, Mono.just(ServerSentEvent.<RoutingEventView>builder()
                .comment("routing table changes of node " + node.nodeId().toHex()).build()));
    }

    @ExceptionHandler(IllegalArgumentException.class)
    @ResponseStatus(HttpStatus.BAD_REQUEST)
    public Mono<String> badRequest(IllegalArgumentException e) {
        return Mono.just(e.getMessage());
    }

    private static NodeId nodeIdOf(String hex) {
        if (hex.length() != NodeId.LENGTH * 2) {
            throw new IllegalArgumentException("a node id or key is " + NodeId.LENGTH * 2 + " hex characters, got "
                    + hex.length());
        }
        return NodeId.fromHex(hex);
    }
}
