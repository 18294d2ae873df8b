package io.reactivecarrier.spring;

import io.reactivecarrier.BootstrapNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Configuration of the auto-configured {@code CarrierNode}, under the prefix {@code carrier}.
 *
 * <pre>{@code
 * carrier.data-dir=/var/lib/carrier
 * carrier.port=33445
 * carrier.bootstrap[0]=203.0.113.7:33445/5f1c...e9
 * }</pre>
 *
 * @param enabled Whether to auto-configure a Carrier node.
 * @param dataDir Directory of the node's identity, friends, outbox and DHT state. One running node per directory.
 * @param bindHost Local address the node's UDP socket binds to: 0.0.0.0 for every IPv4 interface, :: for dual
 *        stack, 127.0.0.1 for loopback only.
 * @param port UDP port of the node. 0 takes any free port.
 * @param bootstrap Nodes to join the network through, each as host:port/nodeIdHex (the line a node prints at
 *        start). None makes a new network of one.
 * @param startTimeout How long the application waits for the node to bind, join the DHT and announce itself before
 *        its startup fails.
 * @param stopTimeout How long a graceful stop (routing table saved, socket and store closed) may take before the
 *        application's shutdown goes on without waiting.
 * @param autoStartup Whether the node starts with the application context. When false, subscribe to
 *        CarrierNode.start() yourself.
 */
@ConfigurationProperties("carrier")
public record CarrierProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("carrier-data") Path dataDir,
        @DefaultValue("0.0.0.0") String bindHost,
        @DefaultValue("0") int port,
        @DefaultValue List<String> bootstrap,
        @DefaultValue("30s") Duration startTimeout,
        @DefaultValue("10s") Duration stopTimeout,
        @DefaultValue("true") boolean autoStartup) {

    /** Checks every value, so that a bad one fails the binding with the property's name. */
    public CarrierProperties {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("carrier.port must be 0..65535 (0 = any free port), got " + port);
        }
        if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("carrier.start-timeout must be positive, e.g. 30s");
        }
        if (stopTimeout == null || stopTimeout.isNegative() || stopTimeout.isZero()) {
            throw new IllegalArgumentException("carrier.stop-timeout must be positive, e.g. 10s");
        }
        bootstrap = bootstrap == null ? List.of() : List.copyOf(bootstrap);
        bootstrapNodes(bootstrap);
    }

    /** The {@link #bootstrap()} entries parsed. */
    public List<BootstrapNode> bootstrapNodes() {
        return bootstrapNodes(bootstrap);
    }

    private static List<BootstrapNode> bootstrapNodes(List<String> entries) {
        List<BootstrapNode> nodes = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            try {
                nodes.add(BootstrapNode.parse(entries.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("carrier.bootstrap[" + i + "]: " + e.getMessage(), e);
            }
        }
        return List.copyOf(nodes);
    }
}
