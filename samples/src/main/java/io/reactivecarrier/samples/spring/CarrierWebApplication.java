package io.reactivecarrier.samples.spring;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot WebFlux application that uses the starter: the auto-configured {@code CarrierNode}
 * starts with the application, {@link NodeController} serves its address and DHT lookups, and
 * {@link FriendsController} friend requests, the friend list, messages and their event streams.
 *
 * <pre>
 * ./mvnw -B -q -pl samples exec:java -Dexec.mainClass=io.reactivecarrier.samples.spring.CarrierWebApplication \
 *     -Dexec.args="--carrier.port=33447 --carrier.bootstrap[0]=127.0.0.1:33445/&lt;nodeIdHex&gt;"
 * curl localhost:8080/node
 * curl -H 'Content-Type: application/json' -d '{"address":"...","hello":"hi"}' localhost:8080/friends/requests
 * curl -N localhost:8080/messages/events
 * curl localhost:8080/actuator/health
 * curl localhost:8080/actuator/prometheus
 * </pre>
 */
@SpringBootApplication
public class CarrierWebApplication {

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(CarrierWebApplication.class);
        app.setDefaultProperties(Map.of(
                "carrier.data-dir", "carrier-web-data",
                "management.endpoint.health.show-details", "always",
                "management.endpoints.web.exposure.include", "health,prometheus"));
        app.run(args);
    }
}
