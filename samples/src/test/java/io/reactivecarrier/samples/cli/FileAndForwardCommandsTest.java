package io.reactivecarrier.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.friend.FriendRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carrier send} / {@code receive} and {@code carrier forward} / {@code node --service}, run
 * in this JVM against each other: real nodes on loopback UDP, two data directories whose users were
 * made friends through the library first.
 */
class FileAndForwardCommandsTest {

    private static final Duration T = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private CarrierNode boot;
    private String aliceId;
    private String bobId;

    /** One command running on a thread of its own, its output captured. */
    static final class Run {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final AtomicInteger exit = new AtomicInteger(Integer.MIN_VALUE);
        final Thread thread;

        Run(String... args) {
            thread = new Thread(() -> exit.set(CarrierCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args)),
                    "cli-" + args[0]);
            thread.start();
        }

        int join() throws InterruptedException {
            thread.join(T.toMillis());
            assertThat(thread.isAlive()).as("still running; out: %s err: %s", out, err).isFalse();
            return exit.get();
        }

        void await(String text) {
            await().atMost(T).untilAsserted(() -> assertThat(out.toString()).as("stderr: %s", err).contains(text));
        }

        private static org.awaitility.core.ConditionFactory await() {
            return org.awaitility.Awaitility.await();
        }
    }

    @BeforeEach
    void friends() {
        boot = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve("boot")).build();
        boot.start().block(T);
        CarrierNode alice = node("alice");
        CarrierNode bob = node("bob");
        try {
            alice.friends().request(bob.address(), "hi").block(T);
            FriendRequest r = bob.friends().requests().blockFirst(T);
            r.accept().block(T);
            await().atMost(T).until(() -> alice.friends().presence(bob.userId()).isOnline()
                    && bob.friends().presence(alice.userId()).isOnline());
            aliceId = alice.userId().toString();
            bobId = bob.userId().toString();
        } finally {
            alice.stop().block(T);
            bob.stop().block(T);
        }
    }

    @AfterEach
    void stopBoot() {
        boot.stop().block(T);
    }

    private CarrierNode node(String name) {
        CarrierNode n = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve(name))
                .bootstrap(boot.bootstrapInfo()).build();
        n.start().block(T);
        return n;
    }

    private String[] args(String command, String name, String... more) {
        String[] base = {command, "-d", dir.resolve(name).toString(), "-H", "127.0.0.1", "-p", "0", "-b",
                boot.bootstrapInfo().toString()};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void sendAndReceiveAFileByteForByte() throws Exception {
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(content);
        Path file = dir.resolve("report.bin");
        Files.write(file, content);
        Path downloads = dir.resolve("downloads");

        Run receive = new Run(args("receive", "bob", "--dir", downloads.toString(), "--from", aliceId.substring(0, 6),
                "--once"));
        receive.await("receiving into");
        Run send = new Run(args("send", "alice", "--to", bobId.substring(0, 6), file.toString()));

        assertThat(send.join()).as("send err: %s out: %s; receive (still running: %s) err: %s out: %s", send.err,
                send.out, receive.thread.isAlive(), receive.err, receive.out).isZero();
        assertThat(receive.join()).as("receive err: %s out: %s", receive.err, receive.out).isZero();
        assertThat(Files.readAllBytes(downloads.resolve("report.bin"))).isEqualTo(content);
        assertThat(send.out.toString()).contains("] 100%", "sent report.bin to " + bobId.substring(0, 8));
        assertThat(receive.out.toString()).contains("received ", "SHA-256 verified");
        assertThat(send.out.toString() + receive.out + send.err + receive.err).doesNotContain("Exception", "\tat ");
    }

    @Test
    void badFriendAndMissingFileAreOneLineErrors() throws Exception {
        Run noFriend = new Run(args("send", "alice", "--to", "zzzz", dir.resolve("boot").toString()));
        // a directory is no file: a usage error before any node starts
        assertThat(noFriend.join()).isEqualTo(2);
        assertThat(noFriend.err.toString()).startsWith("carrier: no readable file");

        Path file = Files.writeString(dir.resolve("f.txt"), "x");
        Run unknown = new Run(args("send", "alice", "--to", "zzzz", file.toString()));
        assertThat(unknown.join()).isEqualTo(1);
        assertThat(unknown.err.toString().strip()).startsWith("carrier: no friend matches 'zzzz'").doesNotContain("\n");
    }

    @Test
    void forwardReachesAServiceTheFriendsNodeRegistered() throws Exception {
        HttpServer web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        web.createContext("/", ex -> {
            byte[] body = "hello through the tunnel".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        web.start();
        Run serving = new Run(args("node", "bob", "--status-interval", "0", "--service",
                "web=127.0.0.1:" + web.getAddress().getPort()));
        Run forward = null;
        try {
            serving.await("service:    web -> 127.0.0.1:" + web.getAddress().getPort());

            Run unknownService = new Run(args("forward", "alice", "--to", bobId.substring(0, 6), "--service", "nope"));
            assertThat(unknownService.join()).as(unknownService.out.toString()).isEqualTo(1);
            assertThat(unknownService.err.toString().strip()).startsWith("carrier: ").contains("no such service")
                    .doesNotContain("\n");

            forward = new Run(args("forward", "alice", "--to", bobId.substring(0, 6), "--service", "web"));
            forward.await("running;");
            String line = forward.out.toString().lines().filter(l -> l.startsWith("forwarding: ")).findFirst().orElseThrow();
            String local = line.substring("forwarding: ".length()).split(" ")[0];
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://" + local + "/"))
                    .timeout(T).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.body()).isEqualTo("hello through the tunnel");
        } finally {
            if (forward != null) {
                forward.thread.interrupt(); // as Ctrl-C would
                assertThat(forward.join()).as(forward.err.toString()).isZero();
                assertThat(forward.out.toString()).contains("stopped");
            }
            serving.thread.interrupt();
            serving.join();
            web.stop(0);
        }
    }
}
