package io.reactivecarrier.benchmarks;

import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierNode;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A friend node of the {@code presence} benchmark in its own JVM, so that the benchmark can kill
 * it ({@code kill -9}) and measure how long the hub takes to see a friend that disappears without
 * a goodbye. Arguments: data directory, bind host, bootstrap node. Prints {@code starting} just
 * before {@code start()} and {@code started} after it; then runs until killed.
 */
public final class PresenceChild {

    private PresenceChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: PresenceChild <dataDir> <bindHost> <bootstrap>");
            System.exit(2);
        }
        CarrierNode node = Carrier.builder().dataDir(Path.of(args[0])).bindHost(args[1]).bootstrap(args[2]).build();
        System.out.println("starting");
        System.out.flush();
        node.start().block(Duration.ofSeconds(120));
        System.out.println("started");
        System.out.flush();
        Thread.currentThread().join(); // until killed
    }
}
