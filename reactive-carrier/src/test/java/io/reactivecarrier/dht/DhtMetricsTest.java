package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class DhtMetricsTest {

    @Test
    void lookupsHopsLatencyTableSizeAndStoredValuesAreMeasured() {
        SimCluster c = new SimCluster(3, 0.0, DhtOptions.defaults()).grow(40);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SimNetwork.Transport t = c.net.join(NodeId.random(c.random), SimNetwork.address(10, 200, 0, 1));
        DhtNode node = DhtNode.create(t, DhtOptions.defaults().meterRegistry(registry)
                .bootstrap(List.of(c.transports.get(0).info)), new Random(5));
        StepVerifier.create(node.start())
                .then(() -> c.net.advance(10_000))
                .expectComplete()
                .verify(Duration.ofSeconds(30));
        StepVerifier.create(node.findNode(c.nodes.get(7).id()))
                .then(() -> c.net.advance(10_000))
                .assertNext(list -> assertThat(list.get(0).id()).isEqualTo(c.nodes.get(7).id()))
                .expectComplete()
                .verify(Duration.ofSeconds(30));
        // another node stores a value; the closest nodes (maybe ours) hold it
        long exp = c.net.scheduler.now(java.util.concurrent.TimeUnit.MILLISECONDS) + 60_000;
        DhtValue v = DhtValue.immutable(node.id().bytes(), exp);
        StepVerifier.create(c.nodes.get(3).storeValue(v))
                .then(() -> c.net.advance(10_000))
                .assertNext(n -> assertThat(n).isPositive())
                .expectComplete()
                .verify(Duration.ofSeconds(30));
        assertThat(registry.get("carrier.dht.lookups").counter().count()).isGreaterThanOrEqualTo(2);
        assertThat(registry.get("carrier.dht.lookup.hops").summary().count()).isGreaterThanOrEqualTo(2);
        assertThat(registry.get("carrier.dht.lookup.latency").timer().count()).isGreaterThanOrEqualTo(2);
        assertThat(registry.get("carrier.dht.routing.size").gauge().value()).isPositive();
        assertThat(registry.get("carrier.dht.values.count").gauge().value()).isEqualTo(node.store().count());
        assertThat(registry.get("carrier.dht.values.bytes").gauge().value()).isEqualTo(node.store().bytes());
    }
}
