package io.reactivecarrier.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A node store in a separate JVM, for the lock and crash tests.
 * <ul>
 * <li>{@code probe DIR}: tries to open DIR, prints {@code OPENED} or {@code LOCKED <message>} or
 *     {@code ERROR <exception>}, and exits.</li>
 * <li>{@code hold DIR}: opens DIR, prints {@code READY} and holds it until its stdin closes.</li>
 * <li>{@code crash DIR ROUND}: opens DIR, prints {@code READY}, then loops forever doing writes and
 *     printing {@code DONE <kind> <id> .} after each write's Mono completed, until it is killed.</li>
 * </ul>
 */
public final class StoreChildProcess {

    static final List<String> RECIPIENTS = List.of("alice", "bob", "carol");
    private static final Duration T = Duration.ofSeconds(30);

    private StoreChildProcess() {
    }

    public static void main(String[] args) {
        io.reactivecarrier.testing.BlockHoundSetup.install(); // as in the test JVM that started this one
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Path dir = Path.of(args[1]);
        if (args[0].equals("probe")) {
            try {
                NodeStore store = NodeStore.open(dir).block(T);
                out.println("OPENED");
                store.close().block(T);
            } catch (StoreLockedException e) {
                out.println("LOCKED " + e.getMessage());
            } catch (RuntimeException e) {
                out.println("ERROR " + e);
            }
            return;
        }
        if (args[0].equals("hold")) { // holds the lock until stdin closes
            NodeStore store = NodeStore.open(dir).block(T);
            out.println("READY");
            try {
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                // parent gone
            }
            store.close().block(T);
            return;
        }
        int round = Integer.parseInt(args[2]);
        NodeStore store = NodeStore.open(dir).block(T);
        out.println("READY");
        for (long counter = 0; ; counter++) {
            final long i = counter;
            String id = "r" + round + "-" + i;
            byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
            switch ((int) (i % 4)) {
                case 0 -> {
                    byte[] recipient = RECIPIENTS.get((int) (i / 4 % RECIPIENTS.size())).getBytes(StandardCharsets.UTF_8);
                    store.outbox().append(idBytes, recipient, i, new byte[64 + (int) (i % 200)]).block(T);
                    out.print("DONE outbox " + id + " .\n");
                }
                case 1 -> {
                    store.putFriend(new FriendRecord(idBytes, "label " + id, "name", "desc", i, 0, new byte[8]))
                            .block(T);
                    out.print("DONE friend " + id + " .\n");
                }
                case 2 -> {
                    store.map("dht.values", 1_000_000).put(idBytes, idBytes).block(T);
                    store.markReceived("sender".getBytes(StandardCharsets.UTF_8), idBytes, Long.MAX_VALUE).block(T);
                    out.print("DONE kv " + id + " .\n");
                }
                default -> {
                    // several changes in one commit: a request accepted plus an outbox message to the new friend
                    store.putFriendRequest(new FriendRequestRecord(idBytes, true, "hi", i, new byte[0])).block(T);
                    store.transaction(tx -> {
                        tx.acceptFriendRequest(new FriendRecord(idBytes, "", "n", "", i, 0, new byte[0]));
                        return tx.appendOutbox(("welcome-" + id).getBytes(StandardCharsets.UTF_8), idBytes, i,
                                new byte[16]);
                    }).block(T);
                    out.print("DONE accept " + id + " .\n");
                }
            }
        }
    }
}
