package io.reactivecarrier.spring;

import io.reactivecarrier.BootstrapNode;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.link.RelayServer;
import io.reactivecarrier.message.MessageOptions;
import io.reactivecarrier.store.NodeStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the auto-configured {@code CarrierNode}, under the prefix {@code carrier}.
 *
 * <pre>{@code
 * carrier.data-dir=/var/lib/carrier
 * carrier.port=33445
 * carrier.bootstrap[0]=203.0.113.7:33445/5f1c...e9
 * carrier.relay.enabled=true
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
 * @param relay Relaying for nodes behind NATs (off by default) and its limits per peer.
 * @param lanDiscovery Whether the node finds other nodes on the same LAN by multicast, without a bootstrap node.
 * @param friends Friend requests, mailbox polling and reconnects to offline friends.
 * @param messages Size limits and the offline path (the friend's DHT mailbox) of messages.
 * @param forwardingIdleTimeout How long a port-forwarded TCP connection may stay silent (no byte either way) before
 *        it is closed, on both the forwarding and the serving node.
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
        @DefaultValue("true") boolean autoStartup,
        @DefaultValue Relay relay,
        @DefaultValue("false") boolean lanDiscovery,
        @DefaultValue Friends friends,
        @DefaultValue Messages messages,
        @DefaultValue("5m") Duration forwardingIdleTimeout) {

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
        if (forwardingIdleTimeout == null || forwardingIdleTimeout.isNegative() || forwardingIdleTimeout.isZero()) {
            throw new IllegalArgumentException("carrier.forwarding-idle-timeout must be positive, e.g. 5m");
        }
        bootstrap = bootstrap == null ? List.of() : List.copyOf(bootstrap);
        bootstrapNodes(bootstrap);
        friends = friends == null ? Friends.DEFAULTS : friends;
        messages = messages == null ? Messages.DEFAULTS : messages;
        relay = relay == null ? Relay.DEFAULTS : relay;
    }

    /**
     * Relay settings, under {@code carrier.relay}.
     *
     * <pre>{@code
     * carrier.relay.enabled=true
     * carrier.relay.bandwidth-per-peer=5MB
     * }</pre>
     *
     * @param enabled Whether the node relays for nodes behind NATs: it serves introductions, forwards relayed link
     *        packets and announces itself in the DHT's relay directory. Only for a publicly reachable node.
     * @param maxCircuitsPerPeer Most relay circuits one peer may hold at once, 1 to 1024.
     * @param bandwidthPerPeer Bytes per second one peer may send through the relay, all its circuits together. The
     *        excess is dropped. At least 1500B.
     * @param maxCircuitDuration Longest life of a relay circuit; the link then takes a new one.
     */
    public record Relay(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("8") int maxCircuitsPerPeer,
            @DefaultValue("10MB") DataSize bandwidthPerPeer,
            @DefaultValue("30m") Duration maxCircuitDuration) {

        static final Relay DEFAULTS = new Relay(false, 8, DataSize.ofMegabytes(10), Duration.ofMinutes(30));

        /** Checks every value, naming the property. */
        public Relay {
            if (maxCircuitsPerPeer < 1 || maxCircuitsPerPeer > 1024) {
                throw new IllegalArgumentException("carrier.relay.max-circuits-per-peer must be 1..1024, got "
                        + maxCircuitsPerPeer);
            }
            if (bandwidthPerPeer == null || bandwidthPerPeer.toBytes() < 1500) {
                throw new IllegalArgumentException("carrier.relay.bandwidth-per-peer must be at least 1500B, e.g. 10MB,"
                        + " got " + bandwidthPerPeer);
            }
            positive(maxCircuitDuration, "carrier.relay.max-circuit-duration", "30m");
        }

        /** These limits applied to {@code base}. */
        public RelayServer.Limits applyTo(RelayServer.Limits base) {
            return base.maxCircuitsPerPeer(maxCircuitsPerPeer).bytesPerSecondPerPeer(bandwidthPerPeer.toBytes())
                    .maxCircuitDuration(maxCircuitDuration);
        }
    }

    /**
     * Friend settings, under {@code carrier.friends}.
     *
     * @param mailboxPollInterval How often the node reads its DHT mailbox (friend requests, accepts and offline
     *        messages), besides at start.
     * @param requestTtl How long a friend request or notice waits in the DHT for an offline recipient.
     * @param maxPendingRequests Most incoming friend requests kept pending; more are refused until some are
     *        accepted or refused.
     * @param reconnectMin First wait before redialling an offline friend after a failed attempt; it doubles per
     *        failure.
     * @param reconnectMax Longest wait between attempts to reach an offline friend.
     */
    public record Friends(
            @DefaultValue("60s") Duration mailboxPollInterval,
            @DefaultValue("7d") Duration requestTtl,
            @DefaultValue("1024") int maxPendingRequests,
            @DefaultValue("1s") Duration reconnectMin,
            @DefaultValue("60s") Duration reconnectMax) {

        static final Friends DEFAULTS = new Friends(Duration.ofSeconds(60), Duration.ofDays(7), 1024,
                Duration.ofSeconds(1), Duration.ofSeconds(60));

        /** Checks every value, naming the property. */
        public Friends {
            positive(mailboxPollInterval, "carrier.friends.mailbox-poll-interval", "60s");
            positive(requestTtl, "carrier.friends.request-ttl", "7d");
            positive(reconnectMin, "carrier.friends.reconnect-min", "1s");
            positive(reconnectMax, "carrier.friends.reconnect-max", "60s");
            if (reconnectMax.compareTo(reconnectMin) < 0) {
                throw new IllegalArgumentException("carrier.friends.reconnect-max (" + reconnectMax
                        + ") must not be below carrier.friends.reconnect-min (" + reconnectMin + ")");
            }
            if (maxPendingRequests < 1) {
                throw new IllegalArgumentException("carrier.friends.max-pending-requests must be positive, got "
                        + maxPendingRequests);
            }
        }

        /** These settings applied to {@code base}. */
        public FriendOptions applyTo(FriendOptions base) {
            return base.mailboxPollInterval(mailboxPollInterval).requestTtl(requestTtl)
                    .maxPendingRequests(maxPendingRequests).reconnectBackoff(reconnectMin, reconnectMax);
        }
    }

    /**
     * Message settings, under {@code carrier.messages}.
     *
     * @param maxMessageSize Largest message this node sends; larger sends fail at once. At most 64MB.
     * @param maxOfflineMessageSize Largest message that goes into an offline friend's DHT mailbox; larger ones wait
     *        until the friend is online.
     * @param offlineAfter How long a message waits for a link to its friend before it goes to the friend's DHT
     *        mailbox.
     * @param offlineTtl How long the DHT is asked to keep a message for an offline friend (DHT nodes may keep it
     *        for less; undelivered messages are deposited again).
     * @param offlineReplicas How many DHT nodes must store a message for an offline friend before it counts as
     *        stored offline.
     * @param outboxSyncDelay How long the outbox may put off the fsync of a commit, so that commits close together
     *        share one; 0 syncs every commit at once. At most 1s. Messages go on the wire before their commit is
     *        durable either way; what waits is the Mono of enqueue().
     */
    public record Messages(
            @DefaultValue("5MB") DataSize maxMessageSize,
            @DefaultValue("64KB") DataSize maxOfflineMessageSize,
            @DefaultValue("5s") Duration offlineAfter,
            @DefaultValue("7d") Duration offlineTtl,
            @DefaultValue("3") int offlineReplicas,
            @DefaultValue("10ms") Duration outboxSyncDelay) {

        static final Messages DEFAULTS = new Messages(DataSize.ofMegabytes(5), DataSize.ofKilobytes(64),
                Duration.ofSeconds(5), Duration.ofDays(7), 3, Duration.ofMillis(10));

        /** Checks every value, naming the property. */
        public Messages {
            if (maxMessageSize == null || maxMessageSize.toBytes() < 1 || maxMessageSize.toBytes() > (64L << 20)) {
                throw new IllegalArgumentException("carrier.messages.max-message-size must be 1B..64MB, got "
                        + maxMessageSize);
            }
            if (maxOfflineMessageSize == null || maxOfflineMessageSize.isNegative()
                    || maxOfflineMessageSize.toBytes() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("carrier.messages.max-offline-message-size must be 0B..2GB, got "
                        + maxOfflineMessageSize);
            }
            positive(offlineAfter, "carrier.messages.offline-after", "5s");
            positive(offlineTtl, "carrier.messages.offline-ttl", "7d");
            if (offlineReplicas < 1) {
                throw new IllegalArgumentException("carrier.messages.offline-replicas must be positive, got "
                        + offlineReplicas);
            }
            NodeStore.checkSyncDelay(outboxSyncDelay, "carrier.messages.outbox-sync-delay");
        }

        /** These settings applied to {@code base}. */
        public MessageOptions applyTo(MessageOptions base) {
            return base.maxMessageBytes((int) maxMessageSize.toBytes())
                    .maxOfflineMessageBytes((int) maxOfflineMessageSize.toBytes())
                    .offlineAfter(offlineAfter).offlineTtl(offlineTtl).offlineReplicas(offlineReplicas)
                    .outboxSyncDelay(outboxSyncDelay);
        }
    }

    private static void positive(Duration d, String property, String example) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(property + " must be positive, e.g. " + example + ", got " + d);
        }
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
