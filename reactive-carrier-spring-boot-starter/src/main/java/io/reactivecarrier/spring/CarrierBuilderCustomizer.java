package io.reactivecarrier.spring;

import io.reactivecarrier.CarrierBuilder;

/**
 * Adjusts the {@link CarrierBuilder} the auto-configuration made from {@link CarrierProperties},
 * before the node is built. Declare one or more as beans; they run in {@code @Order} order.
 *
 * <pre>{@code
 * @Bean
 * CarrierBuilderCustomizer discoveredBootstrap(BootstrapDirectory directory) {
 *     return builder -> builder.bootstrap(directory.nearestBootstrapNode());   // a BootstrapNode
 * }
 * }</pre>
 *
 * <p>The builder is immutable: return the builder your changes made.
 */
@FunctionalInterface
public interface CarrierBuilderCustomizer {

    /** The builder with this customizer's changes applied. */
    CarrierBuilder customize(CarrierBuilder builder);
}
