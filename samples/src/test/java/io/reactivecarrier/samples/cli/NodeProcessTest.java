package io.reactivecarrier.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carrier node} as a separate JVM, the way it is deployed: SIGTERM stops it gracefully
 * (the routing table saved, the data directory's lock released).
 */
class NodeProcessTest {

    @TempDir
    Path dir;

    @Test
    void sigtermStopsTheNodeGracefully() throws Exception {
        Path data = dir.resolve("node");
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                CarrierCli.class.getName(), "node", "-d", data.toString(), "-H", "127.0.0.1", "-p", "0",
                "--status-interval", "1")
                .redirectErrorStream(true)
                .start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        }, "node-output");
        reader.start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(90))
                    .until(() -> lines.stream().anyMatch(l -> l.contains("status: routing table")));
            String address = lines.stream().filter(l -> l.startsWith("address:")).findFirst().orElseThrow()
                    .split("\\s+")[1];

            // SIGTERM, through the handle: Process.destroy() would also close our end of its output
            assertThat(p.toHandle().destroy()).isTrue();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
            reader.join(10_000);
            assertThat(p.exitValue()).as(String.join("\n", lines)).isEqualTo(143);
            assertThat(lines).anyMatch(l -> l.endsWith("stopped"));
            assertThat(Files.exists(data)).isTrue();

            // the lock is released and the identity kept: the same address comes back
            StringWriter out = new StringWriter();
            int code = CarrierCli.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                    "id", "-d", data.toString());
            assertThat(code).isZero();
            assertThat(out.toString()).contains("address:    " + address);
        } finally {
            p.destroyForcibly();
        }
    }
}
