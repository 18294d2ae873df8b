package io.reactivecarrier.samples.cli;

import io.reactivecarrier.BootstrapNode;
import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierBuilder;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.friend.Friend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The node options of {@code send}, {@code receive} and {@code forward} (a picocli mixin), and the
 * helpers they share: start a node, find a friend by prefix, wait for it to be online, run until
 * SIGTERM or Ctrl-C.
 */
final class NodeOptions {

    @Option(names = {"-d", "--data-dir"}, defaultValue = "carrier-data", paramLabel = "DIR",
            description = "Identity and friends (default: ${DEFAULT-VALUE}). One running node per directory.")
    Path dataDir;

    @Option(names = {"-H", "--host"}, defaultValue = "0.0.0.0", paramLabel = "HOST",
            description = "Local address to bind the UDP socket to (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "0", paramLabel = "PORT",
            description = "UDP port (default: ${DEFAULT-VALUE} = any free port).")
    int port;

    @Option(names = {"-b", "--bootstrap"}, split = ",", paramLabel = "HOST:PORT/NODEID",
            description = "Node to join the network through (as `carrier node` printed it). Repeat or separate with commas.")
    List<BootstrapNode> bootstrap = new ArrayList<>();

    @Option(names = "--start-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "Give up when the node has not started after this many seconds (default: ${DEFAULT-VALUE}).")
    int startTimeout;

    @Option(names = "--wait", defaultValue = "120", paramLabel = "SECONDS",
            description = "How long to wait for the friend to come online (default: ${DEFAULT-VALUE}).")
    int waitOnline;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file with defaults for these options (data-dir=..., bootstrap=...).")
    Path config;

    /** Starts a node from these options; fails with exit 2 for bad values, 3 when no bootstrap node answered. */
    CarrierNode start(CommandLine cmd) {
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(cmd, "--port must be 0..65535, got " + port);
        }
        if (startTimeout <= 0 || waitOnline <= 0) {
            throw new CommandLine.ParameterException(cmd, "--start-timeout and --wait must be positive");
        }
        CarrierBuilder builder = Carrier.builder().dataDir(dataDir).bindHost(host).bindPort(port)
                .startTimeout(Duration.ofSeconds(startTimeout));
        for (BootstrapNode b : bootstrap) {
            builder = builder.bootstrap(b);
        }
        CarrierNode node = builder.build();
        node.start().block(Duration.ofSeconds(startTimeout + 5L));
        if (!bootstrap.isEmpty() && NodeCommand.routingSize(node) == 0) {
            stop(node);
            throw new CarrierCli.UnreachableBootstrapException("no bootstrap node answered (" + bootstrap
                    + "); check the address and node id, and that UDP reaches that port");
        }
        return node;
    }

    static void stop(CarrierNode node) {
        if (node.isRunning()) {
            node.stop().block(Duration.ofSeconds(15));
        }
    }

    /** The friend whose user id starts with {@code prefix} (or whose label or name it is); one-line failure otherwise. */
    static UserId friend(CarrierNode node, String prefix) {
        List<Friend> list = node.friends().list().collectList().block(Duration.ofSeconds(10));
        List<Friend> matches = list.stream().filter(f -> f.id().toString().startsWith(prefix)).toList();
        if (matches.isEmpty()) {
            matches = list.stream().filter(f -> prefix.equalsIgnoreCase(f.label()) || prefix.equalsIgnoreCase(f.name()))
                    .toList();
        }
        if (matches.size() == 1) {
            return matches.get(0).id();
        }
        throw new IllegalArgumentException(matches.isEmpty()
                ? "no friend matches '" + prefix + "' (" + list.size() + " friends in " + node.dataDir()
                        + "); make friends first, e.g. with carrier chat"
                : "'" + prefix + "' matches " + matches.size() + " friends; give more characters of the user id");
    }

    /** Waits (on the calling thread, never an event loop) until {@code friend} is online. */
    void awaitOnline(CarrierNode node, UserId friend, java.io.PrintWriter out) throws InterruptedException {
        if (!node.friends().presence(friend).isOnline()) {
            out.println("waiting for " + friend.shortString() + " to come online ...");
            out.flush();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitOnline);
        while (!node.friends().presence(friend).isOnline()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(friend.shortString() + " did not come online within " + waitOnline
                        + " s (--wait); is their node running?");
            }
            Thread.sleep(200);
        }
    }

    /**
     * Blocks until SIGTERM / Ctrl-C (a shutdown hook) or until this thread is interrupted; the caller
     * then stops the node, and the hook waits for that so the JVM does not exit first.
     */
    static void runUntilStopped(Runnable stop) {
        runUntilStopped(0, () -> { }, stop);
    }

    /** The same, running {@code tick} every {@code tickSeconds} (0: never) while it waits. */
    static void runUntilStopped(long tickSeconds, Runnable tick, Runnable stop) {
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch stopRequested = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                stopped.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "carrier-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            while (!stopRequested.await(tickSeconds > 0 ? tickSeconds : 3600, TimeUnit.SECONDS)) {
                if (tickSeconds > 0) {
                    tick.run();
                }
            }
        } catch (InterruptedException e) {
            // an interrupt is a stop request like SIGTERM; the flag stays clear so the graceful stop can block
        } finally {
            try {
                stop.run();
            } finally {
                stopped.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // shutting down already
                }
            }
        }
    }
}
