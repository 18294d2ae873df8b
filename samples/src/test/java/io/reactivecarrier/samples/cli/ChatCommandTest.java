package io.reactivecarrier.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierNode;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code carrier chat} instances in this JVM, each with its own node on loopback UDP and its
 * standard input fed through a pipe: a friend request, its acceptance, presence and messages.
 */
class ChatCommandTest {

    private static final Duration T = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    /** One chat: the lines typed into it, what it printed, and its exit code. */
    static final class Session {
        final PipedWriter keyboard = new PipedWriter();
        final StringWriter screen = new StringWriter();
        final StringWriter err = new StringWriter();
        final CompletableFuture<Integer> exit;

        Session(String... args) throws IOException {
            PipedReader in = new PipedReader(keyboard, 1 << 16);
            exit = CompletableFuture.supplyAsync(() -> CarrierCli.run(in, new PrintWriter(screen, true),
                    new PrintWriter(err, true), args));
        }

        void type(String line) throws IOException {
            keyboard.write(line + "\n");
            keyboard.flush();
        }

        String screen() {
            return screen.toString();
        }

        /** Waits until the screen shows {@code text}, failing with what it shows instead. */
        void await(String text) {
            org.awaitility.Awaitility.await().atMost(T)
                    .untilAsserted(() -> assertThat(screen()).as("stderr: %s", err).contains(text));
        }

        String line(String prefix) {
            await(prefix);
            return screen().lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow()
                    .substring(prefix.length()).strip().split("\\s+")[0];
        }
    }

    private String[] args(String name, CarrierNode boot) {
        return new String[] {"chat", "-d", dir.resolve(name).toString(), "-H", "127.0.0.1", "-p", "0", "-b",
                boot.bootstrapInfo().toString()};
    }

    @Test
    void twoChatsBecomeFriendsAndExchangeMessages() throws Exception {
        CarrierNode boot = Carrier.builder().bindHost("127.0.0.1").dataDir(dir.resolve("boot")).build();
        boot.start().block(T);
        Session[] both = new Session[2];
        try {
            Session alice = both[0] = new Session(args("alice", boot));
            Session bob = both[1] = new Session(args("bob", boot));
            String aliceId = alice.line("user id:");
            String bobAddress = bob.line("address:");
            String bobId = bob.line("user id:");

            // one-line errors, no stack traces
            alice.type("/add not-an-address");
            alice.await("bad address:");
            alice.type("/to nobody");
            alice.await("no friend matches 'nobody'; /friends lists them");
            alice.type("a line before /to");
            alice.await("choose a friend first");

            alice.type("/add " + bobAddress + " hello bob, it's alice");
            bob.await("friend request from " + aliceId + ": \"hello bob, it's alice\"");
            bob.type("/requests");
            bob.await("  " + aliceId + "  \"hello bob, it's alice\"");
            bob.type("/accept " + aliceId.substring(0, 6));
            bob.await("accepted " + aliceId.substring(0, 8));
            alice.await(bobId.substring(0, 8) + " is now your friend");
            alice.await(bobId.substring(0, 8) + " is online");

            alice.type("/friends");
            await().atMost(T).untilAsserted(() -> assertThat(alice.screen().lines())
                    .anyMatch(l -> l.startsWith("  " + bobId) && l.endsWith("online")));
            alice.type("/to " + bobId.substring(0, 5));
            alice.await("talking to " + bobId.substring(0, 8));
            alice.type("hi bob, over the link");
            bob.await("] " + aliceId.substring(0, 8) + ": hi bob, over the link");
            bob.type("/msg " + aliceId.substring(0, 7) + " hi alice");
            alice.await("] " + bobId.substring(0, 8) + ": hi alice");

            bob.type("/quit");
            assertThat(bob.exit.get(T.toSeconds(), TimeUnit.SECONDS)).as(bob.err.toString()).isZero();
            assertThat(bob.screen()).contains("bye");
            alice.await(bobId.substring(0, 8) + " is offline");
            alice.keyboard.close(); // Ctrl-D
            assertThat(alice.exit.get(T.toSeconds(), TimeUnit.SECONDS)).as(alice.err.toString()).isZero();
            assertThat(alice.screen() + bob.screen()).doesNotContain("Exception", "\tat ");
        } finally {
            for (Session s : both) {
                if (s != null && !s.exit.isDone()) {
                    s.keyboard.close();
                    s.exit.get(T.toSeconds(), TimeUnit.SECONDS);
                }
            }
            boot.stop().block(T);
        }
    }

    @Test
    void anUnreachableBootstrapNodeIsOneLineAndExitThree() throws Exception {
        // a node id nobody has, at a loopback UDP port nobody listens on any more
        int port;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        int code = CarrierCli.run(new java.io.StringReader(""), new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true), "chat", "-d", dir.resolve("x").toString(), "-H", "127.0.0.1",
                "-b", "127.0.0.1:" + port + "/" + "ab".repeat(32));
        assertThat(code).as(err.toString()).isEqualTo(CarrierCli.UNREACHABLE);
        assertThat(err.toString().strip()).startsWith("carrier: no bootstrap node answered").doesNotContain("\n");
    }
}
