package io.reactivecarrier.message;

import io.reactivecarrier.testing.ChildJvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.NodeInfo;
import java.net.DatagramSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Exactly once across {@code kill -9}: the sender or the receiver runs in a child JVM that is
 * killed at random moments and restarted on its data directory; every message is delivered
 * once, nothing acknowledged is lost.
 */
class MessagesCrashTest {

    static final Duration T = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    final List<MsgNode.DhtOnly> storage = new ArrayList<>();
    final List<MsgNode> nodes = new ArrayList<>();
    final Random random = new Random(42);
    NodeInfo boot;

    @BeforeEach
    void storageNodes() {
        MsgNode.DhtOnly first = MsgNode.dhtOnly(List.of());
        storage.add(first);
        storage.add(MsgNode.dhtOnly(List.of(first.info())));
        storage.add(MsgNode.dhtOnly(List.of(first.info())));
        boot = first.info();
    }

    @AfterEach
    void stopAll() {
        nodes.forEach(MsgNode::stop);
        storage.forEach(MsgNode.DhtOnly::stop);
    }

    static MessageOptions options() {
        return MessageOptions.create().offlineAfter(Duration.ofSeconds(30)).connectRetry(Duration.ofMillis(300))
                .retransmitTimeout(Duration.ofMillis(300));
    }

    String bootArg() {
        return boot.address().getHostString() + ":" + boot.address().getPort() + "/" + boot.id().toHex();
    }

    static int freePort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aSenderKilledRepeatedlyLosesNothingAndDuplicatesNothing() throws Exception {
        MsgNode bob = MsgNode.start(dir.resolve("bob"), List.of(boot), options(), 0);
        nodes.add(bob);
        List<Message> got = new CopyOnWriteArrayList<>();
        bob.messages.incoming().subscribe(got::add);
        int port = freePort();
        Path aliceDir = dir.resolve("alice");
        Path stderr = dir.resolve("alice.err");
        Set<String> acked = new HashSet<>();
        for (int round = 1; round <= 3; round++) {
            try (ChildJvm child = new ChildJvm(MessageChild.class, ChildJvm.LEAN, stderr, null, "send", aliceDir.toString(), String.valueOf(port),
                    bootArg(), bob.userId().toString(), String.valueOf(round * 1_000_000L))) {
                List<String> seen = new ArrayList<>();
                UserId alice = UserId.parse(child.await("READY ", 90, seen::add).substring(6));
                bob.friends.set.add(alice);
                int want = 30 + random.nextInt(100);
                for (int i = 0; i < want; i++) {
                    acked.add(child.await("ACK ", 90, seen::add).substring(4));
                }
                for (String line : child.kill()) { // kill -9 in the middle of the loop of sends
                    if (line.startsWith("ACK ")) {
                        acked.add(line.substring(4));
                    }
                }
            }
        }
        // a last run sends nothing new: its outbox resumes and empties once bob acknowledged everything
        try (ChildJvm child = new ChildJvm(MessageChild.class, ChildJvm.LEAN, stderr, null, "drain", aliceDir.toString(), String.valueOf(port),
                bootArg(), bob.userId().toString())) {
            child.await("EMPTY", 110, line -> { });
        }
        await().atMost(T).until(() -> got.stream().map(Message::text).toList().containsAll(acked));
        List<String> texts = got.stream().map(Message::text).toList();
        assertThat(new HashSet<>(texts)).as("no duplicates").hasSize(texts.size());
        assertThat(texts).containsAll(acked);
        // in order: the numbers only grow (one sender, its sequence)
        long last = -1;
        for (String t : texts) {
            long n = Long.parseLong(t.substring(1));
            assertThat(n).isGreaterThan(last);
            last = n;
        }
        assertThat(got).allSatisfy(m -> assertThat(m.redelivered()).isFalse());
    }

    @Test
    void aReceiverKilledRepeatedlyGetsEveryMessageOnce() throws Exception {
        MsgNode alice = MsgNode.start(dir.resolve("alice"), List.of(boot), options(), 0);
        nodes.add(alice);
        int port = freePort();
        Path bobDir = dir.resolve("bob");
        Path stderr = dir.resolve("bob.err");
        int count = 600;
        Disposable sending = null;
        Map<String, Integer> firstTimes = new HashMap<>();
        List<String> redelivered = new ArrayList<>();
        try {
            for (int round = 1; round <= 4; round++) {
                try (ChildJvm child = new ChildJvm(MessageChild.class, ChildJvm.LEAN, stderr, null, "receive", bobDir.toString(), String.valueOf(port),
                        bootArg(), alice.userId().toString())) {
                    List<String> seen = new ArrayList<>();
                    UserId bob = UserId.parse(child.await("READY ", 90, seen::add).substring(6));
                    alice.friends.set.add(bob);
                    if (sending == null) {
                        sending = Flux.range(0, count).concatMap(i -> alice.messages.enqueue(bob, "m" + i)).subscribe();
                    }
                    List<String> lines = new ArrayList<>();
                    if (round < 4) {
                        int want = 40 + random.nextInt(80);
                        for (int i = 0; i < want; i++) {
                            lines.add(child.await("GOT ", 90, seen::add));
                        }
                        lines.addAll(child.kill()); // kill -9 while messages stream in
                    } else {
                        while (handed(firstTimes, redelivered) < count) {
                            String line;
                            try {
                                line = child.await("GOT ", 110, seen::add);
                            } catch (AssertionError e) {
                                List<Integer> missing = new ArrayList<>();
                                for (int i = 0; i < count; i++) {
                                    if (!firstTimes.containsKey("m" + i) && !redelivered.contains("m" + i)) {
                                        missing.add(i);
                                    }
                                }
                                throw new AssertionError(e.getMessage() + "; missing " + missing + "; outbox "
                                        + alice.store.outbox().pending().count().block(T) + "; stderr "
                                        + java.nio.file.Files.readString(stderr).lines().filter(l -> !l.contains(" DEBUG "))
                                                .limit(30).toList(), e);
                            }
                            record(line, firstTimes, redelivered);
                        }
                        // the receiver stays up until the sender has every receipt: a receipt still on its
                        // way when the last hand-out is printed would otherwise die with the process (the
                        // sender would then keep the message, correctly, until the receiver came back)
                        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == 0);
                    }
                    for (String line : lines) {
                        if (line.startsWith("GOT ")) {
                            record(line, firstTimes, redelivered);
                        }
                    }
                }
            }
        } finally {
            if (sending != null) {
                sending.dispose();
            }
        }
        // every message was handed out; none twice unless flagged as a redelivery (the process died after
        // the hand-out was committed, before its subscriber was known to be done with it)
        assertThat(handed(firstTimes, redelivered)).isEqualTo(count);
        assertThat(firstTimes.values()).as("no unflagged duplicate").allMatch(n -> n == 1);
        assertThat(alice.store.outbox().pending().count().block(T)).isZero();
    }

    private static int handed(Map<String, Integer> firstTimes, List<String> redelivered) {
        Set<String> all = new HashSet<>(firstTimes.keySet());
        all.addAll(redelivered);
        return all.size();
    }

    private static void record(String line, Map<String, Integer> firstTimes, List<String> redelivered) {
        String[] p = line.split(" ");
        if (p[2].equals("true")) {
            redelivered.add(p[1]);
        } else {
            firstTimes.merge(p[1], 1, Integer::sum);
        }
    }
}
