package io.reactivecarrier;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.RelayDirectory;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.message.MessageId;
import io.reactivecarrier.message.Receipt;
import io.reactivecarrier.session.CarrierStream;
import io.reactivecarrier.session.StreamOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A whole {@link CarrierNode} ({@code Carrier.builder()}) inside a namespace of the
 * {@code link.NetnsLab}, driven by lines on stdin, answering on stdout.
 *
 * <p>Arguments: {@code ROLE PORT [BOOT...]} where ROLE is {@code boot}, {@code relay} (a node with
 * {@code relay(true)}) or {@code peer}, and each BOOT is {@code host:port/nodeIdHex}. Every role prints
 * {@code NODEID hex}, {@code USER id}, {@code ADDRESS address}, {@code NAT type external}; a relay
 * then {@code ANNOUNCED n} once it finds itself in the relay directory, a peer {@code RELAYS n} once
 * it finds a relay there; then {@code READY}.
 *
 * <p>Commands: {@code request ADDRESS} ({@code REQUESTED}; the friend prints {@code REQUEST user}),
 * {@code accept USER} ({@code ACCEPTED}), {@code online USER} ({@code ONLINE ms}, waiting at most
 * 120 s), {@code send USER text} ({@code DELIVERED status ms}; the friend prints {@code MSG user text}),
 * {@code stream USER bytes seed} (a reliable stream of seeded random bytes: {@code STREAM_SENT bytes
 * sha256 ms path maxPacketSize}; the friend accepts every stream and prints {@code STREAM_RECV bytes sha256 ms path}).
 * Failures print {@code FAILED command why}.
 */
public final class LabCarrierNode {

    private static final Duration T = Duration.ofSeconds(120);
    private static final int CHUNK = 16 * 1024;
    private static final HexFormat HEX = HexFormat.of();
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private LabCarrierNode() {
    }

    public static void main(String[] args) throws Exception {
        String role = args[0];
        int port = Integer.parseInt(args[1]);
        Path dir = Files.createTempDirectory("lab-" + role + "-");
        CarrierBuilder b = Carrier.builder().dataDir(dir)
                .bindHost(System.getenv().getOrDefault("LAB_BIND", "0.0.0.0")).bindPort(port)
                .relay(role.equals("relay"))
                .startTimeout(Duration.ofSeconds(60))
                // a request between users behind symmetric NATs goes through the DHT mailbox: poll it
                // every 5 s rather than every 60 s (the default)
                .friendOptions(FriendOptions.create().reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4))
                        .mailboxPollInterval(Duration.ofSeconds(5)));
        for (int i = 2; i < args.length; i++) {
            b = b.bootstrap(args[i]);
        }
        CarrierNode node = b.build();
        node.start().block(T);
        OUT.println("NODEID " + node.nodeId().toHex());
        OUT.println("USER " + node.userId());
        OUT.println("ADDRESS " + node.address());
        OUT.println("NAT " + node.natInfo().type() + " " + node.natInfo().external());
        if (!role.equals("boot")) {
            // (less than the lab's 120 s wait for the line, so that a miss is reported as RELAYS 0)
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            List<NodeInfo> relays = List.of();
            while (System.nanoTime() < deadline) {
                relays = RelayDirectory.find(node.dht()).onErrorReturn(List.of()).block(T);
                if (relays != null && !relays.isEmpty()) {
                    break;
                }
                Thread.sleep(300); // polling the DHT from the main thread
            }
            if (relays == null || relays.isEmpty()) {
                System.err.println("no relay in the directory; closest nodes to its key: "
                        + node.dht().findNode(RelayDirectory.KEY).onErrorReturn(List.of()).block(T)
                        + ", raw entries: " + node.dht().findValue(RelayDirectory.KEY).onErrorReturn(List.of()).block(T));
            }
            OUT.println((role.equals("relay") ? "ANNOUNCED " : "RELAYS ") + (relays == null ? 0 : relays.size()));
        }
        node.friends().requests().subscribe(r -> OUT.println("REQUEST " + r.from()));
        node.messages().incoming().subscribe(m -> OUT.println("MSG " + m.sender() + " " + m.text()));
        node.sessions().requests().flatMap(r -> r.accept()
                .flatMap(s -> {
                    long t0 = System.nanoTime();
                    return hash(s.receive()).map(h -> "STREAM_RECV " + h[1] + " " + h[0] + " "
                            + (System.nanoTime() - t0) / 1_000_000 + " " + s.transportInfo().path());
                })
                .onErrorResume(e -> {
                    System.err.println("FAILED stream-receive " + e);
                    return Mono.just("FAILED stream-receive " + e);
                }))
                .subscribe(OUT::println);
        OUT.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] w = line.trim().split(" ", 3);
            // each command runs off the reading thread so that a long stream does not hold up the others
            Mono.fromRunnable(() -> {
                String answer;
                try {
                    answer = command(node, w);
                } catch (RuntimeException e) {
                    answer = "FAILED " + w[0] + " " + e;
                }
                if (answer.startsWith("FAILED")) {
                    System.err.println(answer); // shown in the test's failure message (stderr tail)
                }
                OUT.println(answer);
            }).subscribeOn(Schedulers.boundedElastic()).subscribe();
        }
        node.stop().block(T);
        System.exit(0);
    }

    private static String command(CarrierNode node, String[] w) {
        long t0 = System.nanoTime();
        switch (w[0]) {
            case "request" -> {
                node.friends().request(w[1], "hello from the lab").block(T);
                return "REQUESTED";
            }
            case "accept" -> {
                node.friends().accept(UserId.parse(w[1])).block(T);
                return "ACCEPTED";
            }
            case "online" -> {
                UserId friend = UserId.parse(w[1]);
                // (less than the lab's 120 s wait for the line, so that a miss is reported as RELAYS 0)
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (!node.friends().presence(friend).isOnline() && System.nanoTime() < deadline) {
                    sleep(50);
                }
                return node.friends().presence(friend).isOnline()
                        ? "ONLINE " + (System.nanoTime() - t0) / 1_000_000 : "FAILED online not within " + T;
            }
            case "send" -> {
                UserId friend = UserId.parse(w[1]);
                MessageId id = node.messages().enqueue(friend, w[2]).block(T);
                Receipt r = node.messages().delivered(id).block(T);
                return "DELIVERED " + r.status() + " " + (System.nanoTime() - t0) / 1_000_000;
            }
            case "stream" -> {
                UserId friend = UserId.parse(w[1]);
                String[] rest = w[2].split(" ");
                long bytes = Long.parseLong(rest[0]);
                long seed = Long.parseLong(rest[1]);
                CarrierStream s = node.sessions().open(friend, StreamOptions.reliable()).block(T);
                MessageDigest md = sha256();
                long t1 = System.nanoTime();
                s.send(data(bytes, seed).doOnNext(buf -> md.update(buf.nioBuffer()))).block(Duration.ofMinutes(5));
                String path = s.transportInfo().path() + " " + s.transportInfo().maxPacketSize() + " "
                        + node.friends().path(friend).map(Enum::name).orElse("NONE");
                s.close().block(T); // (a graceful close: until the friend has everything)
                long ms = (System.nanoTime() - t1) / 1_000_000;
                return "STREAM_SENT " + bytes + " " + HEX.formatHex(md.digest()) + " " + ms + " " + path;
            }
            default -> {
                return "FAILED " + w[0] + " unknown command";
            }
        }
    }

    /** {@code bytes} (a multiple of 16 KiB) of random bytes from {@code seed}, made as they are sent. */
    static Flux<ByteBuf> data(long bytes, long seed) {
        Random r = new Random(seed);
        return Flux.range(0, (int) (bytes / CHUNK)).map(i -> {
            byte[] b = new byte[CHUNK];
            r.nextBytes(b);
            return Unpooled.wrappedBuffer(b);
        });
    }

    /** SHA-256 (hex) and byte count of everything a stream receives, releasing each buffer. */
    private static Mono<Object[]> hash(Flux<ByteBuf> in) {
        return Mono.defer(() -> {
            MessageDigest md = sha256();
            long[] n = {0};
            return in.doOnNext(b -> {
                n[0] += b.readableBytes();
                md.update(b.nioBuffer());
                b.release();
            }).then(Mono.fromSupplier(() -> new Object[] {HEX.formatHex(md.digest()), n[0]}));
        });
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
