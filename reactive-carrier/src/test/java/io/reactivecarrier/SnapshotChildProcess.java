package io.reactivecarrier;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A node in its own JVM for {@link RoutingSnapshotCrashTest}: joins through the bootstrap node given,
 * saves its routing-table snapshot every {@code periodMillis} (the periodic saver, never a stop),
 * prints {@code SAVED <nodes>} once a saved snapshot holds at least {@code want} nodes (the write is on
 * disk then), and waits to be killed. Arguments: data directory, period in ms, bootstrap node
 * ({@link BootstrapNode#parse}), nodes to wait for.
 */
public final class SnapshotChildProcess {

    private SnapshotChildProcess() {
    }

    public static void main(String[] args) throws Exception {
        io.reactivecarrier.testing.BlockHoundSetup.install(); // as in the test JVM that started this one
        DefaultCarrierNode node = (DefaultCarrierNode) Carrier.builder().dataDir(Path.of(args[0]))
                .bindHost("127.0.0.1").routingSnapshotPeriod(Duration.ofMillis(Long.parseLong(args[1])))
                .bootstrap(BootstrapNode.parse(args[2])).build();
        node.start().block(Duration.ofSeconds(60));
        int want = Integer.parseInt(args[3]);
        System.out.println("READY");
        System.out.flush();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (node.periodicallySavedSnapshotNodes() < want && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        System.out.println("SAVED " + node.periodicallySavedSnapshotNodes());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5).toMillis()); // killed with SIGKILL long before
    }
}
