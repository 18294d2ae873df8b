package io.reactivecarrier.samples.cli;

import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code carrier id}: shows the identity in a data directory, creating it on first use. The node
 * starts on a loopback port without joining any network, prints, and stops.
 */
@Command(name = "id", mixinStandardHelpOptions = true,
        description = {"Show the identity in a data directory; create it if there is none."})
final class IdCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--data-dir"}, defaultValue = "carrier-data", paramLabel = "DIR",
            description = "Identity and state directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with defaults (data-dir=...).")
    Path config;

    @Override
    public Integer call() throws IOException {
        boolean existed = hasFiles(dataDir);
        CarrierNode node = Carrier.builder().dataDir(dataDir).bindHost("127.0.0.1").bindPort(0).build();
        node.start().block(Duration.ofSeconds(35));
        try {
            PrintWriter out = spec.commandLine().getOut();
            out.println((existed ? "identity in " : "created a new identity in ") + dataDir.toAbsolutePath());
            out.println("user id:    " + node.userId());
            out.println("address:    " + node.address() + "   (give it to friends)");
            out.println("node id:    " + node.nodeId().toHex());
            out.flush();
            return 0;
        } finally {
            node.stop().block(Duration.ofSeconds(60)); // fast when idle; generous on a loaded machine
        }
    }

    private static boolean hasFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        }
    }
}
