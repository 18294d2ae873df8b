package io.reactivecarrier;

import io.reactivecarrier.testing.ChildJvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.store.FriendRecord;
import io.reactivecarrier.store.FriendRequestRecord;
import io.reactivecarrier.store.NodeStore;
import io.reactivecarrier.store.StoredIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a node (SIGKILL) while it accepts friend requests, several times, and checks after each
 * kill that every accept it reported as done is a friend, that no user is both a friend and still
 * pending, and that no request was lost: friends plus pending requests are always all of them.
 */
class FriendsCrashTest {

    private static final Duration T = Duration.ofSeconds(60);
    private static final int REQUESTS = 60;
    private static final int ROUNDS = 4;

    @TempDir
    Path dir;

    @Test
    void killDashNineDuringAcceptsLosesNoFriendAndNoRequest() throws Exception {
        Path data = dir.resolve("node");
        Set<String> all = new HashSet<>();
        NodeStore seed = NodeStore.open(data).block(T);
        try {
            seed.identityOrCreate(() -> new StoredIdentity(Ed25519KeyPair.generate().seed(),
                    X25519KeyPair.generate().privateKey(), 42)).block(T);
            for (int i = 0; i < REQUESTS; i++) {
                byte[] id = Ed25519KeyPair.generate().publicKey();
                all.add(HexFormat.of().formatHex(id));
                seed.putFriendRequest(new FriendRequestRecord(id, true, "hello " + i, System.currentTimeMillis(),
                        new byte[0])).block(T);
            }
        } finally {
            seed.close().block(T);
        }

        Random random = new Random();
        Set<String> reported = new HashSet<>();
        int remaining = REQUESTS;
        for (int round = 0; round < ROUNDS; round++) {
            boolean last = round == ROUNDS - 1;
            List<String> lines = runChild(data, dir.resolve("child-" + round + ".err"),
                    last ? remaining : Math.min(remaining, 1 + random.nextInt(12)));
            for (String line : lines) {
                String[] parts = line.split(" ");
                if (parts.length == 3 && parts[0].equals("ACCEPTED") && parts[2].equals(".")) {
                    reported.add(parts[1]);
                }
            }
            NodeStore store = NodeStore.open(data).block(T);
            try {
                Set<String> friends = new HashSet<>();
                for (FriendRecord f : store.friends().collectList().block(T)) {
                    friends.add(HexFormat.of().formatHex(f.userId()));
                }
                Set<String> pending = new HashSet<>();
                for (FriendRequestRecord r : store.friendRequests(true).collectList().block(T)) {
                    pending.add(HexFormat.of().formatHex(r.userId()));
                }
                assertThat(friends).as("round %d: every accept reported done is a friend", round)
                        .containsAll(reported);
                Set<String> both = new HashSet<>(friends);
                both.retainAll(pending);
                assertThat(both).as("round %d: nobody is both friend and pending", round).isEmpty();
                Set<String> union = new HashSet<>(friends);
                union.addAll(pending);
                assertThat(union).as("round %d: no request lost, nothing invented", round).isEqualTo(all);
                remaining = pending.size();
                if (last) {
                    assertThat(friends).as("the last run accepts everything left").isEqualTo(all);
                }
            } finally {
                store.close().block(T);
            }
        }
    }

    /** Runs the child until it reported {@code killAfter} accepts (or all), then SIGKILLs it. */
    private static List<String> runChild(Path data, Path stderr, int killAfter) throws Exception {
        List<String> lines = new ArrayList<>();
        try (ChildJvm child = new ChildJvm(FriendsChildProcess.class, ChildJvm.LEAN, stderr, null, data.toString())) {
            child.await("READY", 90, line -> { }); // the child's log lines share its stdout
            int accepted = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (accepted < killAfter && System.nanoTime() < deadline) {
                String line = child.lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null) {
                    lines.add(line);
                    if (line.startsWith("ACCEPTED ")) {
                        accepted++;
                    }
                }
            }
            lines.addAll(child.kill()); // SIGKILL: whatever accept is in flight is cut at a random point
        }
        return lines;
    }
}
