package io.reactivecarrier;

import io.reactivecarrier.friend.FriendRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import reactor.core.publisher.Mono;

/**
 * A node in its own JVM for {@link FriendsCrashTest}: starts on a data directory (a network of
 * one) and accepts every pending friend request, printing {@code ACCEPTED <hex> .} after each
 * accept's Mono completed (that is, after it was reported as done).
 */
public final class FriendsChildProcess {

    private FriendsChildProcess() {
    }

    public static void main(String[] args) {
        io.reactivecarrier.testing.BlockHoundSetup.install(); // as in the test JVM that started this one
        CarrierNode node = Carrier.builder().dataDir(Path.of(args[0])).bindHost("127.0.0.1").build();
        node.start().block(Duration.ofSeconds(60));
        System.out.println("READY");
        System.out.flush();
        node.friends().requests()
                .flatMap((FriendRequest r) -> r.accept().doOnNext(f -> {
                    synchronized (System.out) {
                        System.out.println("ACCEPTED " + HexFormat.of().formatHex(f.id().toBytes()) + " .");
                        System.out.flush();
                    }
                }).onErrorResume(e -> {
                    System.err.println("accept failed: " + e);
                    return Mono.empty();
                }), 4)
                .blockLast(Duration.ofMinutes(5));
    }
}
