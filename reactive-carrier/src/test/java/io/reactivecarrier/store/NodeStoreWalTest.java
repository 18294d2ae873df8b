package io.reactivecarrier.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * The write-ahead log under the store: what a crash leaves is replayed, across checkpoints and
 * log segments; a record torn by a crash is dropped with everything after it; a checkpoint
 * leaves no segment behind that is already in the store file.
 *
 * <p>A crash is taken as a copy of the data directory of a running store, the log segments
 * first and the store file last (what a process killed at that moment leaves: a segment deleted
 * after the copy of the segments is in the store file the copy then gets).
 */
class NodeStoreWalTest {

    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @AfterEach
    void clearProperty() {
        System.clearProperty(NodeStore.CHECKPOINT_BYTES_PROPERTY);
    }

    @Test
    void everyCompletedTransactionSurvivesACrashAcrossCheckpointsAndSegments() throws IOException {
        System.setProperty(NodeStore.CHECKPOINT_BYTES_PROPERTY, "20000"); // a checkpoint every ~20 transactions
        Path live = dir.resolve("live");
        NodeStore store = NodeStore.open(live).block(T);
        KeyValueMap values = store.map("values", 1_000_000);
        try {
            // 600 transactions of 1 KiB, some removing what an earlier one wrote
            Flux.range(0, 600).concatMap(i -> i % 3 == 2 ? values.remove(key(i - 1)).then()
                    : values.put(key(i), value(i))).blockLast(T);
            store.outbox().append(b("m1"), b("bob"), 1, b("hello")).block(T);
            Path crashed = crashCopy(live, dir.resolve("crashed"));
            NodeStore reopened = NodeStore.open(crashed).block(T);
            try {
                KeyValueMap v = reopened.map("values", 1_000_000);
                for (int i = 0; i < 600; i++) {
                    boolean present = i % 3 == 0; // i % 3 == 1 was removed by i + 1; i % 3 == 2 never written
                    assertThat(v.get(key(i)).block(T)).as("value %d", i).matches(o -> o.isPresent() == present);
                }
                assertThat(reopened.outbox().pending().map(e -> new String(e.payload(), StandardCharsets.UTF_8))
                        .collectList().block(T)).containsExactly("hello");
            } finally {
                reopened.close().block(T);
            }
            assertThat(segments(crashed)).as("the log was replayed into the store file and deleted, then closed cleanly")
                    .isEmpty();
        } finally {
            store.close().block(T);
        }
        assertThat(segments(live)).as("a clean close leaves no log").isEmpty();
    }

    @Test
    void transactionsThatAllowASyncDelayShareForcesAndAreAllReplayedAfterACrash() throws Exception {
        System.setProperty(NodeStore.CHECKPOINT_BYTES_PROPERTY, "20000"); // segments rotate under the waiting ones
        Path live = dir.resolve("live");
        NodeStore store = NodeStore.open(live).block(T);
        KeyValueMap values = store.map("values", 1_000_000);
        try {
            // the control: one after another, each transaction forces the log for itself
            long before = store.logForces();
            for (int i = 0; i < 40; i++) {
                int n = i;
                store.transaction(tx -> {
                    tx.put(values, key(n), value(n), Long.MAX_VALUE);
                    return n;
                }, x -> { }).block(T);
            }
            assertThat(store.logForces() - before).as("forces of 40 transactions awaited one by one").isGreaterThanOrEqualTo(40);

            // the same, each one waiting only until it is applied, with a second to sync in
            before = store.logForces();
            List<java.util.concurrent.CompletableFuture<Integer>> durable = new java.util.ArrayList<>();
            for (int i = 40; i < 640; i++) {
                int n = i;
                java.util.concurrent.CompletableFuture<Integer> applied = new java.util.concurrent.CompletableFuture<>();
                durable.add(store.transaction(tx -> {
                    if (n % 3 == 2) {
                        tx.remove(values, key(n - 1));
                    } else {
                        tx.put(values, key(n), value(n), Long.MAX_VALUE);
                    }
                    return n;
                }, applied::complete, Duration.ofSeconds(1)).toFuture());
                assertThat(applied.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(n);
            }
            for (int i = 0; i < durable.size(); i++) {
                assertThat(durable.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(40 + i);
            }
            assertThat(store.logForces() - before).as("forces shared by 600 transactions that allow a delay")
                    .isLessThan(60);

            Path crashed = crashCopy(live, dir.resolve("crashed"));
            NodeStore reopened = NodeStore.open(crashed).block(T);
            try {
                KeyValueMap v = reopened.map("values", 1_000_000);
                for (int i = 40; i < 640; i++) {
                    boolean present = i % 3 == 0; // i % 3 == 1 was removed by i + 1
                    assertThat(v.get(key(i)).block(T)).as("value %d", i).matches(o -> o.isPresent() == present);
                }
            } finally {
                reopened.close().block(T);
            }
        } finally {
            store.close().block(T);
        }
    }

    @Test
    void aTransactionWaitingForADeferredSyncCompletesWhenTheStoreCloses() {
        NodeStore store = NodeStore.open(dir.resolve("live")).block(T);
        KeyValueMap values = store.map("values", 1_000);
        java.util.concurrent.CompletableFuture<Integer> durable = store.transaction(tx -> {
            tx.put(values, key(1), value(1), Long.MAX_VALUE);
            return 1;
        }, x -> { }, NodeStore.MAX_SYNC_DELAY).toFuture();
        long start = System.nanoTime();
        store.close().block(T);
        assertThat(durable).as("completed by the close, not by the timer a second later").isCompletedWithValue(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(NodeStore.MAX_SYNC_DELAY);
        NodeStore reopened = NodeStore.open(dir.resolve("live")).block(T);
        try {
            assertThat(reopened.map("values", 1_000).get(key(1)).block(T)).isPresent();
        } finally {
            reopened.close().block(T);
        }
    }

    @Test
    void aSyncDelayOutOfRangeIsRefusedWithTheRange() {
        NodeStore store = NodeStore.open(dir.resolve("live")).block(T);
        try {
            assertThatThrownBy(() -> store.transaction(tx -> 1, x -> { }, Duration.ofSeconds(2)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 0 and PT1S");
            assertThatThrownBy(() -> store.transaction(tx -> 1, x -> { }, Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            store.close().block(T);
        }
    }

    @Test
    void afterACrashTheOutboxNumbersOnPastItsReservationAndAfterACleanCloseWithoutAGap() throws IOException {
        Path live = dir.resolve("live");
        NodeStore store = NodeStore.open(live).block(T);
        long reserved;
        try {
            java.util.concurrent.atomic.AtomicReference<long[]> applied = new java.util.concurrent.atomic.AtomicReference<>();
            long[] first = store.transaction(tx -> new long[] {tx.appendOutboxSequence(b("m1"), b("bob"), 1, b("x")),
                    tx.outboxSequenceReserved(b("bob"))}, applied::set).block(T);
            assertThat(applied.get()).as("applied gets the result before the Mono completes").isSameAs(first);
            assertThat(first[0]).isEqualTo(1);
            assertThat(first[1]).as("reserved ahead").isGreaterThanOrEqualTo(1 + StoreMaps.SEQUENCE_RESERVE / 2);
            // a transaction that fails reserves nothing: the next one writes its own reservation
            assertThatThrownBy(() -> store.transaction(tx -> {
                tx.appendOutboxSequence(b("m9"), b("carol"), 1, b("x"));
                throw new IllegalStateException("undone");
            }).block(T)).hasMessageContaining("undone");
            long[] carol = store.transaction(tx -> new long[] {tx.appendOutboxSequence(b("m10"), b("carol"), 1, b("x")),
                    tx.outboxSequenceReserved(b("carol"))}).block(T);
            assertThat(carol[0]).as("the failed transaction's sequence is skipped").isEqualTo(2);
            for (int i = 2; i <= 4; i++) {
                assertThat(store.outbox().append(b("m" + i), b("bob"), 1, b("x")).block(T).sequence()).isEqualTo(i);
            }
            reserved = first[1];
            Path crashed = crashCopy(live, dir.resolve("crashed"));
            NodeStore reopened = NodeStore.open(crashed).block(T);
            try {
                assertThat(reopened.outbox().append(b("m5"), b("bob"), 1, b("x")).block(T).sequence())
                        .as("after a crash: past everything that may have been sent").isEqualTo(reserved + 1);
                assertThat(reopened.outbox().append(b("m11"), b("carol"), 1, b("x")).block(T).sequence())
                        .as("the reservation of the transaction after the failed one is in the log").isEqualTo(carol[1] + 1);
                assertThat(reopened.outbox().pending(b("bob")).map(OutboxEntry::sequence).collectList().block(T))
                        .containsExactly(1L, 2L, 3L, 4L, reserved + 1);
            } finally {
                reopened.close().block(T);
            }
        } finally {
            store.close().block(T);
        }
        NodeStore again = NodeStore.open(live).block(T);
        try {
            assertThat(again.outbox().append(b("m5"), b("bob"), 1, b("x")).block(T).sequence())
                    .as("after a clean close the reservation is given back: no gap").isEqualTo(5);
        } finally {
            again.close().block(T);
        }
    }

    @Test
    void aRecordTornByACrashIsDroppedAndTheStoreOpens() throws IOException {
        Path crashed = crashedAfterWriting(0, 10);
        Path last = lastWritten(crashed);
        long size = Files.size(last);
        assertThat(size).as("ten records in the log").isGreaterThan(10 * 1024);
        // a last record cut in the middle, as a crash during its write leaves it
        Path torn = copyDir(crashed, dir.resolve("torn"));
        try (FileChannel ch = FileChannel.open(lastWritten(torn), StandardOpenOption.WRITE)) {
            ch.truncate(size - 100);
        }
        assertValues(torn, 9, "a cut last record");
        // a last record with damaged bytes (length intact, CRC wrong)
        Path damaged = copyDir(crashed, dir.resolve("damaged"));
        flipByte(lastWritten(damaged), size - 10);
        assertValues(damaged, 9, "a damaged last record");
        // a damaged record in the middle: it and everything after it are dropped (never reported durable
        // if a crash did this; the store opens with what came before)
        Path middle = copyDir(crashed, dir.resolve("middle"));
        flipByte(lastWritten(middle), size / 2);
        NodeStore s = NodeStore.open(middle).block(T);
        try {
            long present = Flux.range(0, 10).concatMap(i -> s.map("values").get(key(i))).filter(o -> o.isPresent())
                    .count().block(T);
            assertThat(present).isBetween(3L, 6L);
        } finally {
            s.close().block(T);
        }
        // half a header at the end
        Path header = copyDir(crashed, dir.resolve("header"));
        try (FileChannel ch = FileChannel.open(lastWritten(header),
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(new byte[] {0, 0, 4}));
        }
        assertValues(header, 10, "a cut header after the last record");
    }

    @Test
    void aLaterSegmentIsReplayedOnlyAfterAllOfTheOneBeforeIt() throws IOException {
        Path crashed = crashedAfterWriting(0, 10);
        Path only = lastWritten(crashed);
        byte[] all = Files.readAllBytes(only);
        List<Integer> starts = recordStarts(all);
        assertThat(starts).hasSize(10);
        String next = String.format("%s%016x", Wal.PREFIX, Long.parseUnsignedLong(
                only.getFileName().toString().substring(Wal.PREFIX.length()), 16) + 1);
        // records 1-5 in one segment, 6-10 in the next: all ten replayed
        Path split = copyDir(crashed, dir.resolve("split"));
        Files.write(split.resolve(only.getFileName()), java.util.Arrays.copyOfRange(all, 0, starts.get(5)));
        Files.write(split.resolve(next), java.util.Arrays.copyOfRange(all, starts.get(5), all.length));
        assertValues(split, 10, "a log in two segments");
        // the first segment lost its last record (cut at a record boundary): the second is not replayed
        Path lost = copyDir(crashed, dir.resolve("lost"));
        Files.write(lost.resolve(only.getFileName()), java.util.Arrays.copyOfRange(all, 0, starts.get(4)));
        Files.write(lost.resolve(next), java.util.Arrays.copyOfRange(all, starts.get(5), all.length));
        assertValues(lost, 4, "a segment that lost its end");
    }

    private static List<Integer> recordStarts(byte[] segment) {
        List<Integer> out = new java.util.ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(segment);
        for (int at = 0; at < segment.length; at += Wal.HEADER + b.getInt(at)) {
            out.add(at);
        }
        return out;
    }

    @Test
    void aLogRecordOfAnUnknownKindFailsTheOpenWithAClearErrorAndTouchesNothing() throws IOException {
        Path crashed = crashedAfterWriting(1, 2);
        Path seg = lastWritten(crashed);
        // rewrite the record body with kind 9 and a matching CRC
        byte[] all = Files.readAllBytes(seg);
        all[Wal.HEADER] = 9;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(all, 8, all.length - 8);
        ByteBuffer.wrap(all).putInt(4, (int) crc.getValue());
        Files.write(seg, all);
        byte[] before = Files.readAllBytes(seg);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NodeStore.open(crashed).block(T))
                .isInstanceOf(StoreCorruptedException.class).hasMessageContaining("unknown change kind 9")
                .hasMessageContaining("node.wal");
        assertThat(Files.readAllBytes(seg)).as("the log is left as it was").isEqualTo(before);
        // and the directory is not left locked
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NodeStore.open(crashed).block(T))
                .isInstanceOf(StoreCorruptedException.class);
    }

    private void assertValues(Path data, int expected, String what) {
        NodeStore s = NodeStore.open(data).block(T);
        try {
            for (int i = 0; i < 10; i++) {
                boolean present = i < expected;
                assertThat(s.map("values").get(key(i)).block(T)).as("%s: value %d", what, i)
                        .matches(o -> o.isPresent() == present);
            }
        } finally {
            s.close().block(T);
        }
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5a));
            b.rewind();
            ch.write(b, at);
        }
    }

    /**
     * A crash copy of a store that wrote values {@code from} to {@code to} (exclusive), one
     * transaction each, into map "values" (the live store is closed afterwards).
     */
    private Path crashedAfterWriting(int from, int to) throws IOException {
        Path live = dir.resolve("live");
        NodeStore store = NodeStore.open(live).block(T);
        try {
            KeyValueMap values = store.map("values");
            Flux.range(from, to - from).concatMap(i -> values.put(key(i), value(i))).blockLast(T);
            return crashCopy(live, dir.resolve("crashed"));
        } finally {
            store.close().block(T);
        }
    }

    /** The log segments first, then everything else (the store file). */
    private static Path crashCopy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (Path seg : segments(from)) {
            try {
                Files.copy(seg, to.resolve(seg.getFileName()));
            } catch (java.nio.file.NoSuchFileException e) {
                // deleted by a checkpoint meanwhile: the store file copied below has it
            }
        }
        Files.copy(from.resolve(NodeStore.STORE_FILE), to.resolve(NodeStore.STORE_FILE));
        return to;
    }

    private static Path copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals(NodeStore.LOCK_FILE)) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
        return to;
    }

    private static List<Path> segments(Path dir) throws IOException {
        return Wal.segments(dir);
    }

    /** The last segment with records (after it there may be an empty one, opened ahead for the next rotation). */
    private static Path lastWritten(Path dir) throws IOException {
        List<Path> all = segments(dir);
        for (int i = all.size() - 1; i >= 0; i--) {
            if (Files.size(all.get(i)) > 0) {
                return all.get(i);
            }
        }
        throw new AssertionError("no segment with records in " + dir);
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(int i) {
        byte[] v = new byte[1024];
        ByteBuffer.wrap(v).putInt(i);
        return v;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The store's meters: every fsync of the log is timed, checkpoints are counted, the log's size is a gauge. */
    @Test
    void fsyncsAndCheckpointsAreMetered() {
        System.setProperty(NodeStore.CHECKPOINT_BYTES_PROPERTY, "20000"); // a checkpoint every ~20 transactions
        NodeStore store = NodeStore.open(dir.resolve("node")).block(T);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try {
            store.bindMetrics(registry, "abcd1234");
            KeyValueMap values = store.map("values", 1_000_000);
            long before = store.logForces();
            // awaited one by one: each forces the log
            Flux.range(0, 100).concatMap(i -> values.put(("k" + i).getBytes(StandardCharsets.UTF_8), new byte[1000]))
                    .blockLast(T);
            long forces = store.logForces() - before;
            assertThat(forces).isGreaterThanOrEqualTo(100);

            Timer fsync = registry.get("carrier.store.fsync").tag("node", "abcd1234").timer();
            assertThat(fsync.count()).isEqualTo(forces);
            assertThat(fsync.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
            CountAtBucket[] buckets = fsync.takeSnapshot().histogramCounts();
            assertThat(Arrays.stream(buckets).map(b -> b.bucket(java.util.concurrent.TimeUnit.MILLISECONDS)))
                    .containsExactly(1.0, 3.0, 10.0);
            assertThat(buckets[2].count()).isLessThanOrEqualTo(forces);

            double checkpoints = registry.get("carrier.store.checkpoints").tag("node", "abcd1234")
                    .functionCounter().count();
            assertThat(checkpoints).as("100 KB of log at a checkpoint every 20 KB").isGreaterThanOrEqualTo(3);
            double logBytes = registry.get("carrier.store.log.bytes").tag("node", "abcd1234").gauge().value();
            assertThat(logBytes).isBetween(0.0, 40_000.0);
        } finally {
            store.close().block(T);
        }
    }
}
