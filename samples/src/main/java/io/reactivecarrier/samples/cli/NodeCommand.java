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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code carrier node}: a long-lived node, the way bootstrap and storage nodes are deployed.
 * Prints its ids, its address and the bootstrap line other nodes join through, then a status
 * line at an interval; stops gracefully on SIGTERM or Ctrl-C.
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
        PrintWriter out = spec.commandLine().getOut();
        MeterRegistry registry = metricsPort == null ? new SimpleMeterRegistry()
                : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CarrierBuilder builder = Carrier.builder().dataDir(dataDir).bindHost(host).bindPort(port)
                .startTimeout(Duration.ofSeconds(startTimeout)).meterRegistry(registry);
        for (BootstrapNode b : bootstrap) {
            builder = builder.bootstrap(b);
        }
        CarrierNode node = builder.build();
        node.start().block(Duration.ofSeconds(startTimeout + 5L));
        MetricsServer metrics = null;
        try {
            if (!bootstrap.isEmpty() && routingSize(node) == 0) {
                throw new CarrierCli.UnreachableBootstrapException("no bootstrap node answered (" + bootstrap
                        + "); check the address and node id, and that UDP reaches that port");
            }
            printIdentity(out, node);
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
