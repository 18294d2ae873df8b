package io.reactivecarrier.message;

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

/** A {@link MessageChild} in another JVM, with its stdout lines in a queue. */
final class ChildProcess implements AutoCloseable {

    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    ChildProcess(Path stderr, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", io.reactivecarrier.testing.BlockHoundSetup.JVM_OPTION,
                "-cp", System.getProperty("java.class.path"), MessageChild.class.getName()));
        cmd.addAll(List.of(args));
        try {
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile())).start();
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
                // killed
            }
            lines.add("EOF");
        }, "message-child-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** The next line starting with {@code prefix}, failing after {@code seconds}; earlier lines go to {@code seen}. */
    String await(String prefix, int seconds, List<String> seen) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals("EOF")) {
                throw new AssertionError("child printed no '" + prefix + "' within " + seconds + " s (" + line + ")");
            }
            if (line.startsWith(prefix)) {
                return line;
            }
            seen.add(line);
        }
    }

    /** SIGKILL; returns every line printed after the ones already taken. */
    List<String> kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(30_000);
        List<String> rest = new ArrayList<>();
        lines.drainTo(rest);
        rest.remove("EOF");
        return rest;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
