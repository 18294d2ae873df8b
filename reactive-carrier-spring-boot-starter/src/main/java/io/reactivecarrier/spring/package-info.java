/**
 * Spring Boot auto-configuration of a {@code CarrierNode}: {@link io.reactivecarrier.spring.CarrierProperties}
 * ({@code carrier.*}), {@link io.reactivecarrier.spring.CarrierAutoConfiguration},
 * {@link io.reactivecarrier.spring.CarrierNodeLifecycle}, {@link io.reactivecarrier.spring.CarrierBuilderCustomizer}
 * and, with the Actuator, {@link io.reactivecarrier.spring.CarrierHealthIndicator}.
 *
 * <pre>{@code
 * @RestController
 * class NodeController {
 *     private final CarrierNode node;
 *     NodeController(CarrierNode node) { this.node = node; }
 *
 *     @GetMapping("/address")
 *     Mono<String> address() { return node.start().then(Mono.fromSupplier(() -> node.address().toString())); }
 * }
 * }</pre>
 */
package io.reactivecarrier.spring;
