package io.reactivecarrier.samples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * The sample application with its auto-configured node joined to a second node on loopback UDP,
 * driven over HTTP with WebTestClient.
 */
@SpringBootTest(classes = CarrierWebApplication.class)
class CarrierWebApplicationTest {

    private static final Duration T = Duration.ofSeconds(60);
    private static CarrierNode other;

    @DynamicPropertySource
    static void carrier(DynamicPropertyRegistry registry) throws IOException {
        Path root = Files.createTempDirectory("carrier-web-test");
        other = Carrier.builder().bindHost("127.0.0.1").dataDir(root.resolve("other")).build();
        other.start().block(T);
        registry.add("carrier.data-dir", () -> root.resolve("web").toString());
        registry.add("carrier.bind-host", () -> "127.0.0.1");
        registry.add("carrier.bootstrap[0]", () -> other.bootstrapInfo().toString());
        registry.add("management.endpoint.health.show-details", () -> "always");
        registry.add("management.endpoints.web.exposure.include", () -> "health,prometheus");
    }

    @AfterAll
    static void stopOther() {
        if (other != null) {
            other.stop().block(T);
        }
    }

    @Autowired
    ApplicationContext context;

    @Autowired
    CarrierNode node;

    WebTestClient web;

    @BeforeEach
    void client() {
        web = WebTestClient.bindToApplicationContext(context).configureClient().responseTimeout(T).build();
    }

    @Test
    void nodeShowsTheRunningNodesIdentity() {
        web.get().uri("/node").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.userId").isEqualTo(node.userId().toString())
                .jsonPath("$.address").isEqualTo(node.address().toString())
                .jsonPath("$.nodeId").isEqualTo(node.nodeId().toHex())
                .jsonPath("$.bootstrap").isEqualTo(node.bootstrapInfo().toString());
    }

    @Test
    void findNodeFindsTheOtherNodeOverUdp() {
        web.get().uri("/dht/nodes/{id}", other.nodeId().toHex()).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$[0].nodeId").isEqualTo(other.nodeId().toHex());
    }

    @Test
    void findPeerReturnsASignedRecordStoredOnTheOtherNode() {
        // the web node announced its record at start, to the other node (alone, the other node had
        // nobody to announce to): the lookup reads it back from there
        web.get().uri("/dht/peers/{id}", node.userId().toString()).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.userId").isEqualTo(node.userId().toString())
                .jsonPath("$.nodeId").isEqualTo(node.nodeId().toHex())
                .jsonPath("$.signatureValid").isEqualTo(true);
        web.get().uri("/dht/peers/{id}", "not-base58-0OIl").exchange().expectStatus().isBadRequest();
    }

    @Test
    void aStoredValueReadsBackAndTheOtherNodeHoldsIt() {
        NodeController.StoredView stored = web.post().uri("/dht/values").contentType(MediaType.TEXT_PLAIN)
                .bodyValue("hello from the web")
                .exchange()
                .expectStatus().isOk()
                .expectBody(NodeController.StoredView.class).returnResult().getResponseBody();
        // the only other node is the one on the far side of the UDP socket: it holds the value
        assertThat(stored.storedOn()).isEqualTo(1);
        web.get().uri("/dht/values/{key}", stored.key()).exchange()
                .expectStatus().isOk()
                .expectBody(String.class).isEqualTo("hello from the web");
        web.get().uri("/dht/values/{key}", "00".repeat(32)).exchange().expectStatus().isNotFound();
        web.get().uri("/dht/values/{key}", "abc").exchange().expectStatus().isBadRequest();
    }

    @Test
    void routingEventsStreamAsServerSentEvents(@TempDir Path dir) {
        Flux<String> events = web.get().uri("/dht/events").accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isOk()
                .returnResult(String.class).getResponseBody();
        AtomicReference<CarrierNode> third = new AtomicReference<>();
        try {
            StepVerifier.create(events)
                    .then(() -> {
                        // a third node joins through the web node: the web node's table learns it
                        CarrierNode n = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve("third"))
                                .bootstrap(node.bootstrapInfo()).build();
                        third.set(n);
                        n.start().block(T);
                    })
                    .thenConsumeWhile(e -> e.contains(other.nodeId().toHex()))
                    .assertNext(e -> assertThat(e).contains("\"type\":\"").contains("\"nodeId\":\""))
                    .thenCancel()
                    .verify(T);
            assertThat(third.get().isRunning()).isTrue();
        } finally {
            if (third.get() != null) {
                third.get().stop().block(T);
            }
        }
    }

    @Test
    void actuatorHealthIncludesTheCarrierNode() {
        web.get().uri("/actuator/health").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.components.carrier.status").isEqualTo("UP")
                .jsonPath("$.components.carrier.details.nodeId").isEqualTo(node.nodeId().toHex());
    }

    @Test
    void theNodesMetersAreInTheApplicationsRegistry() {
        MeterRegistry registry = context.getBeanProvider(MeterRegistry.class).getIfUnique();
        assertThat(registry).as("the Actuator's meter registry").isNotNull();
        assertThat(registry.find("carrier.dht.routing.size").gauge()).isNotNull();
        assertThat(registry.find("carrier.transport.packets.received").counter()).isNotNull();
        web.get().uri("/actuator/prometheus").exchange()
                .expectStatus().isOk()
                .expectBody(String.class).value(text -> assertThat(text).contains("carrier_dht_routing_size"));
    }
}
