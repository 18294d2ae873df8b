package io.reactivecarrier;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Whole nodes on loopback UDP for one test: each in its own data directory under a temporary
 * directory, all stopped (and the directory removed) after the test.
 *
 * <pre>{@code
 * @RegisterExtension
 * final TestNodes nodes = new TestNodes(Duration.ofSeconds(60));
 * CarrierNode boot = nodes.start("boot");
 * CarrierNode alice = nodes.start("alice", boot);
 * }</pre>
 */
final class TestNodes implements AfterEachCallback {

    private final Duration timeout;
    private final UnaryOperator<CarrierBuilder> defaults;
    private final List<CarrierNode> running = new ArrayList<>();
    private Path dir;

    TestNodes(Duration timeout) {
        this(timeout, UnaryOperator.identity());
    }

    /** Nodes whose builders {@code defaults} adjusts first (options every node of the test shares). */
    TestNodes(Duration timeout, UnaryOperator<CarrierBuilder> defaults) {
        this.timeout = timeout;
        this.defaults = defaults;
    }

    /** Where the nodes' data directories live. */
    synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("carrier-nodes");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return dir;
    }

    /** Starts a node with data directory {@code name}, bootstrapping from {@code bootstrap}. */
    CarrierNode start(String name, CarrierNode... bootstrap) {
        return start(name, UnaryOperator.identity(), bootstrap);
    }

    /** The same with {@code config} applied to the builder after the defaults. */
    CarrierNode start(String name, UnaryOperator<CarrierBuilder> config, CarrierNode... bootstrap) {
        // the test's timeout also bounds the start (the builder's 30 s default was once too short
        // for the seventh node of a test on a 2-core machine at load 15)
        CarrierBuilder b = defaults.apply(Carrier.builder().dataDir(dir().resolve(name)).bindHost("127.0.0.1")
                .startTimeout(timeout));
        for (CarrierNode n : bootstrap) {
            b = b.bootstrap(n.bootstrapInfo());
        }
        CarrierNode node = config.apply(b).build();
        synchronized (this) {
            running.add(node);
        }
        node.start().block(timeout);
        return node;
    }

    /** Stops {@code node} now (its data directory stays, so it can be started again by name). */
    void stop(CarrierNode node) {
        synchronized (this) {
            running.remove(node);
        }
        node.stop().block(timeout);
    }

    /** {@code a} asks {@code b}, {@code b} accepts, and both see each other online. */
    void befriend(CarrierNode a, CarrierNode b) {
        a.friends().request(b.address(), "hi from " + a.userId().shortString()).block(timeout);
        b.friends().accept(a.userId()).block(timeout);
        await().atMost(timeout).until(() -> a.friends().isFriend(b.userId())
                && a.friends().presence(b.userId()).isOnline() && b.friends().presence(a.userId()).isOnline());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        List<CarrierNode> all;
        synchronized (this) {
            all = new ArrayList<>(running);
            running.clear();
        }
        Flux.fromIterable(all).flatMap(n -> n.stop().onErrorResume(e -> Mono.empty())).then().block(timeout);
        Path d;
        synchronized (this) {
            d = dir;
            dir = null;
        }
        if (d != null) {
            try (Stream<Path> walk = Files.walk(d)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
