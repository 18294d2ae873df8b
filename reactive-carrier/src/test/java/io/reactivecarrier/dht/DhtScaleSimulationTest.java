package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The large simulation behind the choice of k and alpha; skipped unless {@code -Ddht.sim.nodes=N}
 * (optionally {@code -Ddht.sim.k}, {@code -Ddht.sim.alpha}, {@code -Ddht.sim.loss},
 * {@code -Ddht.sim.seed}, {@code -Ddht.sim.churn=0.3}). Logs the statistics.
 */
class DhtScaleSimulationTest {

    static final Logger log = LoggerFactory.getLogger(DhtScaleSimulationTest.class);

    @Test
    void scale() {
        String nodes = System.getProperty("dht.sim.nodes");
        Assumptions.assumeTrue(nodes != null, "set -Ddht.sim.nodes=N to run the large simulation");
        int n = Integer.parseInt(nodes);
        int k = Integer.getInteger("dht.sim.k", DhtOptions.defaults().k());
        int alpha = Integer.getInteger("dht.sim.alpha", DhtOptions.defaults().alpha());
        double loss = Double.parseDouble(System.getProperty("dht.sim.loss", "0.01"));
        double churn = Double.parseDouble(System.getProperty("dht.sim.churn", "0"));
        long seed = Long.getLong("dht.sim.seed", 1);
        long t0 = System.nanoTime();
        SimCluster c = new SimCluster(seed, loss, DhtOptions.defaults().k(k).alpha(alpha)).grow(n).settle();
        boolean both = Boolean.parseBoolean(System.getProperty("dht.sim.both", "true"));
        long built = System.nanoTime();
        if (churn > 0) {
            int replace = (int) (n * churn);
            for (int i = 0; i < replace; i++) {
                c.remove(c.random.nextInt(c.nodes.size()));
            }
            for (int i = 0; i < replace; i++) {
                c.addNode();
                c.net.advance(20);
            }
            c.net.advance(60_000);
        }
        SimCluster.Stats s = c.lookups(1000, c.allIndices(), c.allIndices());
        long done = System.nanoTime();
        if (both) {
            c.locate = false;
            log.info("scale: nodes={} k={} alpha={}: full termination (the k closest all answered, as stores use): {}", n, k, alpha,
                    c.lookups(1000, c.allIndices(), c.allIndices()));
            c.locate = true;
        }
        log.info("scale: nodes={} k={} alpha={} loss={} churn={} seed={}: {} ; rpcs total {} ; wall build {} s, lookups {} s",
                n, k, alpha, loss, churn, seed, s, c.net.calls, (built - t0) / 1_000_000_000, (done - built) / 1_000_000_000);
        assertThat(s.lookups()).isEqualTo(1000);
    }
}
