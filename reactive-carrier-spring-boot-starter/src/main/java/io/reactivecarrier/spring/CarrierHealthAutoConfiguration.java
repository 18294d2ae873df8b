package io.reactivecarrier.spring;

import io.reactivecarrier.CarrierNode;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code carrier} health indicator, when Spring Boot's health support
 * ({@code spring-boot-health}, brought by the Actuator) is on the class path. Turn it off with
 * {@code management.health.carrier.enabled=false}.
 *
 * <pre>{@code
 * # application.properties
 * management.endpoint.health.show-details=always
 * # GET /actuator/health/carrier: {"status":"UP","details":{"dhtConnected":true,"friendsOnline":2,...}}
 * # and to turn it off: management.health.carrier.enabled=false
 * }</pre>
 */
@AutoConfiguration(after = CarrierAutoConfiguration.class)
@ConditionalOnClass({ReactiveHealthIndicator.class, CarrierNode.class})
@ConditionalOnBean(CarrierNode.class)
public class CarrierHealthAutoConfiguration {

    /** Reports the node's state under the name {@code carrier}. */
    @Bean
    @ConditionalOnMissingBean(name = "carrierHealthIndicator")
    // on the method, not the class: its condition class must only be loaded once spring-boot-health is known present
    @ConditionalOnEnabledHealthIndicator("carrier")
    public CarrierHealthIndicator carrierHealthIndicator(CarrierNode node) {
        return new CarrierHealthIndicator(node);
    }
}
