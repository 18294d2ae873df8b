package io.reactivecarrier.spring;

import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.dht.DhtNode;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * Health of a {@link CarrierNode}: {@code UP} while it runs, {@code DOWN} before it started and
 * after it stopped. Details: the user id, the node id, the bound UDP endpoint, the bootstrap
 * line other nodes can join through, the number of verified nodes in the routing table and
 * whether the node is connected to the DHT (it knows at least one other node), the number of
 * friends and how many of them are online (linked) now.
 *
 * <p>A node that runs alone (no other node in its routing table) is still {@code UP}: it may be the
 * first node of a network. Watch {@code dhtConnected} or the gauge {@code carrier.dht.routing.size}
 * to alert on an isolated node.
 *
 * <pre>{@code
 * new CarrierHealthIndicator(node).health()
 *         .subscribe(h -> log.info("carrier {} (DHT connected: {})", h.getStatus(), h.getDetails().get("dhtConnected")));
 * }</pre>
 */
public final class CarrierHealthIndicator implements ReactiveHealthIndicator {

    private static final Duration ROUTING_TIMEOUT = Duration.ofSeconds(5);

    private final CarrierNode node;

    /** Reports on {@code node}. */
    public CarrierHealthIndicator(CarrierNode node) {
        this.node = Objects.requireNonNull(node, "node");
    }

    @Override
    public Mono<Health> health() {
        return Mono.defer(() -> {
            if (!node.isRunning()) {
                return Mono.just(Health.down().withDetail("running", false)
                        .withDetail("dataDir", node.dataDir().toString()).build());
            }
            Health.Builder up = Health.up()
                    .withDetail("running", true)
                    .withDetail("userId", node.userId().toString())
                    .withDetail("nodeId", node.nodeId().toHex())
                    .withDetail("localAddress", node.localAddress().toString())
                    .withDetail("bootstrap", node.bootstrapInfo().toString());
            return node.friends().list()
                    .reduce(new int[2], (counts, friend) -> {
                        counts[0]++;
                        if (friend.presence().isOnline()) {
                            counts[1]++;
                        }
                        return counts;
                    })
                    .doOnNext(counts -> up.withDetail("friends", counts[0]).withDetail("friendsOnline", counts[1]))
                    .then(routingTableSize())
                    .map(size -> up.withDetail("routingTableSize", size).withDetail("dhtConnected", size > 0).build())
                    .defaultIfEmpty(up.build());
        }).onErrorResume(e -> Mono.just(Health.down(e).build()));
    }

    private Mono<Integer> routingTableSize() {
        if (node.dht() instanceof DhtNode dht) {
            return dht.snapshot().map(List::size).timeout(ROUTING_TIMEOUT);
        }
        return Mono.empty();
    }
}
