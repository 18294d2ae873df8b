package io.reactivecarrier.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's first command ({@code ./mvnw -B -q -pl samples exec:java}) runs {@link Demo}: here it
 * runs in a child JVM (its {@code main} ends with {@code System.exit}) on this test's class path,
 * and must exit 0 after every step, with the summary.
 */
class DemoTest {

    /** Generous for a loaded 2-core machine; the demo takes about 15-30 s on an idle one. */
    private static final long LIMIT_SECONDS = 240;

    @Test
    @Timeout(value = LIMIT_SECONDS + 30, unit = TimeUnit.SECONDS)
    void theDemoRunsEveryStepAndExitsZero() throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                Demo.class.getName())
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
        }, "demo-output");
        reader.start();
        try {
            boolean exited = p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS);
            reader.join(10_000);
            String output = String.join("\n", lines);
            assertThat(exited).as("the demo ended within %d s; its output:%n%s", LIMIT_SECONDS, output).isTrue();
            System.out.printf("demo: exit %d after %.1f s%n", p.exitValue(), (System.nanoTime() - t0) / 1e9);
            int from = Math.max(0, lines.indexOf("summary"));
            lines.subList(from, lines.size()).stream().takeWhile(l -> !l.startsWith("done: "))
                    .forEach(l -> System.out.println("demo: " + l));
            assertThat(p.exitValue()).as(output).isZero();
            assertThat(output).as(output).doesNotContain("demo failed")
                    .contains("Alice's address (share it): ", "Bob sees the request ... ok",
                            "Bob got \"Lunch at noon?\", receipt DELIVERED", "Alice got \"Sure, see you there\"",
                            "receipt STORED_OFFLINE", "Bob got \"Running 10 minutes late\"",
                            "Alice's copy is byte-identical (SHA-256 checked by the transfer): true",
                            "got: Hello from Bob's laptop", "address unchanged: ");
            // the summary: one timing line per step, then the closing line
            int summary = lines.indexOf("summary");
            assertThat(summary).as(output).isPositive();
            List<String> timings = lines.subList(summary + 1, lines.size()).stream()
                    .filter(l -> l.matches("\\s+\\d+ ms  .+")).toList();
            assertThat(timings).as(output).hasSizeGreaterThanOrEqualTo(15)
                    .anyMatch(l -> l.endsWith("Bob sends Alice a 64 MiB file over an encrypted stream"))
                    .anyMatch(l -> l.endsWith("Alice fetches it through the tunnel"));
            assertThat(lines).as(output).anyMatch(l -> l.startsWith("done: ") && l.endsWith("over real UDP."));
        } finally {
            p.destroyForcibly();
        }
    }
}
