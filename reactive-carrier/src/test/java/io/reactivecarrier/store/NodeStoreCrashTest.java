package io.reactivecarrier.store;

import io.reactivecarrier.testing.ChildJvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills a writing node (SIGKILL) at random moments, several times, then checks that every write
 * it reported as done is in the store exactly once, that sequence numbers have no gaps or
 * duplicates, and that multi-change transactions are all-or-nothing.
 */
class NodeStoreCrashTest {

    private static final Logger log = LoggerFactory.getLogger(NodeStoreCrashTest.class);
    private static final int ROUNDS = 5;
    /** Small log segments: the kills also land in checkpoints, and restarts replay several segments. */
    private static final List<String> CHILD_OPTIONS = java.util.stream.Stream.concat(ChildJvm.LEAN.stream(),
            java.util.stream.Stream.of("-D" + NodeStore.CHECKPOINT_BYTES_PROPERTY + "=4096")).toList();

    @TempDir
    Path dir;

    @Test
    void killDashNineLosesNothingReportedDoneAndDuplicatesNothing() throws Exception {
        Path data = dir.resolve("node");
        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        Map<String, Set<String>> done = new HashMap<>(Map.of("outbox", new HashSet<>(), "friend", new HashSet<>(),
                "accept", new HashSet<>(), "kv", new HashSet<>()));
        for (int round = 0; round < ROUNDS; round++) {
            List<String> lines = new ArrayList<>();
            try (ChildJvm child = new ChildJvm(StoreChildProcess.class, CHILD_OPTIONS, dir.resolve("child-" + round + ".err"), null, "crash", data.toString(),
                    Integer.toString(round))) {
                String first = child.next(60);
                assertThat(first).as("child output, see %s", dir).isEqualTo("READY");
                // kill after a random number of reported writes (or 4 s): the kill lands at a random
                // point of whatever write is in flight
                int killAfter = 50 + random.nextInt(400);
                long deadline = System.nanoTime() + 4_000_000_000L;
                while (lines.size() < killAfter && System.nanoTime() < deadline) {
                    String line = child.lines.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (line != null) {
                        lines.add(line);
                    }
                }
                lines.addAll(child.kill());
            }
            int count = 0;
            for (String line : lines) {
                String[] parts = line.split(" ");
                if (parts.length == 4 && parts[0].equals("DONE") && parts[3].equals(".")) { // a complete line
                    done.get(parts[1]).add(parts[2]);
                    count++;
                }
            }
            log.info("crash round {}: {} writes reported done before SIGKILL", round, count);
        }

        NodeStore store = NodeStore.open(data).block(Duration.ofSeconds(30));
        try {
            List<OutboxEntry> outbox = store.outbox().pending().collectList().block(Duration.ofSeconds(30));
            List<FriendRecord> friends = store.friends().collectList().block(Duration.ofSeconds(30));
            List<FriendRequestRecord> requests = store.friendRequests(true).collectList()
                    .block(Duration.ofSeconds(30));

            Map<String, Integer> outboxIds = new HashMap<>();
            Map<String, List<Long>> sequences = new HashMap<>();
            for (OutboxEntry e : outbox) {
                outboxIds.merge(str(e.messageId()), 1, Integer::sum);
                sequences.computeIfAbsent(str(e.recipient()), r -> new ArrayList<>()).add(e.sequence());
            }
            assertThat(outboxIds.values()).as("no message id twice").allMatch(n -> n == 1);
            // unique and in order; a crash skips the sequences the outbox had reserved (never reuses one), so
            // there is at most one gap per crash, none longer than the reservation
            sequences.forEach((recipient, seqs) -> {
                assertThat(seqs.get(0)).as("first sequence of %s", recipient).isEqualTo(1L);
                int gaps = 0;
                for (int i = 1; i < seqs.size(); i++) {
                    long step = seqs.get(i) - seqs.get(i - 1);
                    assertThat(step).as("sequences of %s: unique, in order, gaps within the reservation: %s",
                            recipient, seqs).isBetween(1L, StoreMaps.SEQUENCE_RESERVE + 1);
                    gaps += step > 1 ? 1 : 0;
                }
                assertThat(gaps).as("gaps in the sequences of %s (one per crash at most): %s", recipient, seqs)
                        .isLessThanOrEqualTo(ROUNDS);
            });
            Set<String> friendIds = new HashSet<>();
            friends.forEach(f -> friendIds.add(str(f.userId())));
            Set<String> requestIds = new HashSet<>();
            requests.forEach(r -> requestIds.add(str(r.userId())));

            assertThat(outboxIds.keySet()).containsAll(done.get("outbox"));
            assertThat(friendIds).containsAll(done.get("friend"));
            for (String id : done.get("accept")) {
                assertThat(friendIds).contains(id);
                assertThat(outboxIds).containsKey("welcome-" + id);
                assertThat(requestIds).doesNotContain(id);
            }
            KeyValueMap values = store.map("dht.values", 1_000_000);
            for (String id : done.get("kv")) {
                byte[] key = id.getBytes(StandardCharsets.UTF_8);
                assertThat(values.get(key).block(Duration.ofSeconds(30))).as("map value %s", id).isPresent();
                assertThat(store.markReceived("sender".getBytes(StandardCharsets.UTF_8), key, Long.MAX_VALUE)
                        .block(Duration.ofSeconds(30))).as("received id %s already known", id).isFalse();
            }
            // all or nothing, also for transactions that were cut off and never reported
            for (FriendRecord f : friends) {
                if (f.name().equals("n")) { // accepted in a transaction
                    assertThat(outboxIds).containsKey("welcome-" + str(f.userId()));
                    assertThat(requestIds).doesNotContain(str(f.userId()));
                }
            }
            for (String id : outboxIds.keySet()) {
                if (id.startsWith("welcome-")) {
                    assertThat(friendIds).contains(id.substring("welcome-".length()));
                }
            }
            int total = done.values().stream().mapToInt(Set::size).sum();
            log.info("crash test (seed {}): {} rounds, {} writes reported done, all present; store holds {} outbox"
                    + " entries, {} friends, {} open requests", seed, ROUNDS, total, outbox.size(), friends.size(),
                    requests.size());
            assertThat(total).as("the children got some work done").isPositive();
        } finally {
            store.close().block(Duration.ofSeconds(30));
        }
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
