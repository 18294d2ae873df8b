package io.reactivecarrier.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierBuilder;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.link.RelayServer;
import io.reactivecarrier.message.MessageOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

class CarrierAutoConfigurationTest {

    private static final Duration T = Duration.ofSeconds(60);
    private static final String NODE_ID = "5f".repeat(32);

    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CarrierAutoConfiguration.class,
                    CarrierHealthAutoConfiguration.class));

    /** A context whose node is not started: the binding and bean tests need no socket. */
    private ApplicationContextRunner idle() {
        return runner.withPropertyValues("carrier.data-dir=" + dir.resolve("node"), "carrier.auto-startup=false");
    }

    @Test
    void propertiesBindWithDefaultsAndOverrides() {
        // not started: the default data directory is the working directory's carrier-data
        runner.withPropertyValues("carrier.auto-startup=false").run(ctx -> {
            CarrierProperties p = ctx.getBean(CarrierProperties.class);
            assertThat(p.enabled()).isTrue();
            assertThat(p.dataDir()).isEqualTo(Path.of("carrier-data"));
            assertThat(p.bindHost()).isEqualTo("0.0.0.0");
            assertThat(p.port()).isZero();
            assertThat(p.bootstrap()).isEmpty();
            assertThat(p.startTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(p.stopTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(p.autoStartup()).isFalse();
            assertThat(ctx.getBean(CarrierNode.class).isRunning()).isFalse();
        });
        runner.withPropertyValues("carrier.data-dir=/tmp/x", "carrier.bind-host=127.0.0.1", "carrier.port=33445",
                        "carrier.bootstrap[0]=127.0.0.1:33446/" + NODE_ID, "carrier.bootstrap[1]=[::1]:4000/" + NODE_ID,
                        "carrier.start-timeout=2m", "carrier.stop-timeout=3s", "carrier.auto-startup=false")
                .run(ctx -> {
                    CarrierProperties p = ctx.getBean(CarrierProperties.class);
                    assertThat(p.dataDir()).isEqualTo(Path.of("/tmp/x"));
                    assertThat(p.bindHost()).isEqualTo("127.0.0.1");
                    assertThat(p.port()).isEqualTo(33445);
                    assertThat(p.bootstrapNodes()).hasSize(2);
                    assertThat(p.bootstrapNodes().get(0).address().getPort()).isEqualTo(33446);
                    assertThat(p.bootstrapNodes().get(1).toString()).isEqualTo("[0:0:0:0:0:0:0:1]:4000/" + NODE_ID);
                    assertThat(p.startTimeout()).isEqualTo(Duration.ofMinutes(2));
                    assertThat(p.stopTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(ctx.getBean(CarrierBuilder.class).toString())
                            .contains("/tmp/x", "127.0.0.1:33445", "127.0.0.1:33446/" + NODE_ID);
                });
    }

    @Test
    void friendMessageRelayAndLanPropertiesBindAndDefaultToTheLibrarysDefaults() {
        idle().run(ctx -> {
            CarrierProperties p = ctx.getBean(CarrierProperties.class);
            assertThat(p.relay().enabled()).isFalse();
            assertThat(p.relay().applyTo(RelayServer.Limits.defaults())).isEqualTo(RelayServer.Limits.defaults());
            assertThat(p.lanDiscovery()).isFalse();
            FriendOptions library = FriendOptions.create();
            FriendOptions bound = p.friends().applyTo(FriendOptions.create());
            assertThat(bound.toString()).isEqualTo(library.toString());
            MessageOptions messages = p.messages().applyTo(MessageOptions.create());
            MessageOptions defaults = MessageOptions.create();
            assertThat(messages.maxMessageBytes()).isEqualTo(defaults.maxMessageBytes());
            assertThat(messages.maxOfflineMessageBytes()).isEqualTo(defaults.maxOfflineMessageBytes());
            assertThat(messages.offlineAfter()).isEqualTo(defaults.offlineAfter());
            assertThat(messages.offlineTtl()).isEqualTo(defaults.offlineTtl());
            assertThat(messages.offlineReplicas()).isEqualTo(defaults.offlineReplicas());
            assertThat(messages.outboxSyncDelay()).isEqualTo(defaults.outboxSyncDelay());
            assertThat(ctx.getBean(CarrierBuilder.class).toString()).contains("relay=false", "lanDiscovery=false",
                    library.toString());
        });
        idle().withPropertyValues("carrier.relay.enabled=true", "carrier.relay.max-circuits-per-peer=3",
                        "carrier.relay.bandwidth-per-peer=2MB", "carrier.relay.max-circuit-duration=5m",
                        "carrier.lan-discovery=true",
                        "carrier.friends.mailbox-poll-interval=15s", "carrier.friends.request-ttl=2d",
                        "carrier.friends.max-pending-requests=10", "carrier.friends.reconnect-min=2s",
                        "carrier.friends.reconnect-max=30s", "carrier.messages.max-message-size=1MB",
                        "carrier.messages.max-offline-message-size=16KB", "carrier.messages.offline-after=3s",
                        "carrier.messages.offline-ttl=1d", "carrier.messages.offline-replicas=5",
                        "carrier.messages.outbox-sync-delay=0ms")
                .run(ctx -> {
                    CarrierProperties p = ctx.getBean(CarrierProperties.class);
                    FriendOptions f = p.friends().applyTo(FriendOptions.create());
                    assertThat(f.mailboxPollInterval()).isEqualTo(Duration.ofSeconds(15));
                    assertThat(f.requestTtl()).isEqualTo(Duration.ofDays(2));
                    assertThat(f.maxPendingRequests()).isEqualTo(10);
                    assertThat(f.reconnectMin()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(f.reconnectMax()).isEqualTo(Duration.ofSeconds(30));
                    MessageOptions m = p.messages().applyTo(MessageOptions.create());
                    assertThat(m.maxMessageBytes()).isEqualTo(1 << 20);
                    assertThat(m.maxOfflineMessageBytes()).isEqualTo(16 << 10);
                    assertThat(m.offlineAfter()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(m.offlineTtl()).isEqualTo(Duration.ofDays(1));
                    assertThat(m.offlineReplicas()).isEqualTo(5);
                    assertThat(m.outboxSyncDelay()).isZero();
                    assertThat(p.relay().applyTo(RelayServer.Limits.defaults())).isEqualTo(RelayServer.Limits.defaults()
                            .maxCircuitsPerPeer(3).bytesPerSecondPerPeer(2L << 20).maxCircuitDuration(Duration.ofMinutes(5)));
                    assertThat(ctx.getBean(CarrierBuilder.class).toString()).contains("relay=true",
                            "maxCircuitsPerPeer=3", "bytesPerSecondPerPeer=2097152", "maxCircuitDuration=PT5M",
                            "lanDiscovery=true", f.toString());
                });
    }

    @Test
    void badFriendAndMessageValuesFailNamingTheProperty() {
        runner.withPropertyValues("carrier.friends.reconnect-min=10s", "carrier.friends.reconnect-max=1s")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.friends.reconnect-max (PT1S) must not be below"));
        runner.withPropertyValues("carrier.relay.bandwidth-per-peer=1KB")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.relay.bandwidth-per-peer must be at least 1500B"));
        runner.withPropertyValues("carrier.relay.max-circuits-per-peer=0")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.relay.max-circuits-per-peer must be 1..1024"));
        runner.withPropertyValues("carrier.messages.max-message-size=100MB")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.messages.max-message-size must be 1B..64MB"));
        runner.withPropertyValues("carrier.messages.outbox-sync-delay=2s")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.messages.outbox-sync-delay must be between 0 and PT1S"));
        runner.withPropertyValues("carrier.friends.mailbox-poll-interval=0s")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.friends.mailbox-poll-interval must be positive"));
    }

    @Test
    void forwardingIdleTimeoutBindsToTheBuilder() {
        idle().run(ctx -> {
            assertThat(ctx.getBean(CarrierProperties.class).forwardingIdleTimeout()).isEqualTo(Duration.ofMinutes(5));
            assertThat(ctx.getBean(CarrierBuilder.class).toString()).contains("forwardingIdleTimeout=PT5M");
        });
        idle().withPropertyValues("carrier.forwarding-idle-timeout=2h")
                .run(ctx -> assertThat(ctx.getBean(CarrierBuilder.class).toString())
                        .contains("forwardingIdleTimeout=PT2H"));
        runner.withPropertyValues("carrier.forwarding-idle-timeout=0s")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.forwarding-idle-timeout must be positive"));
    }

    @Test
    void healthCountsFriendsAndThoseOnline() {
        // both announce their peer records to a bootstrap node, where the other one looks them up
        CarrierNode boot = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve("boot")).build();
        boot.start().block(T);
        CarrierNode friend = null;
        try {
            friend = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve("friend"))
                    .bootstrap(boot.bootstrapInfo())
                    .friendOptions(FriendOptions.create().reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4))
                            .mailboxPollInterval(Duration.ofSeconds(2)))
                    .build();
            friend.start().block(T);
            CarrierNode other = friend;
            runner.withPropertyValues("carrier.data-dir=" + dir.resolve("app"), "carrier.bind-host=127.0.0.1",
                            "carrier.bootstrap[0]=" + boot.bootstrapInfo(), "carrier.friends.reconnect-min=500ms",
                            "carrier.friends.reconnect-max=4s", "carrier.friends.mailbox-poll-interval=2s")
                    .run(ctx -> {
                        CarrierNode node = ctx.getBean(CarrierNode.class);
                        CarrierHealthIndicator indicator = ctx.getBean(CarrierHealthIndicator.class);
                        assertThat(indicator.health().block(T).getDetails()).containsEntry("friends", 0)
                                .containsEntry("friendsOnline", 0);
                        node.friends().request(other.address(), "hi").block(T);
                        other.friends().requests().filter(r -> r.from().equals(node.userId())).next()
                                .flatMap(r -> r.accept()).block(T);
                        await().atMost(T).untilAsserted(() -> assertThat(indicator.health().block(T).getDetails())
                                .containsEntry("friends", 1).containsEntry("friendsOnline", 1));
                    });
        } finally {
            if (friend != null) {
                friend.stop().block(T);
            }
            boot.stop().block(T);
        }
    }

    @Test
    void aBadBootstrapEntryFailsStartupNamingTheProperty() {
        runner.withPropertyValues("carrier.bootstrap[0]=127.0.0.1:33446/" + NODE_ID, "carrier.bootstrap[1]=nowhere")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.bootstrap[1]: bootstrap node 'nowhere' must be"
                                + " host:port/nodeIdHex"));
        runner.withPropertyValues("carrier.port=70000")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("carrier.port must be 0..65535"));
    }

    @Test
    void disabledMeansNoNode() {
        runner.withPropertyValues("carrier.enabled=false").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx).doesNotHaveBean(CarrierNode.class);
            assertThat(ctx).doesNotHaveBean(CarrierNodeLifecycle.class);
            assertThat(ctx).doesNotHaveBean(CarrierHealthIndicator.class);
        });
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsOwnNode() {
        idle().withUserConfiguration(OwnNode.class).run(ctx -> {
            assertThat(ctx).hasSingleBean(CarrierNode.class);
            assertThat(ctx.getBean(CarrierNode.class)).isSameAs(ctx.getBean("myNode"));
            assertThat(ctx.getBean(CarrierNode.class).dataDir()).isEqualTo(Path.of("mine"));
            // the lifecycle still manages the application's node
            assertThat(ctx).hasSingleBean(CarrierNodeLifecycle.class);
        });
    }

    @Test
    void customizersRunInOrderOnTheBuilder() {
        idle().withUserConfiguration(Customizers.class).run(ctx -> {
            assertThat(ctx.getBean(CarrierBuilder.class).toString()).contains("bind=127.0.0.2:1234");
        });
    }

    @Test
    void aCustomizerReturningNullFailsWithAMessage() {
        idle().withBean(CarrierBuilderCustomizer.class, () -> b -> null)
                .run(ctx -> assertThat(ctx).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("must return the builder"));
    }

    @Test
    void withoutHealthSupportThereIsNoHealthIndicator() {
        // as without the Actuator: no spring-boot-health at all
        idle().withClassLoader(new FilteredClassLoader("org.springframework.boot.health")).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx).hasSingleBean(CarrierNode.class);
            assertThat(ctx).doesNotHaveBean(CarrierHealthIndicator.class);
        });
        idle().withPropertyValues("management.health.carrier.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(CarrierHealthIndicator.class));
    }

    @Test
    void lifecycleStartsARealNodeOnLoopbackAndStopsItOnClose() {
        AtomicReference<CarrierNode> seen = new AtomicReference<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        runner.withBean(MeterRegistry.class, () -> registry)
                .withPropertyValues("carrier.data-dir=" + dir.resolve("a"), "carrier.bind-host=127.0.0.1",
                        "carrier.port=0")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    CarrierNode node = ctx.getBean(CarrierNode.class);
                    seen.set(node);
                    assertThat(node.isRunning()).isTrue();
                    assertThat(ctx.getBean(CarrierNodeLifecycle.class).isRunning()).isTrue();
                    assertThat(node.localAddress().getAddress().isLoopbackAddress()).isTrue();
                    assertThat(node.localAddress().getPort()).isPositive();
                    assertThat(node.dataDir()).isEqualTo(dir.resolve("a"));
                    // the node's meters went to the application's registry
                    assertThat(registry.find("carrier.dht.routing.size").gauge()).isNotNull();

                    Health health = ctx.getBean(CarrierHealthIndicator.class).health().block(T);
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails())
                            .containsEntry("running", true)
                            .containsEntry("userId", node.userId().toString())
                            .containsEntry("nodeId", node.nodeId().toHex())
                            .containsEntry("localAddress", node.localAddress().toString())
                            .containsEntry("friends", 0)
                            .containsEntry("friendsOnline", 0)
                            .containsEntry("routingTableSize", 0)
                            .containsEntry("dhtConnected", false);
                });
        CarrierNode node = seen.get();
        assertThat(node.isRunning()).as("stopped when the context closed").isFalse();
        Health after = new CarrierHealthIndicator(node).health().block(T);
        assertThat(after.getStatus()).isEqualTo(Status.DOWN);
        assertThat(after.getDetails()).containsEntry("running", false);
    }

    @Test
    void healthIsDownBeforeTheNodeStarts() {
        idle().run(ctx -> {
            Health health = ctx.getBean(CarrierHealthIndicator.class).health().block(T);
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        });
    }

    @Test
    void aNodeThatCannotStartFailsTheContextWithAClearMessage() {
        // one running node per data directory: the second context cannot open the store
        ApplicationContextRunner same = runner.withPropertyValues("carrier.data-dir=" + dir.resolve("shared"),
                "carrier.bind-host=127.0.0.1", "carrier.start-timeout=20s");
        same.run(first -> {
            assertThat(first).hasNotFailed();
            same.run(second -> assertThat(second).hasFailed().getFailure()
                    .hasStackTraceContaining("failed to start: data directory")
                    .hasStackTraceContaining("a data directory can be used by one running node only"));
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnNode {
        @Bean
        CarrierNode myNode() {
            return Carrier.builder().dataDir(Path.of("mine")).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Customizers {
        @Bean
        @Order(2)
        CarrierBuilderCustomizer port() {
            return b -> b.bindPort(1234);
        }

        @Bean
        @Order(1)
        CarrierBuilderCustomizer host() {
            return b -> b.bindHost("127.0.0.2").bindPort(1);
        }
    }
}
