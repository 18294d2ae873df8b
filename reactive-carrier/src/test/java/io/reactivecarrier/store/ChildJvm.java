package io.reactivecarrier.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link StoreChildProcess} in another JVM, with its stdout lines in a queue. */
final class ChildJvm implements AutoCloseable {

    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    ChildJvm(Path stderr, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m", io.reactivecarrier.testing.BlockHoundSetup.JVM_OPTION,
                "-cp", System.getProperty("java.class.path"),
                StoreChildProcess.class.getName()));
        cmd.addAll(List.of(args));
        try {
            process = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process was killed
            }
            lines.add("EOF");
        }, "child-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** The next line, failing after {@code seconds}. */
    String next(int seconds) throws InterruptedException {
        String line = lines.poll(seconds, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("child printed nothing within " + seconds + " s");
        }
        return line;
    }

    /** Kills the process (SIGKILL) and returns every line it printed after the ones already taken. */
    List<String> kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(30_000);
        List<String> rest = new ArrayList<>();
        lines.drainTo(rest);
        return rest;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
