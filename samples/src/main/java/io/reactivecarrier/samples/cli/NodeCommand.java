package io.reactivecarrier.samples.cli;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.reactivecarrier.BootstrapNode;
import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierBuilder;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.dht.DhtNode;
import io.reactivecarrier.dht.LanDiscovery;
import io.reactivecarrier.link.RelayServer;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code carrier node}: a long-lived node, the way bootstrap, relay and storage nodes are deployed.
 * Prints its ids, its address and the bootstrap line other nodes join through, then a status
 * line at an interval; stops gracefully on SIGTERM or Ctrl-C. {@code --relay} makes it relay for
 * nodes behind NATs (within the {@code --relay-*} limits), {@code --lan-discovery} finds nodes on
 * the same LAN by multicast.
 */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a node until SIGTERM or Ctrl-C.",
                "Prints its node id, user id, address and the bootstrap line other nodes join through."})
final class NodeCommand implements Callable<Integer> {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--data-dir"}, defaultValue = "carrier-data", paramLabel = "DIR",
            description = "Identity and state directory (default: ${DEFAULT-VALUE}). One running node per directory.")
    Path dataDir;

    @Option(names = {"-H", "--host"}, defaultValue = "0.0.0.0", paramLabel = "HOST",
            description = "Local address to bind the UDP socket to (default: ${DEFAULT-VALUE}; :: for dual stack).")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "33445", paramLabel = "PORT",
            description = "UDP port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = {"-b", "--bootstrap"}, split = ",", paramLabel = "HOST:PORT/NODEID",
            description = "Node to join the network through, as another node printed it. Repeat or separate with commas."
                    + " None: a new network of one.")
    List<BootstrapNode> bootstrap = new ArrayList<>();

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve Prometheus metrics on http://HOST:PORT/metrics (off by default).")
    Integer metricsPort;

    @Option(names = "--metrics-host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address of the metrics HTTP server (default: ${DEFAULT-VALUE}).")
    String metricsHost;

    @Option(names = "--status-interval", defaultValue = "60", paramLabel = "SECONDS",
            description = "Seconds between status lines (default: ${DEFAULT-VALUE}; 0 = none).")
    int statusInterval;

    @Option(names = "--start-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "Give up when the node has not started after this many seconds (default: ${DEFAULT-VALUE}).")
    int startTimeout;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file with defaults for these options, keys without dashes (data-dir=..., port=...).")
    Path config;

    @Option(names = "--relay", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Relay for nodes behind NATs and announce it in the DHT (off by default; only on a publicly"
                    + " reachable node). --no-relay turns off a relay=true of the config file.")
    boolean relay;

    @Option(names = "--relay-max-circuits", paramLabel = "N",
            description = "With --relay: circuits one peer may hold at once (default: 8).")
    Integer relayMaxCircuits;

    @Option(names = "--relay-bandwidth", paramLabel = "SIZE",
            description = "With --relay: bytes per second one peer may send through the relay, all its circuits"
                    + " together, e.g. 10MB, 512KB, 1500 (default: 10MB; KB/MB/GB are 1024-based).")
    String relayBandwidth;

    @Option(names = "--relay-max-circuit-duration", paramLabel = "SECONDS",
            description = "With --relay: seconds a circuit lives at most; the link then takes a new one (default: 1800).")
    Long relayMaxCircuitDuration;

    @Option(names = "--lan-discovery", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Find nodes on the same LAN by multicast (" + LanDiscovery.GROUP + ":" + LanDiscovery.PORT
                    + "), without a bootstrap node (off by default).")
    boolean lanDiscovery;

    @Option(names = "--service", paramLabel = "NAME=HOST:PORT",
            description = "Make a local TCP service reachable to friends (`carrier forward --service NAME`). Repeatable.")
    List<String> services = new ArrayList<>();

    @Option(names = "--once", hidden = true, description = "Start, print, stop (for tests and scripts).")
    boolean once;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--port must be 0..65535, got " + port);
        }
        if (startTimeout <= 0 || statusInterval < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--start-timeout must be positive and --status-interval not negative");
        }
        List<String[]> parsedServices = new ArrayList<>();
        for (String service : services) {
            int eq = service.indexOf('=');
            if (eq <= 0 || service.substring(0, eq).contains("/")) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--service '" + service + "' must be NAME=HOST:PORT (a name without '/')");
            }
            InetSocketAddress target = ForwardCommand.hostPort(spec.commandLine(), "--service", service.substring(eq + 1));
            parsedServices.add(new String[] {service.substring(0, eq), target.getHostString(), String.valueOf(target.getPort())});
        }
        RelayServer.Limits limits = relayLimits();
        PrintWriter out = spec.commandLine().getOut();
        MeterRegistry registry = metricsPort == null ? new SimpleMeterRegistry()
                : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CarrierNode node = builder(limits).meterRegistry(registry).build();
        node.start().block(Duration.ofSeconds(startTimeout + 5L));
        MetricsServer metrics = null;
        try {
            if (!bootstrap.isEmpty() && routingSize(node) == 0) {
                throw new CarrierCli.UnreachableBootstrapException("no bootstrap node answered (" + bootstrap
                        + "); check the address and node id, and that UDP reaches that port");
            }
            printIdentity(out, node);
            if (relay) {
                out.println("relay:      on, " + limits.maxCircuitsPerPeer() + " circuits and "
                        + ProgressBar.size(limits.bytesPerSecondPerPeer()) + "/s per peer, "
                        + limits.maxCircuitDuration().toSeconds() + " s per circuit (announced in the DHT)");
            }
            if (lanDiscovery) {
                out.println("lan:        discovery on (multicast " + LanDiscovery.GROUP + ":" + LanDiscovery.PORT + ")");
            }
            for (String[] s : parsedServices) {
                node.forwarding().addService(s[0], s[1], Integer.parseInt(s[2]));
                out.println("service:    " + s[0] + " -> " + s[1] + ":" + s[2] + "   (friends: carrier forward --service " + s[0] + ")");
            }
            if (registry instanceof PrometheusMeterRegistry prometheus) {
                metrics = MetricsServer.start(prometheus, metricsHost, metricsPort);
                out.println("metrics:    http://" + hostText(metrics.address()) + "/metrics");
            }
            out.flush();
            if (once) {
                return 0;
            }
            runUntilStopped(out, node);
            return 0;
        } finally {
            if (metrics != null) {
                metrics.close();
            }
            if (node.isRunning()) {
                node.stop().block(Duration.ofSeconds(15));
            }
        }
    }

    /** The node's configuration from these options (without the meter registry). */
    CarrierBuilder builder(RelayServer.Limits limits) {
        CarrierBuilder builder = Carrier.builder().dataDir(dataDir).bindHost(host).bindPort(port)
                .startTimeout(Duration.ofSeconds(startTimeout)).relay(relay).relayLimits(limits)
                .lanDiscovery(lanDiscovery);
        for (BootstrapNode b : bootstrap) {
            builder = builder.bootstrap(b);
        }
        return builder;
    }

    /** The relay limits from the {@code --relay-*} options; a bad value is a parameter error naming the option. */
    RelayServer.Limits relayLimits() {
        RelayServer.Limits limits = RelayServer.Limits.defaults();
        String option = "--relay-max-circuits";
        try {
            if (relayMaxCircuits != null) {
                limits = limits.maxCircuitsPerPeer(relayMaxCircuits);
            }
            option = "--relay-bandwidth";
            if (relayBandwidth != null) {
                limits = limits.bytesPerSecondPerPeer(parseSize(relayBandwidth));
            }
            option = "--relay-max-circuit-duration";
            if (relayMaxCircuitDuration != null) {
                limits = limits.maxCircuitDuration(Duration.ofSeconds(relayMaxCircuitDuration));
            }
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
        return limits;
    }

    /** {@code 1500}, {@code 512KB}, {@code 10MB}, {@code 1GB} (1024-based, as Spring's DataSize; B and KiB/MiB/GiB too). */
    static long parseSize(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; write bytes, e.g. 1500, 512KB, 10MB or 1GB");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2).toUpperCase(java.util.Locale.ROOT).replace("I", "");
        int shift = switch (unit) {
            case "", "B" -> 0;
            case "K", "KB" -> 10;
            case "M", "MB" -> 20;
            default -> 30;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return n << shift;
    }

    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*((?i)b|k|kb|kib|m|mb|mib|g|gb|gib)?");

    private void printIdentity(PrintWriter out, CarrierNode node) {
        out.println("node id:    " + node.nodeId().toHex());
        out.println("user id:    " + node.userId());
        out.println("address:    " + node.address() + "   (give it to friends)");
        out.println("bound:      udp " + hostText(node.localAddress()));
        out.println("data dir:   " + node.dataDir().toAbsolutePath());
        for (String line : bootstrapLines(node)) {
            out.println("bootstrap:  " + line);
        }
        out.println("            (other nodes join with --bootstrap <one of these>)");
    }

    /** One bootstrap line per address others may reach this node at. */
    private static List<String> bootstrapLines(CarrierNode node) {
        InetSocketAddress local = node.localAddress();
        Set<String> lines = new LinkedHashSet<>();
        if (local.getAddress().isAnyLocalAddress()) {
            for (InetAddress a : interfaceAddresses()) {
                lines.add(new BootstrapNode(new InetSocketAddress(a, local.getPort()), node.nodeId()).toString());
            }
        }
        lines.add(node.bootstrapInfo().toString());
        return List.copyOf(lines);
    }

    private static List<InetAddress> interfaceAddresses() {
        List<InetAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (ni.isUp() && !ni.isLoopback()) {
                    for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                        if (!a.isLinkLocalAddress()) {
                            out.add(a);
                        }
                    }
                }
            }
        } catch (SocketException e) {
            // no interface list: the loopback line is printed anyway
        }
        return out;
    }

    private void runUntilStopped(PrintWriter out, CarrierNode node) {
        out.println(now() + " running; SIGTERM or Ctrl-C stops it");
        out.flush();
        NodeOptions.runUntilStopped(statusInterval, () -> {
            out.println(now() + " status: routing table " + routingSize(node) + " nodes, bound "
                    + hostText(node.localAddress()));
            out.flush();
        }, () -> {
            out.println(now() + " stopping: saving the routing table, closing the socket and the store");
            out.flush();
            node.stop().block(Duration.ofSeconds(15));
            out.println(now() + " stopped");
            out.flush();
        });
    }

    static int routingSize(CarrierNode node) {
        if (node.dht() instanceof DhtNode dht) {
            List<?> verified = dht.snapshot().block(Duration.ofSeconds(10));
            return verified == null ? 0 : verified.size();
        }
        return -1;
    }

    private static String hostText(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static String now() {
        return LocalTime.now().format(CLOCK);
    }
}
