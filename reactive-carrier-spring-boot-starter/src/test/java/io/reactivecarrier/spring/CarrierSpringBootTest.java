package io.reactivecarrier.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.dht.NodeInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A whole application: the auto-configured node joins the network through a second node started
 * by the test, both on loopback UDP.
 */
@SpringBootTest(classes = CarrierSpringBootTest.App.class)
class CarrierSpringBootTest {

    private static final Duration T = Duration.ofSeconds(60);
    private static CarrierNode bootstrap;

    @SpringBootApplication
    static class App {
    }

    @DynamicPropertySource
    static void carrier(DynamicPropertyRegistry registry) throws IOException {
        Path root = Files.createTempDirectory("carrier-boot-test");
        bootstrap = Carrier.builder().bindHost("127.0.0.1").dataDir(root.resolve("bootstrap")).build();
        bootstrap.start().block(T);
        registry.add("carrier.data-dir", () -> root.resolve("app").toString());
        registry.add("carrier.bind-host", () -> "127.0.0.1");
        registry.add("carrier.bootstrap[0]", () -> bootstrap.bootstrapInfo().toString());
    }

    @AfterAll
    static void stopBootstrap() {
        if (bootstrap != null) {
            bootstrap.stop().block(T);
        }
    }

    @Autowired
    CarrierNode node;

    @Autowired
    CarrierHealthIndicator health;

    @Test
    void theApplicationNodeJoinsThroughTheBootstrapNode() {
        assertThat(node.isRunning()).isTrue();
        List<NodeInfo> found = node.dht().findNode(bootstrap.nodeId()).block(T);
        assertThat(found).isNotEmpty();
        assertThat(found.get(0).id()).isEqualTo(bootstrap.nodeId());
        // and the other way round: the bootstrap node learned the application's node
        List<NodeInfo> back = bootstrap.dht().findNode(node.nodeId()).block(T);
        assertThat(back.get(0).id()).isEqualTo(node.nodeId());
        await().atMost(T).untilAsserted(() -> {
            Health h = health.health().block(T);
            assertThat(h.getStatus()).isEqualTo(Status.UP);
            assertThat(h.getDetails()).containsEntry("dhtConnected", true);
            assertThat((Integer) h.getDetails().get("routingTableSize")).isGreaterThanOrEqualTo(1);
        });
    }
}
