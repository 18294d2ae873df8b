package io.reactivecarrier.samples;

import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierBuilder;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.DhtValue;
import io.reactivecarrier.friend.FriendRequest;
import io.reactivecarrier.message.Message;
import io.reactivecarrier.message.Receipt;
import io.reactivecarrier.session.PortForwarding;
import io.reactivecarrier.session.TransferProgress;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.PeerRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The README's demo: a small network on loopback (a bootstrap node, Alice, Bob and a few more
 * DHT nodes), each step printed as it lands. It uses only what the library has built; nothing
 * is simulated or faked.
 */
public final class Demo {

    private static final Duration T = Duration.ofSeconds(30);
    private final Map<String, Long> timings = new LinkedHashMap<>();
    private final List<CarrierNode> nodes = new ArrayList<>();

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        int code;
        Path root = Files.createTempDirectory("carrier-demo");
        Demo demo = new Demo();
        try {
            demo.run(root);
            code = 0;
        } catch (Exception e) {
            System.out.println("\n  demo failed: " + e);
            code = 1;
        } finally {
            demo.stopAll();
            deleteTree(root);
        }
        System.exit(code);
    }

    private void run(Path root) throws Exception {
        System.out.println("reactive-carrier demo: a small network on loopback (data in " + root + ")\n");
        CarrierBuilder base = Carrier.builder().bindHost("127.0.0.1");

        CarrierNode boot = step("start the bootstrap node", () -> start(base.dataDir(root.resolve("bootstrap"))));
        System.out.println("     bootstrap node: " + boot.bootstrapInfo());

        List<CarrierNode> extra = step("start 5 more DHT nodes through it", () -> {
            List<CarrierNode> list = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                list.add(start(base.dataDir(root.resolve("dht-" + i)).bootstrap(boot.bootstrapInfo())));
            }
            return list;
        });
        CarrierNode alice = step("start Alice", () -> start(base.dataDir(root.resolve("alice"))
                .bootstrap(extra.get(0).bootstrapInfo())));
        System.out.println("     Alice's address (share it): " + alice.address());
        CarrierNode bob = step("start Bob", () -> start(base.dataDir(root.resolve("bob"))
                .bootstrap(extra.get(4).bootstrapInfo())));
        System.out.println("     Bob's address: " + bob.address());

        List<NodeInfo> found = step("Bob looks Alice's node up in the DHT", () -> bob.dht().findNode(alice.nodeId()).block(T));
        System.out.println("     found " + found.size() + " nodes, closest " + found.get(0)
                + (found.get(0).id().equals(alice.nodeId()) ? " (Alice)" : ""));

        PeerRecord record = step("Bob finds Alice's signed peer record", () -> bob.dht().findPeer(alice.userId().toBytes()).block(T));
        System.out.println("     Alice's node " + record.nodeId() + " at " + record.endpoints() + ", signature valid: "
                + record.verify());

        DhtValue value = DhtValue.immutable("a note from Alice".getBytes(StandardCharsets.UTF_8),
                System.currentTimeMillis() + 600_000);
        int stored = step("Alice stores a value in the DHT", () -> alice.dht().storeValue(value).block(T));
        System.out.println("     stored on " + stored + " nodes under key " + value.key());
        List<DhtValue> got = step("Bob reads it back", () -> bob.dht().findValue(value.key()).block(T));
        System.out.println("     read: \"" + new String(got.get(0).data(), StandardCharsets.UTF_8) + "\"");

        step("Alice sends Bob a friend request with a hello", () -> alice.friends()
                .request(bob.address(), "Hi Bob, it's Alice").block(T));
        FriendRequest request = step("Bob sees the request", () -> bob.friends().requests().blockFirst(T));
        System.out.println("     from " + request.from().shortString() + ": \"" + request.hello() + "\"");
        step("Bob accepts; a Noise IK link comes up between them", () -> {
            request.accept().block(T);
            waitUntil(() -> alice.friends().presence(bob.userId()).isOnline()
                    && bob.friends().presence(alice.userId()).isOnline());
            return null;
        });
        System.out.println("     Alice sees Bob " + alice.friends().presence(bob.userId())
                + ", Bob sees Alice " + bob.friends().presence(alice.userId()));

        Mono<Message> atBob = bob.messages().incoming().next().cache();
        atBob.subscribe();
        Receipt receipt = step("Alice sends Bob a message; Bob's node acknowledges it",
                () -> alice.messages().send(bob.userId(), "Lunch at noon?").block(T)); // Mono<Receipt>: DELIVERED
        System.out.println("     Bob got \"" + atBob.block(T).text() + "\", receipt " + receipt.status());
        Mono<Message> atAlice = alice.messages().incoming().next().cache();
        atAlice.subscribe();
        Message reply = step("Bob replies", () -> {
            bob.messages().send(alice.userId(), "Sure, see you there").block(T);
            return atAlice.block(T);
        });
        System.out.println("     Alice got \"" + reply.text() + "\"");

        UserId bobId = bob.userId();
        step("Bob goes offline", () -> {
            bob.stop().block(T);
            nodes.remove(bob);
            waitUntil(() -> !alice.friends().presence(bobId).isOnline());
            return null;
        });
        Receipt offlineReceipt = step("Alice messages offline Bob: sealed to him and stored in the DHT",
                () -> alice.messages().send(bobId, "Running 10 minutes late").block(T)); // STORED_OFFLINE
        System.out.println("     receipt " + offlineReceipt.status());
        CarrierNode[] back = new CarrierNode[1];
        Message missed = step("Bob returns and reads what he missed", () -> {
            back[0] = start(base.dataDir(root.resolve("bob")).bootstrap(extra.get(2).bootstrapInfo()));
            return back[0].messages().incoming().next().block(T);
        });
        CarrierNode bobBack = back[0];
        System.out.println("     Bob got \"" + missed.text() + "\" " + (missed.offline()
                ? "(from his DHT mailbox)"
                : "(Alice's node resent it the moment their link came back; the DHT copy is dropped as a duplicate)"));

        step("Alice and Bob's link comes back", () -> {
            waitUntil(() -> alice.friends().presence(bobId).isOnline());
            return null;
        });

        Path file = root.resolve("holiday.bin");
        byte[] content = new byte[64 << 20];
        new java.util.Random(42).nextBytes(content);
        Files.write(file, content);
        Path received = root.resolve("alice-downloads").resolve("holiday.bin");
        Files.createDirectories(received.getParent());
        Mono<TransferProgress> aliceSaves = alice.files().incoming().next()
                .flatMap(incoming -> incoming.accept(received).last()).cache();
        aliceSaves.subscribe();
        step("Bob sends Alice a 64 MiB file over an encrypted stream", () -> {
            System.out.println();
            long[] lastPrint = {0};
            bobBack.files().send(alice.userId(), file)
                    .doOnNext(p -> {
                        long now = System.nanoTime();
                        if (p.done() || now - lastPrint[0] > 200_000_000L) {
                            lastPrint[0] = now;
                            printProgress(p);
                        }
                    })
                    .blockLast(T);
            aliceSaves.block(T);
            System.out.println();
            System.out.print("    ");
            return null;
        });
        boolean same = java.util.Arrays.equals(content, Files.readAllBytes(received));
        System.out.println("     Alice's copy is byte-identical (SHA-256 checked by the transfer): " + same);
        if (!same) {
            throw new IllegalStateException("the received file differs");
        }

        HttpServer web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        web.createContext("/", exchange -> {
            byte[] body = "Hello from Bob's laptop\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        web.start();
        try {
            bobBack.forwarding().addService("web", "127.0.0.1", web.getAddress().getPort());
            PortForwarding.Forwarding tunnel = step("Alice forwards Bob's local web server to her machine",
                    () -> alice.forwarding().forward(bobId, "web", new InetSocketAddress("127.0.0.1", 0)).block(T));
            System.out.println("     Bob's 127.0.0.1:" + web.getAddress().getPort() + " appears at Alice's "
                    + tunnel.localAddress());
            String page = step("Alice fetches it through the tunnel", () -> HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tunnel.localAddress().getPort() + "/"))
                            .timeout(T).build(), HttpResponse.BodyHandlers.ofString()).body());
            System.out.println("     got: " + page.trim());
            tunnel.close().block(T);
        } finally {
            web.stop(0);
        }

        String aliceAddress = alice.address().toString();
        step("Alice restarts: same identity from her data directory", () -> {
            alice.stop().block(T);
            nodes.remove(alice);
            CarrierNode again = start(base.dataDir(root.resolve("alice")).bootstrap(boot.bootstrapInfo()));
            if (!again.address().toString().equals(aliceAddress)) {
                throw new IllegalStateException("address changed across restart");
            }
            return again;
        });
        System.out.println("     address unchanged: " + aliceAddress);

        System.out.println("\nsummary");
        timings.forEach((name, ms) -> System.out.printf("  %6d ms  %s%n", ms, name));
        System.out.println("\ndone: " + nodes.size() + " nodes on loopback, everything above happened over real UDP.");
    }

    private CarrierNode start(CarrierBuilder builder) {
        CarrierNode node = builder.build();
        node.start().block(T);
        nodes.add(node);
        return node;
    }

    private <T> T step(String name, Callable<T> action) throws Exception {
        System.out.print("  • " + name + " ... ");
        System.out.flush();
        long t0 = System.nanoTime();
        T result = action.call();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        timings.put(name, ms);
        System.out.println("ok (" + ms + " ms)");
        return result;
    }

    private static void printProgress(TransferProgress p) {
        int width = 30;
        int done = p.total() == 0 ? width : (int) (width * p.bytes() / p.total());
        System.out.printf("\r     [%s%s] %3d%%  %6.1f MB/s", "#".repeat(done), " ".repeat(width - done),
                p.total() == 0 ? 100 : 100 * p.bytes() / p.total(), p.bytesPerSecond() / 1e6);
        System.out.flush();
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + T);
            }
            Thread.sleep(50);
        }
    }

    private void stopAll() {
        Flux.fromIterable(nodes).flatMap(n -> n.stop().onErrorResume(e -> Mono.empty())).then().block(T);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
    }
}
