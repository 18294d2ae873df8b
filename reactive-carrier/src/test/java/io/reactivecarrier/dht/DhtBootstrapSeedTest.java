package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The island found by the {@code dht-sim} benchmark: a node whose first ping to its bootstrap
 * node is lost, and whose table meanwhile holds only a node that joined through it, must still
 * reach the network through its bootstrap node.
 */
class DhtBootstrapSeedTest {

    @Test
    void aThinTableStillAsksTheBootstrapNodes() {
        SimCluster c = new SimCluster(21, 0.0, DhtOptions.defaults()).grow(40);
        Random r = new Random(22);
        SimNetwork.Transport bootstrap = c.transports.get(0);

        // M: a node that knows nobody but will have joined through N
        SimNetwork.Transport mt = c.net.join(NodeId.random(r), SimNetwork.address(10, 200, 0, 1));
        DhtNode m = DhtNode.create(mt, DhtOptions.defaults(), new Random(23));
        m.start().subscribe();
        c.net.advance(1_000);

        SimNetwork.Transport nt = c.net.join(NodeId.random(r), SimNetwork.address(10, 201, 0, 1));
        DhtNode n = DhtNode.create(nt, DhtOptions.defaults().bootstrap(List.of(bootstrap.info)), new Random(24));
        c.net.scheduler.schedule(() -> n.table().offer(mt.info, true, 0)); // N's table: only M
        // the bootstrap node is unreachable while N pings it, back before N's self-lookup
        c.net.leave(bootstrap);
        n.start().subscribe();
        c.net.advance(1_000);
        c.net.byAddress.put(bootstrap.address, bootstrap);
        c.net.advance(20_000);

        assertThat(n.table().verifiedSize()).as("nodes N reached").isGreaterThanOrEqualTo(20);
        assertThat(n.table().isVerified(bootstrap.id)).isTrue();
    }
}
