package io.reactivecarrier.testing;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A main class of the test sources in another JVM (the crash tests kill it with SIGKILL), with
 * the lines it prints on stdout in a queue ({@link #EOF} after the last) and its stderr in a file.
 *
 * <pre>{@code
 * try (ChildJvm child = new ChildJvm(StoreChildProcess.class, ChildJvm.LEAN, dir.resolve("child.err"), null, "crash")) {
 *     assertThat(child.next(60)).isEqualTo("READY");
 *     List<String> rest = child.kill();
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {

    /** Queued after the child's last line. */
    public static final String EOF = "EOF";

    /**
     * JVM options for short-lived children: C1 only, serial GC, a small heap, and what
     * {@link BlockHoundSetup#install()} needs in the child.
     */
    public static final List<String> LEAN = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m",
            BlockHoundSetup.JVM_OPTION);

    /** The child process. */
    public final Process process;
    /** The lines the child printed and nobody took yet. */
    public final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final Path stderr;

    /**
     * Starts {@code main} with this JVM's class path, {@code jvmOptions} and {@code args}; its
     * stderr is appended to {@code stderr}, its stdout also copied to {@code stdoutCopy} unless null.
     */
    public ChildJvm(Class<?> main, List<String> jvmOptions, Path stderr, Path stdoutCopy, String... args) {
        this.stderr = stderr;
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        try {
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                    BufferedWriter copy = stdoutCopy == null ? null
                            : Files.newBufferedWriter(stdoutCopy, StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    if (copy != null) {
                        copy.write(line);
                        copy.newLine();
                        copy.flush();
                    }
                }
            } catch (IOException e) {
                // the process was killed
            }
            lines.add(EOF);
        }, "child-stdout-" + main.getSimpleName());
        reader.setDaemon(true);
        reader.start();
    }

    /** The next line, failing after {@code seconds}. */
    public String next(int seconds) throws InterruptedException {
        String line = lines.poll(seconds, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("child printed nothing within " + seconds + " s; see " + stderr);
        }
        return line;
    }

    /**
     * The next line starting with {@code prefix}, failing after {@code seconds} or at the child's
     * end; the lines before it go to {@code skipped} (which may throw to fail at once).
     */
    public String await(String prefix, int seconds, Consumer<String> skipped) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(EOF)) {
                throw new AssertionError("the child printed no '" + prefix + "' within " + seconds + " s (" + line
                        + "); see " + stderr);
            }
            if (line.startsWith(prefix)) {
                return line;
            }
            skipped.accept(line);
        }
    }

    /** SIGKILL; returns every line printed after the ones already taken ({@link #EOF} left out). */
    public List<String> kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(30_000);
        List<String> rest = new ArrayList<>();
        lines.drainTo(rest);
        rest.remove(EOF);
        return rest;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
