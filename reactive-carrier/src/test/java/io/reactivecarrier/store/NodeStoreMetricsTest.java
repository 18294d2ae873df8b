package io.reactivecarrier.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/** The store's meters: every fsync of the log is timed, checkpoints are counted, the log's size is a gauge. */
class NodeStoreMetricsTest {

    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @AfterEach
    void clearProperty() {
        System.clearProperty(NodeStore.CHECKPOINT_BYTES_PROPERTY);
    }

    @Test
    void fsyncsAndCheckpointsAreMetered() {
        System.setProperty(NodeStore.CHECKPOINT_BYTES_PROPERTY, "20000"); // a checkpoint every ~20 transactions
        NodeStore store = NodeStore.open(dir.resolve("node")).block(T);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try {
            store.bindMetrics(registry, "abcd1234");
            KeyValueMap values = store.map("values", 1_000_000);
            long before = store.logForces();
            // awaited one by one: each forces the log
            Flux.range(0, 100).concatMap(i -> values.put(("k" + i).getBytes(StandardCharsets.UTF_8), new byte[1000]))
                    .blockLast(T);
            long forces = store.logForces() - before;
            assertThat(forces).isGreaterThanOrEqualTo(100);

            Timer fsync = registry.get("carrier.store.fsync").tag("node", "abcd1234").timer();
            assertThat(fsync.count()).isEqualTo(forces);
            assertThat(fsync.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
            CountAtBucket[] buckets = fsync.takeSnapshot().histogramCounts();
            assertThat(Arrays.stream(buckets).map(b -> b.bucket(java.util.concurrent.TimeUnit.MILLISECONDS)))
                    .containsExactly(1.0, 3.0, 10.0);
            assertThat(buckets[2].count()).isLessThanOrEqualTo(forces);

            double checkpoints = registry.get("carrier.store.checkpoints").tag("node", "abcd1234")
                    .functionCounter().count();
            assertThat(checkpoints).as("100 KB of log at a checkpoint every 20 KB").isGreaterThanOrEqualTo(3);
            double logBytes = registry.get("carrier.store.log.bytes").tag("node", "abcd1234").gauge().value();
            assertThat(logBytes).isBetween(0.0, 40_000.0);
        } finally {
            store.close().block(T);
        }
    }
}
