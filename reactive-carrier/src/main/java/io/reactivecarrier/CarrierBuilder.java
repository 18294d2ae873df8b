package io.reactivecarrier;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.link.RelayServer;
import io.reactivecarrier.message.MessageOptions;
import io.reactivecarrier.session.PortForwarding;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Immutable configuration of a {@link CarrierNode}: every method returns a new builder, in the
 * reactor-netty style, so a builder can be shared and specialised safely.
 *
 * <pre>{@code
 * CarrierBuilder base = Carrier.builder().bindHost("127.0.0.1");
 * CarrierNode alice = base.dataDir(Path.of("alice")).build();
 * CarrierNode bob = base.dataDir(Path.of("bob")).bootstrap(alice.bootstrapInfo()).build();
 * }</pre>
 */
public final class CarrierBuilder {

    static final CarrierBuilder DEFAULTS = new CarrierBuilder();

    Path dataDir = Path.of("carrier-data");
    String bindHost = "0.0.0.0";
    int bindPort = 0;
    List<BootstrapNode> bootstrap = List.of();
    MeterRegistry meterRegistry;
    Duration startTimeout = Duration.ofSeconds(30);
    Duration peerRecordTtl = Duration.ofHours(1);
    FriendOptions friendOptions = FriendOptions.create();
    MessageOptions messageOptions = MessageOptions.create();
    boolean relay;
    RelayServer.Limits relayLimits = RelayServer.Limits.defaults();
    boolean lanDiscovery;
    Duration forwardingIdleTimeout = PortForwarding.DEFAULT_IDLE_TIMEOUT;
    /** How often a running node saves its routing-table snapshot when it changed (package-private: tests shorten it). */
    Duration routingSnapshotPeriod = Duration.ofMinutes(2);

    private CarrierBuilder() {
    }

    private CarrierBuilder copy() {
        CarrierBuilder b = new CarrierBuilder();
        b.dataDir = dataDir;
        b.bindHost = bindHost;
        b.bindPort = bindPort;
        b.bootstrap = bootstrap;
        b.meterRegistry = meterRegistry;
        b.startTimeout = startTimeout;
        b.peerRecordTtl = peerRecordTtl;
        b.friendOptions = friendOptions;
        b.relay = relay;
        b.relayLimits = relayLimits;
        b.messageOptions = messageOptions;
        b.lanDiscovery = lanDiscovery;
        b.forwardingIdleTimeout = forwardingIdleTimeout;
        b.routingSnapshotPeriod = routingSnapshotPeriod;
        return b;
    }

    /** Where the identity, friends, outbox and DHT state live. One running node per directory. */
    public CarrierBuilder dataDir(Path dir) {
        CarrierBuilder b = copy();
        b.dataDir = Objects.requireNonNull(dir, "dataDir");
        return b;
    }

    /** The local address to bind the UDP socket to ({@code 0.0.0.0} by default, {@code ::} for dual stack). */
    public CarrierBuilder bindHost(String host) {
        CarrierBuilder b = copy();
        b.bindHost = Objects.requireNonNull(host, "bindHost");
        return b;
    }

    /** The UDP port; 0 (the default) takes any free port. */
    public CarrierBuilder bindPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("bindPort must be 0..65535, got " + port);
        }
        CarrierBuilder b = copy();
        b.bindPort = port;
        return b;
    }

    /** Adds a node to join the network through, as {@code host:port/nodeIdHex}. */
    public CarrierBuilder bootstrap(String node) {
        return bootstrap(BootstrapNode.parse(node));
    }

    /** Adds a node to join the network through, with its endpoint and hex node id. */
    public CarrierBuilder bootstrap(String hostPort, String nodeIdHex) {
        return bootstrap(BootstrapNode.of(hostPort, nodeIdHex));
    }

    /** Adds a node to join the network through. No bootstrap node: a new network of one. */
    public CarrierBuilder bootstrap(BootstrapNode node) {
        CarrierBuilder b = copy();
        List<BootstrapNode> list = new ArrayList<>(bootstrap);
        list.add(Objects.requireNonNull(node, "node"));
        b.bootstrap = List.copyOf(list);
        return b;
    }

    /** Where the node's meters go ({@code carrier.*}); a private registry by default. */
    public CarrierBuilder meterRegistry(MeterRegistry registry) {
        CarrierBuilder b = copy();
        b.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
        return b;
    }

    /** How often the running node saves its routing-table snapshot (when it changed); tests only. */
    CarrierBuilder routingSnapshotPeriod(Duration period) {
        CarrierBuilder b = copy();
        b.routingSnapshotPeriod = Objects.requireNonNull(period, "routingSnapshotPeriod");
        return b;
    }

    /** How long {@link CarrierNode#start()} may take before it fails. */
    public CarrierBuilder startTimeout(Duration timeout) {
        CarrierBuilder b = copy();
        b.startTimeout = Objects.requireNonNull(timeout, "startTimeout");
        return b;
    }

    /** Settings of the friend service: mailbox polling, reconnect backoff, request lifetime, buffers. */
    public CarrierBuilder friendOptions(FriendOptions options) {
        CarrierBuilder b = copy();
        b.friendOptions = Objects.requireNonNull(options, "friendOptions");
        return b;
    }

    /** Settings of the message service: size limits, window, retransmission, offline lifetime and replicas. */
    public CarrierBuilder messageOptions(MessageOptions options) {
        CarrierBuilder b = copy();
        b.messageOptions = Objects.requireNonNull(options, "messageOptions");
        return b;
    }

    /**
     * Opt in to relaying for nodes behind NATs (only on a publicly reachable node): the node serves
     * introductions and forwards relayed link packets within {@link #relayLimits(RelayServer.Limits)},
     * and announces itself in the DHT's relay directory. Off by default.
     */
    public CarrierBuilder relay(boolean enabled) {
        CarrierBuilder b = copy();
        b.relay = enabled;
        return b;
    }

    /**
     * The limits of the relay role (used with {@link #relay(boolean) relay(true)}): circuits,
     * bandwidth per peer, circuit duration. {@link RelayServer.Limits#defaults()} by default:
     * 8 circuits and 10 MiB/s per peer, 30 minutes per circuit.
     *
     * <pre>{@code
     * Carrier.builder().relay(true).relayLimits(RelayServer.Limits.defaults()
     *         .maxCircuitsPerPeer(4).bytesPerSecondPerPeer(1_000_000).maxCircuitDuration(Duration.ofMinutes(10)));
     * }</pre>
     */
    public CarrierBuilder relayLimits(RelayServer.Limits limits) {
        CarrierBuilder b = copy();
        b.relayLimits = Objects.requireNonNull(limits, "relayLimits");
        return b;
    }

    /**
     * Find nodes on the same LAN by multicast ({@code dht.LanDiscovery}), without a bootstrap node.
     * Off by default.
     */
    public CarrierBuilder lanDiscovery(boolean enabled) {
        CarrierBuilder b = copy();
        b.lanDiscovery = enabled;
        return b;
    }

    /**
     * How long a connection forwarded through {@link CarrierNode#forwarding()} may stay silent
     * (no byte either way) before it is closed, on both the forwarding and the serving side
     * ({@link PortForwarding#DEFAULT_IDLE_TIMEOUT}, 5 minutes, by default). Raise it for long-lived
     * quiet connections such as SSH sessions without keepalives.
     *
     * @throws IllegalArgumentException when {@code timeout} is zero or negative
     */
    public CarrierBuilder forwardingIdleTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "forwardingIdleTimeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("forwardingIdleTimeout must be positive, got " + timeout
                    + " (use a long duration such as Duration.ofDays(1) for connections that should hardly ever time out)");
        }
        CarrierBuilder b = copy();
        b.forwardingIdleTimeout = timeout;
        return b;
    }

    /** The node with this configuration, not started yet. */
    public CarrierNode build() {
        CarrierBuilder b = copy();
        if (b.meterRegistry == null) {
            b.meterRegistry = new SimpleMeterRegistry();
        }
        return new DefaultCarrierNode(b);
    }

    @Override
    public String toString() {
        return "CarrierBuilder[dataDir=" + dataDir + ", bind=" + bindHost + ":" + bindPort + ", bootstrap="
                + bootstrap + ", relay=" + relay + (relay ? ", " + relayLimits : "") + ", lanDiscovery=" + lanDiscovery
                + ", " + friendOptions + ", forwardingIdleTimeout=" + forwardingIdleTimeout + "]";
    }
}
