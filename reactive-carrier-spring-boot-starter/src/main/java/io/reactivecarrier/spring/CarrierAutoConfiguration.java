package io.reactivecarrier.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierBuilder;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.link.RelayServer;
import io.reactivecarrier.message.MessageOptions;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of a {@link CarrierNode} from {@link CarrierProperties} ({@code carrier.*}).
 *
 * <ul>
 *   <li>{@link CarrierBuilder} bean: {@code Carrier.builder()} with the properties applied, the
 *       application's {@link MeterRegistry} (when there is exactly one) and every
 *       {@link CarrierBuilderCustomizer} bean. Define your own {@code CarrierBuilder} bean to replace it.</li>
 *   <li>{@link CarrierNode} bean, built from that builder, not started. Define your own
 *       {@code CarrierNode} bean and this one backs off.</li>
 *   <li>{@link CarrierNodeLifecycle}: starts the node with the context (bounded wait) and stops it
 *       gracefully on shutdown; it manages whichever {@code CarrierNode} bean there is.</li>
 * </ul>
 *
 * <p>{@code carrier.enabled=false} turns all of it off.
 *
 * <pre>{@code
 * // application.properties: carrier.data-dir=/var/lib/carrier and carrier.port=33445 are enough;
 * // or define your own node, and the auto-configured one backs off:
 * @Bean
 * CarrierNode carrierNode() {
 *     return Carrier.builder().dataDir(Path.of("/var/lib/carrier")).bindPort(33445).build();
 * }
 * }</pre>
 */
@AutoConfiguration
@ConditionalOnClass(CarrierNode.class)
@ConditionalOnBooleanProperty(name = "carrier.enabled", matchIfMissing = true)
@EnableConfigurationProperties(CarrierProperties.class)
public class CarrierAutoConfiguration {

    /** The builder with {@code carrier.*} applied, then the meter registry, then the customizers. */
    @Bean
    @ConditionalOnMissingBean
    public CarrierBuilder carrierBuilder(CarrierProperties properties, ObjectProvider<MeterRegistry> meterRegistry,
            ObjectProvider<CarrierBuilderCustomizer> customizers) {
        CarrierBuilder builder = Carrier.builder()
                .dataDir(properties.dataDir())
                .bindHost(properties.bindHost())
                .bindPort(properties.port())
                .startTimeout(properties.startTimeout())
                .relay(properties.relay().enabled())
                .relayLimits(properties.relay().applyTo(RelayServer.Limits.defaults()))
                .lanDiscovery(properties.lanDiscovery())
                .forwardingIdleTimeout(properties.forwardingIdleTimeout())
                .friendOptions(properties.friends().applyTo(FriendOptions.create()))
                .messageOptions(properties.messages().applyTo(MessageOptions.create()));
        for (var node : properties.bootstrapNodes()) {
            builder = builder.bootstrap(node);
        }
        MeterRegistry registry = meterRegistry.getIfUnique();
        if (registry != null) {
            builder = builder.meterRegistry(registry);
        }
        for (CarrierBuilderCustomizer customizer : customizers.orderedStream().toList()) {
            builder = customizer.customize(builder);
            if (builder == null) {
                throw new IllegalStateException(customizer + " returned null: a CarrierBuilderCustomizer must return"
                        + " the builder its changes made (CarrierBuilder is immutable)");
            }
        }
        return builder;
    }

    /** The node, not started: {@link CarrierNodeLifecycle} starts it with the context. */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    public CarrierNode carrierNode(CarrierBuilder builder) {
        return builder.build();
    }

    /** Starts and stops whichever {@link CarrierNode} bean the context has. */
    @Bean
    @ConditionalOnMissingBean
    public CarrierNodeLifecycle carrierNodeLifecycle(CarrierNode node, CarrierProperties properties) {
        return new CarrierNodeLifecycle(node, properties.startTimeout(), properties.stopTimeout(),
                properties.autoStartup());
    }
}
