package io.reactivecarrier;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.session.TransferProgress;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;

/**
 * A whole node in its own JVM that receives files, for {@link FileTransferKillTest}. Arguments:
 * {@code DATA_DIR BOOTSTRAP TARGET SENDER_USER_ID}. It starts on {@code DATA_DIR} (bootstrapping from
 * {@code host:port/nodeIdHex}), prints {@code READY <address>}, accepts every friend request, prints
 * {@code ONLINE} each time the sender becomes an online friend (its presence is polled), and accepts
 * every offered file into {@code TARGET}, printing {@code STARTED <resumedFrom>} at its first
 * progress, then {@code DONE <resumedFrom> <bytes>} or {@code FAILED <message>}. It runs until it is
 * killed.
 */
public final class FileReceiverChild {

    private FileReceiverChild() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Duration t = Duration.ofSeconds(120);
        CarrierNode node = Carrier.builder().dataDir(Path.of(args[0])).bindHost("127.0.0.1")
                .bootstrap(args[1]).startTimeout(t)
                .friendOptions(FriendOptions.create().reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4)))
                .build();
        node.start().block(t);
        Path target = Path.of(args[2]);
        node.friends().requests()
                .flatMap(r -> r.accept().onErrorResume(e -> {
                    out.println("ACCEPT-FAILED " + e);
                    return Mono.empty();
                }))
                .subscribe(f -> out.println("FRIEND " + f.id()));
        node.files().incoming()
                .flatMap(offer -> {
                    AtomicBoolean first = new AtomicBoolean(true);
                    return offer.accept(target)
                            .doOnNext(p -> {
                                if (first.compareAndSet(true, false)) {
                                    out.println("STARTED " + p.resumedFrom());
                                }
                            })
                            .last()
                            .doOnNext((TransferProgress p) -> out.println("DONE " + p.resumedFrom() + " " + p.bytes()))
                            .onErrorResume(e -> {
                                out.println("FAILED " + e.getMessage());
                                return Mono.empty();
                            });
                })
                .subscribe();
        out.println("READY " + node.address());
        UserId sender = UserId.parse(args[3]);
        boolean online = false;
        while (true) { // the test waits for the line, not for time
            boolean now = node.friends().presence(sender).isOnline();
            if (now && !online) {
                out.println("ONLINE");
            }
            online = now;
            Thread.sleep(20);
        }
    }
}
