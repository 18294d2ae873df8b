package io.reactivecarrier.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.BootstrapNode;
import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.dht.RelayDirectory;
import io.reactivecarrier.link.RelayServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line in process: real nodes on loopback, exit codes and one-line errors. */
class CarrierCliTest {

    private static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return CarrierCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void idCreatesAnIdentityAndShowsTheSameOneAgain() {
        Path data = dir.resolve("alice");
        assertThat(run("id", "--data-dir", data.toString())).as(() -> "stderr: " + err).isZero();
        assertThat(out.toString()).contains("created a new identity in", "user id:", "address:", "node id:");
        String address = line(out.toString(), "address:");

        out.getBuffer().setLength(0);
        assertThat(run("id", "-d", data.toString())).as(() -> "stderr: " + err).isZero();
        assertThat(out.toString()).startsWith("identity in");
        assertThat(line(out.toString(), "address:")).isEqualTo(address);
    }

    @Test
    void nodeStartsJoinsThroughABootstrapNodeAndPrintsItsInfo() {
        CarrierNode boot = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve("boot")).build();
        boot.start().block(T);
        try {
            int code = run("node", "--once", "-d", dir.resolve("n").toString(), "-H", "127.0.0.1", "-p", "0",
                    "--bootstrap", boot.bootstrapInfo().toString());
            // exit 0, not 3: the bootstrap node answered and is in the new node's routing table
            assertThat(code).as(err.toString()).isZero();
            assertThat(out.toString()).contains("node id:", "user id:", "address:", "bound:      udp 127.0.0.1:",
                    "bootstrap:  127.0.0.1:");
            assertThat(line(out.toString(), "node id:")).hasSize(64).isNotEqualTo(boot.nodeId().toHex());
        } finally {
            boot.stop().block(T);
        }
    }

    @Test
    void configFileSuppliesDefaultsAndFlagsOverrideThem() throws Exception {
        Path config = dir.resolve("node.properties");
        Files.writeString(config, "data-dir=" + dir.resolve("from-config") + "\nhost=127.0.0.1\nport=0\n");
        assertThat(run("node", "--once", "--config", config.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("data dir:   " + dir.resolve("from-config").toAbsolutePath());
        assertThat(run("node", "--config", dir.resolve("missing.properties").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("is not readable");
    }

    @Test
    void relayAndLanDiscoveryFlagsConfigureTheNode() {
        assertThat(run("node", "--once", "-d", dir.resolve("r").toString(), "-H", "127.0.0.1", "-p", "0", "--relay",
                "--relay-max-circuits", "4", "--relay-bandwidth", "2MB", "--relay-max-circuit-duration", "600",
                "--lan-discovery")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("relay:      on, 4 circuits and ", "/s per peer, 600 s per circuit",
                "lan:        discovery on (multicast 239.192.77.45:33448)");
        // the values reach the builder the node is built from
        NodeCommand node = parse("node", "--relay", "--relay-max-circuits", "4", "--relay-bandwidth", "2MB",
                "--relay-max-circuit-duration", "600", "--lan-discovery");
        RelayServer.Limits limits = node.relayLimits();
        assertThat(limits).isEqualTo(RelayServer.Limits.defaults().maxCircuitsPerPeer(4)
                .bytesPerSecondPerPeer(2L << 20).maxCircuitDuration(Duration.ofMinutes(10)));
        assertThat(node.builder(limits).toString()).contains("relay=true", "maxCircuitsPerPeer=4",
                "bytesPerSecondPerPeer=2097152", "lanDiscovery=true");
        // off by default: no relay line, the builder says so
        NodeCommand plain = parse("node");
        assertThat(plain.builder(plain.relayLimits()).toString()).contains("relay=false", "lanDiscovery=false");
        out.getBuffer().setLength(0);
        assertThat(run("node", "--once", "-d", dir.resolve("p").toString(), "-H", "127.0.0.1", "-p", "0"))
                .as(err.toString()).isZero();
        assertThat(out.toString()).doesNotContain("relay:", "lan:");
    }

    @Test
    void relayOptionsComeFromTheConfigFileAndFlagsOverrideThem() throws Exception {
        Path config = dir.resolve("relay.properties");
        Files.writeString(config, "relay=true\nrelay-bandwidth=512KB\nrelay-max-circuits=2\nlan-discovery=true\n");
        NodeCommand node = parse("node", "--config", config.toString());
        assertThat(node.relay).isTrue();
        assertThat(node.lanDiscovery).isTrue();
        assertThat(node.relayLimits().bytesPerSecondPerPeer()).isEqualTo(512 * 1024);
        assertThat(node.relayLimits().maxCircuitsPerPeer()).isEqualTo(2);
        NodeCommand overridden = parse("node", "--config", config.toString(), "--no-relay", "--no-lan-discovery",
                "--relay-max-circuits", "3");
        assertThat(overridden.relay).isFalse();
        assertThat(overridden.lanDiscovery).isFalse();
        assertThat(overridden.relayLimits().maxCircuitsPerPeer()).isEqualTo(3);
    }

    @Test
    void badRelayValuesGiveOneLineAndExitCode2() {
        assertThat(run("node", "--relay", "--relay-bandwidth", "10 parsecs")).isEqualTo(2);
        assertThat(err.toString()).contains("--relay-bandwidth: '10 parsecs' is not a size").doesNotContain("\tat ");
        err.getBuffer().setLength(0);
        assertThat(run("node", "--relay", "--relay-bandwidth", "1KB")).isEqualTo(2);
        assertThat(err.toString()).contains("--relay-bandwidth: bytesPerSecondPerPeer must be >= 1500");
        err.getBuffer().setLength(0);
        assertThat(run("node", "--relay", "--relay-max-circuits", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--relay-max-circuits: maxCircuitsPerPeer must be 1..1024");
        err.getBuffer().setLength(0);
        assertThat(run("node", "--relay", "--relay-max-circuit-duration", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--relay-max-circuit-duration: maxCircuitDuration must be positive");
    }

    @Test
    void aRelayNodeRunByTheCliIsFoundInTheDhtsRelayDirectory() throws Exception {
        Thread cli = new Thread(() -> run("node", "-d", dir.resolve("relay").toString(), "-H", "127.0.0.1", "-p", "0",
                "--relay", "--status-interval", "0"), "cli-relay-node");
        cli.start();
        CarrierNode peer = null;
        try {
            await().atMost(T).until(() -> out.toString().contains("running;"));
            assertThat(out.toString()).contains("relay:      on, 8 circuits and 10.0 MiB/s per peer");
            String relayId = line(out.toString(), "node id:");
            BootstrapNode relayNode = BootstrapNode.parse(line(out.toString(), "bootstrap:"));
            peer = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve("peer")).bootstrap(relayNode).build();
            peer.start().block(T);
            CarrierNode p = peer;
            // the CLI node announced itself as a relay: a node that joined through it finds it there
            await().atMost(T).pollInterval(Duration.ofSeconds(1)).until(() -> RelayDirectory.find(p.dht())
                    .blockOptional(Duration.ofSeconds(20)).orElse(List.of()).stream()
                    .anyMatch(n -> n.id().toHex().equals(relayId)));
        } finally {
            if (peer != null) {
                peer.stop().block(T);
            }
            cli.interrupt(); // a stop request, like SIGTERM
            cli.join(T.toMillis());
        }
        assertThat(cli.isAlive()).isFalse();
        assertThat(out.toString()).contains("stopped");
    }

    private static NodeCommand parse(String... args) {
        picocli.CommandLine cl = CarrierCli.commandLine();
        CarrierCli.withConfig(cl, args);
        picocli.CommandLine.ParseResult parsed = cl.parseArgs(args);
        return (NodeCommand) parsed.subcommand().commandSpec().userObject();
    }

    @Test
    void metricsPortServesPrometheusText() throws Exception {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = probe.getLocalPort();
            probe.close();
            assertThat(run("node", "--once", "-d", dir.resolve("m").toString(), "-H", "127.0.0.1", "-p", "0",
                    "--metrics-port", Integer.toString(port))).as(err.toString()).isZero();
            assertThat(out.toString()).contains("metrics:    http://127.0.0.1:" + port + "/metrics");
        }
    }

    @Test
    void badFlagsAndValuesGiveOneLineAndExitCode2() {
        assertThat(run("node", "--no-such-flag")).isEqualTo(2);
        assertThat(err.toString()).contains("carrier: Unknown option: '--no-such-flag'").doesNotContain("Exception");

        err.getBuffer().setLength(0);
        assertThat(run("node", "--bootstrap", "nowhere")).isEqualTo(2);
        assertThat(err.toString()).contains("must be host:port/nodeIdHex").doesNotContain("\tat ");

        err.getBuffer().setLength(0);
        assertThat(run("node", "--bootstrap", "127.0.0.1:33445/abc")).isEqualTo(2);
        assertThat(err.toString()).contains("node id must be 64 hex characters");

        err.getBuffer().setLength(0);
        assertThat(run("node", "--port", "70000")).isEqualTo(2);
        assertThat(err.toString()).contains("--port must be 0..65535");
    }

    @Test
    void anUnreachableBootstrapNodeGivesOneLineAndExitCode3() throws Exception {
        // a node id nobody has, at a loopback UDP port nobody listens on any more
        int port;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        int code = run("node", "--once", "-d", dir.resolve("u").toString(), "-H", "127.0.0.1", "-p", "0",
                "--bootstrap", "127.0.0.1:" + port + "/" + "ab".repeat(32));
        assertThat(code).isEqualTo(CarrierCli.UNREACHABLE);
        assertThat(err.toString().strip()).startsWith("carrier: no bootstrap node answered").doesNotContain("\n");
    }

    @Test
    void aDataDirectoryInUseGivesOneLineAndExitCode1() {
        CarrierNode holder = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve("held")).build();
        holder.start().block(T);
        try {
            assertThat(run("id", "-d", dir.resolve("held").toString())).isEqualTo(1);
            assertThat(err.toString().strip()).startsWith("carrier: data directory").contains("is in use")
                    .doesNotContain("\n");
        } finally {
            holder.stop().block(T);
        }
    }

    @Test
    void completionScriptAndHelp() {
        assertThat(run("generate-completion")).isZero();
        assertThat(out.toString()).contains("carrier", "complete");
        out.getBuffer().setLength(0);
        assertThat(run("node", "--help")).isZero();
        assertThat(out.toString()).contains("--data-dir", "--bootstrap", "--metrics-port");
        err.getBuffer().setLength(0);
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("say which command to run");
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow()
                .substring(prefix.length()).strip().split("\\s+")[0];
    }
}
