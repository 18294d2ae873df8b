package io.reactivecarrier.spring;

import io.reactivecarrier.CarrierNode;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationContextException;
import org.springframework.context.SmartLifecycle;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/**
 * Starts the {@link CarrierNode} with the application context and stops it, asynchronously and
 * gracefully, when the context closes.
 *
 * <p>The node starts early (phase {@link #PHASE}, before a web server) so that controllers see a
 * running node, and it stops after the web server stopped taking requests. Startup waits at most
 * {@code carrier.start-timeout} and fails the application with a message saying what to check.
 * A stopped node cannot be started again (build a new one): this lifecycle runs once.
 *
 * <pre>{@code
 * @Bean   // replaces the auto-configured lifecycle: a longer start timeout, manual start
 * CarrierNodeLifecycle carrierNodeLifecycle(CarrierNode node) {
 *     return new CarrierNodeLifecycle(node, Duration.ofMinutes(2), Duration.ofSeconds(10), false);
 * }
 * }</pre>
 */
public final class CarrierNodeLifecycle implements SmartLifecycle {

    /** Before the web server (which starts at {@code DEFAULT_PHASE - 2048}) and stopped after it. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger log = LoggerFactory.getLogger(CarrierNodeLifecycle.class);

    private final CarrierNode node;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final boolean autoStartup;

    /**
     * @param node the node to start and stop
     * @param startTimeout how long {@link #start()} waits for the node
     * @param stopTimeout how long a graceful stop may take
     * @param autoStartup whether to start with the context
     */
    public CarrierNodeLifecycle(CarrierNode node, Duration startTimeout, Duration stopTimeout, boolean autoStartup) {
        this.node = Objects.requireNonNull(node, "node");
        this.startTimeout = Objects.requireNonNull(startTimeout, "startTimeout");
        this.stopTimeout = Objects.requireNonNull(stopTimeout, "stopTimeout");
        this.autoStartup = autoStartup;
    }

    @Override
    public void start() {
        if (node.isRunning()) {
            return;
        }
        try {
            // start() is cached by the node: application code may subscribe to it too, it starts once.
            // The node fails by itself after its own start timeout; the margin only guards against a hang.
            Duration bound = startTimeout.plusSeconds(5);
            node.start()
                    .timeout(bound, Mono.error(() -> new TimeoutException("it did not start within " + bound)))
                    .block();
        } catch (RuntimeException e) {
            Throwable cause = Exceptions.unwrap(e);
            // release whatever a start that is still under way may have opened
            node.stop().subscribe(null, x -> log.debug("stop after a failed start: {}", x.toString()));
            throw new ApplicationContextException("Carrier node in " + node.dataDir().toAbsolutePath()
                    + " failed to start: " + cause.getMessage()
                    + " (check carrier.bootstrap, carrier.bind-host, carrier.port and carrier.start-timeout;"
                    + " a data directory can be used by one running node only)", cause);
        }
        log.info("carrier node running: user {} on {}, bootstrap info {}", node.userId().shortString(),
                node.localAddress(), node.bootstrapInfo());
    }

    @Override
    public void stop(Runnable callback) {
        if (!node.isRunning()) {
            callback.run();
            return;
        }
        node.stop()
                .timeout(stopTimeout)
                .subscribe(null, e -> {
                    log.warn("carrier node did not stop cleanly within {}: {}", stopTimeout, e.toString());
                    callback.run();
                }, callback);
    }

    @Override
    public void stop() {
        if (node.isRunning()) {
            node.stop().block(stopTimeout);
        }
    }

    @Override
    public boolean isRunning() {
        return node.isRunning();
    }

    @Override
    public boolean isAutoStartup() {
        return autoStartup;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
