package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.session.PortForwarding;
import io.reactivecarrier.session.TransferProgress;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/** {@code node.files()} and {@code node.forwarding()} between two whole nodes that are friends. */
class NodeFilesAndForwardingTest {

    private static final Duration T = Duration.ofSeconds(90);

    @RegisterExtension
    final TestNodes nodes = new TestNodes(T, b -> b
            .friendOptions(FriendOptions.create().reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4))));

    @TempDir
    Path dir;

    @Test
    void aFileAndAForwardedHttpGetBetweenFriendNodes() throws Exception {
        CarrierNode boot = nodes.start("boot");
        // a short forwarding idle timeout on the node that forwards, to see that the builder's option reaches it
        CarrierNode alice = nodes.start("alice", b -> b.forwardingIdleTimeout(Duration.ofSeconds(2)), boot);
        CarrierNode bob = nodes.start("bob", boot);
        nodes.befriend(alice, bob);

        // a file from alice to bob
        byte[] content = new byte[(1 << 20) + 123];
        new Random(3).nextBytes(content);
        Path src = Files.write(dir.resolve("notes.bin"), content);
        Path dst = dir.resolve("in").resolve("notes.bin");
        Mono<TransferProgress> received = bob.files().incoming().next()
                .flatMap(f -> f.accept(dst).last()).cache();
        received.subscribe(null, e -> { });
        TransferProgress sent = alice.files().send(bob.userId(), src).blockLast(T);
        assertThat(sent.done()).isTrue();
        assertThat(sent.bytes()).isEqualTo(content.length);
        assertThat(received.block(T).done()).isTrue();
        assertThat(Files.readAllBytes(dst)).isEqualTo(content);

        // bob's web server, reached by alice through a forwarding
        byte[] page = "hello through a forwarding".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        http.createContext("/", ex -> {
            ex.sendResponseHeaders(200, page.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(page);
            }
        });
        http.start();
        try {
            bob.forwarding().addService("web", "127.0.0.1", http.getAddress().getPort());
            PortForwarding.Forwarding f = alice.forwarding()
                    .forward(bob.userId(), "web", new InetSocketAddress("127.0.0.1", 0)).block(T);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(T).build();
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + f.localAddress().getPort() + "/")).timeout(T).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(page);

        } finally {
            http.stop(0);
        }
        // a silent connection to a service that holds it open is closed after alice's 2 s (the
        // default, 5 minutes, would outlast the read timeout and read as a hang)
        try (ServerSocket holder = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                Socket idle = new Socket()) {
            bob.forwarding().addService("hold", "127.0.0.1", holder.getLocalPort());
            PortForwarding.Forwarding g = alice.forwarding()
                    .forward(bob.userId(), "hold", new InetSocketAddress("127.0.0.1", 0)).block(T);
            idle.connect(g.localAddress());
            holder.setSoTimeout((int) T.toMillis());
            try (Socket held = holder.accept()) { // the service has the connection and says nothing
                idle.setSoTimeout(60_000);
                assertThat(endOf(idle)).isIn("eof", "reset");
            }
        }
        assertThatThrownBy(() -> Carrier.builder().forwardingIdleTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
    }

    /** "eof", "reset", "data", or "hang" when nothing happened within the socket's read timeout. */
    private static String endOf(Socket s) {
        try {
            return s.getInputStream().read() < 0 ? "eof" : "data";
        } catch (SocketTimeoutException e) {
            return "hang";
        } catch (IOException e) {
            return String.valueOf(e.getMessage()).contains("Connection reset") ? "reset" : "error " + e;
        }
    }
}
