package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three DHT nodes in three separate JVM processes ({@link DhtProcessMain}), talking real UDP on
 * 127.0.0.1: the second and third bootstrap from the first, then each finds the others and a
 * value stored from one process is read from another.
 */
class DhtMultiProcessTest {

    static final long WAIT_S = 90;

    /** One child JVM and its {@code @@} result lines. */
    static final class Child {
        final Process process;
        final Writer stdin;
        final BlockingQueue<String> results = new LinkedBlockingQueue<>();
        final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());

        Child(List<String> args) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx128m");
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.add(io.reactivecarrier.testing.BlockHoundSetup.JVM_OPTION);
            cmd.add("-cp");
            cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
            cmd.add(DhtProcessMain.class.getName());
            cmd.addAll(args);
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("@@")) {
                            results.add(line.substring(2));
                        } else if (log.size() < 200) {
                            log.add(line);
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "dht-child-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** The next result line; fails with the child's log when none comes in time. */
        String next() throws InterruptedException {
            String r = results.poll(WAIT_S, TimeUnit.SECONDS);
            assertThat(r).as("a result from the child process (alive: %s); its output: %s", process.isAlive(), log)
                    .isNotNull();
            return r;
        }

        String ask(String command) throws IOException, InterruptedException {
            stdin.write(command + "\n");
            stdin.flush();
            return next();
        }
    }

    final List<Child> children = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Child c : children) {
            try {
                c.stdin.write("QUIT\n");
                c.stdin.flush();
            } catch (IOException e) {
                // already gone
            }
        }
        for (Child c : children) {
            if (!c.process.waitFor(15, TimeUnit.SECONDS)) {
                c.process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
            }
        }
    }

    Child child(String... args) throws IOException {
        Child c = new Child(List.of(args));
        children.add(c);
        return c;
    }

    @Test
    void threeProcessesBootstrapFromEachOtherAndShareValues() throws Exception {
        Child a = child();
        String[] ready = a.next().split(" ");
        assertThat(ready[0]).isEqualTo("READY");
        String aId = ready[1];
        String aAddr = "127.0.0.1:" + ready[2] + ":" + aId;
        Child b = child(aAddr);
        Child c = child(aAddr);
        String[] bReady = b.next().split(" ");
        String[] cReady = c.next().split(" ");
        assertThat(bReady[0]).isEqualTo("READY");
        assertThat(cReady[0]).isEqualTo("READY");
        String bId = bReady[1];
        String cId = cReady[1];

        // c was never told about b, nor b about c: they meet through a
        assertThat(b.ask("FIND " + cId)).isEqualTo("FOUND " + cId + " " + cReady[2]);
        assertThat(c.ask("FIND " + bId)).isEqualTo("FOUND " + bId + " " + bReady[2]);
        assertThat(a.ask("FIND " + cId)).isEqualTo("FOUND " + cId + " " + cReady[2]);

        String[] stored = b.ask("STORE hello across processes").split(" ");
        assertThat(stored[0]).isEqualTo("STORED");
        assertThat(Integer.parseInt(stored[1])).isEqualTo(2); // a and c: every other node
        assertThat(c.ask("GET " + stored[2])).isEqualTo("VALUE hello across processes");
        assertThat(a.ask("GET " + stored[2])).isEqualTo("VALUE hello across processes");
    }
}
