package io.reactivecarrier.benchmarks;

import io.reactivecarrier.dht.DhtBenchmarks;
import io.reactivecarrier.dht.DhtUdpBenchmark;
import java.util.Map;

/** Registers the DHT scenarios ({@code dht-sim}, {@code sybil-sim}, {@code dht-udp}); the code is in {@link DhtBenchmarks}. */
final class DhtScenarios {

    private DhtScenarios() {
    }

    static void register(Map<String, Scenario> scenarios) {
        scenarios.put("dht-sim", a -> json(DhtBenchmarks.sim(a.integer("nodes", 10_000), a.integer("lookups", 1000),
                a.longValue("rtt-ms", 100), a.decimal("loss", 0.01), a.decimal("churn", 0.0), a.longValue("seed", 1),
                a.integer("k", 20), a.integer("alpha", 3))));
        scenarios.put("sybil-sim", a -> json(DhtBenchmarks.sybil(a.integer("honest", 1000), a.integer("sybil", 4000),
                a.integer("lookups", 1000), a.longValue("seed", 1))));
        scenarios.put("dht-udp", a -> json(DhtUdpBenchmark.run(a.integer("nodes", 200), a.integer("lookups", 500),
                a.integer("warmup", a.integer("lookups", 500) / 2), a.longValue("seed", 1),
                a.integer("event-loops", Runtime.getRuntime().availableProcessors()))));
    }

    private static Json json(Map<String, Object> fields) {
        Json j = Json.object();
        fields.forEach(j::put);
        return j;
    }
}
