package io.reactivecarrier.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.CarrierNode;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationContextException;
import reactor.core.publisher.Mono;

/** The lifecycle's edges, with a stand-in node (a proxy, so new CarrierNode methods need no change here). */
class CarrierNodeLifecycleTest {

    private final AtomicBoolean stopSubscribed = new AtomicBoolean();

    private CarrierNode node(Mono<Void> start, Mono<Void> stop, boolean running) {
        return (CarrierNode) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {CarrierNode.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "start" -> start;
                    case "stop" -> stop.doOnSubscribe(s -> stopSubscribed.set(true));
                    case "isRunning" -> running;
                    case "dataDir" -> Path.of("stand-in");
                    case "toString" -> "stand-in node";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void aStartThatHangsFailsAfterTheBoundWithAClearMessageAndStopsTheNode() {
        CarrierNodeLifecycle lifecycle = new CarrierNodeLifecycle(node(Mono.never(), Mono.empty(), false),
                Duration.ofMillis(100), Duration.ofSeconds(5), true);
        assertThatThrownBy(lifecycle::start)
                .isInstanceOf(ApplicationContextException.class)
                .hasMessageContaining("failed to start: it did not start within PT5.1S")
                .hasMessageContaining("carrier.start-timeout");
        assertThat(stopSubscribed).isTrue();
    }

    @Test
    void aFailedStartCarriesTheNodesReason() {
        CarrierNodeLifecycle lifecycle = new CarrierNodeLifecycle(
                node(Mono.error(new IllegalStateException("port 33445 is in use")), Mono.empty(), false),
                Duration.ofSeconds(5), Duration.ofSeconds(5), true);
        assertThatThrownBy(lifecycle::start)
                .hasMessageContaining("failed to start: port 33445 is in use")
                .hasRootCauseMessage("port 33445 is in use");
    }

    @Test
    void aStopThatHangsStillLetsTheContextGoOnAfterTheStopTimeout() throws InterruptedException {
        CarrierNodeLifecycle lifecycle = new CarrierNodeLifecycle(node(Mono.empty(), Mono.never(), true),
                Duration.ofSeconds(5), Duration.ofMillis(200), true);
        CountDownLatch done = new CountDownLatch(1);
        lifecycle.stop(done::countDown);
        assertThat(done.await(30, TimeUnit.SECONDS)).as("callback after the stop timeout").isTrue();
    }

    @Test
    void phaseAndAutoStartup() {
        CarrierNodeLifecycle lifecycle = new CarrierNodeLifecycle(node(Mono.empty(), Mono.empty(), false),
                Duration.ofSeconds(5), Duration.ofSeconds(5), false);
        assertThat(lifecycle.isAutoStartup()).isFalse();
        assertThat(lifecycle.getPhase()).isLessThan(org.springframework.context.SmartLifecycle.DEFAULT_PHASE - 2048);
    }
}
