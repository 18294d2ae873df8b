package io.reactivecarrier.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log's recycled segments: a segment a checkpoint covers is renamed into a later one and
 * overwritten from the start, and the old records behind the new ones are never replayed.
 */
class WalRecyclingTest {

    @TempDir
    Path dir;

    @Test
    void aCoveredSegmentIsReusedAndItsOldRecordsAreSkippedByReplay() throws Exception {
        Wal wal = Wal.start(dir, 1, 1000, "test-sync-1");
        try {
            for (int i = 1; i <= 5; i++) { // records 1-5, 300 bytes each: segment 1 is "full" (>= 1000 bytes)
                wal.append(body("k" + i, 300), body("k" + i, 300).length);
            }
            wal.awaitCheckpointThread(); // segment 2 is opened ahead (a new file: there is no spare yet)
            assertThat(Wal.segments(dir)).hasSize(2);
            Path first = Wal.segments(dir).get(0);
            assertThat(Files.size(Wal.segments(dir).get(1))).isZero();
            Object inode = Files.getAttribute(first, "unix:ino");
            rotateAndWait(wal); // into segment 2; segment 1 is covered: a spare, renamed ahead into segment 3
            assertThat(wal.spares()).as("the spare is segment 3 now, waiting").isZero();
            wal.append(body("k6", 10), body("k6", 10).length); // record 6, small: segment 2 is not kept
            rotateAndWait(wal); // into segment 3; segment 4 is opened ahead (a new file: segment 2 was too small)
            List<Path> segments = Wal.segments(dir);
            assertThat(segments).hasSize(2);
            Path third = segments.get(0);
            assertThat(Files.getAttribute(third, "unix:ino")).as("the spare's file, renamed").isEqualTo(inode);
            assertThat(Files.size(segments.get(1))).as("the next segment, opened ahead").isZero();
            byte[] seven = body("k7", 20);
            wal.append(seven, seven.length); // record 7 over the start of old record 1; records 2-5 stay behind it
            awaitDurable(wal);
            assertThat(Files.size(third)).as("old records follow the new one").isGreaterThan(1000);

            // the store file holds up to record 6: replay gives record 7 only, not the old 2-5 behind it
            List<String> applied = new ArrayList<>();
            Wal.Replayed r = Wal.replay(dir, 6, (map, stringKey, key, value) -> applied.add(new String(key,
                    StandardCharsets.US_ASCII)));
            assertThat(applied).containsExactly("k7");
            assertThat(r.lastRecord()).isEqualTo(7);
            // a checkpoint at 7: nothing after it
            applied.clear();
            assertThat(Wal.replay(dir, 7, (map, stringKey, key, value) -> applied.add("x")).records()).isZero();
            assertThat(applied).isEmpty();
            // the next record goes right after record 7, over old bytes, and is replayed after it
            wal.append(body("k8", 20), body("k8", 20).length);
            awaitDurable(wal);
            Wal.replay(dir, 6, (map, stringKey, key, value) -> applied.add(new String(key, StandardCharsets.US_ASCII)));
            assertThat(applied).containsExactly("k7", "k8");
        } finally {
            wal.close(true);
        }
        assertThat(Wal.segments(dir)).as("a clean close deletes segments and spares").isEmpty();
    }

    @Test
    void anOldRecordThatStartsRightWhereTheNewOnesEndIsSkipped() throws Exception {
        Wal wal = Wal.start(dir, 1, 100, "test-sync-2");
        try {
            byte[] same = body("old", 200);
            for (int i = 0; i < 3; i++) { // records 1-3 of one size
                wal.append(same, same.length);
            }
            rotateAndWait(wal); // segment 2 (spare: segment 1)
            wal.append(same, same.length); // record 4
            rotateAndWait(wal); // segment 3 = segment 1 renamed
            wal.append(body("new", 200), same.length); // record 5: same size as old record 1, so old record 2 follows on a boundary
            awaitDurable(wal);
            List<String> applied = new ArrayList<>();
            Wal.Replayed r = Wal.replay(dir, 4, (map, stringKey, key, value) -> applied.add(new String(key,
                    StandardCharsets.US_ASCII)));
            assertThat(applied).containsExactly("new");
            assertThat(r.records()).isEqualTo(1);
        } finally {
            wal.close(true);
        }
    }

    private static void rotateAndWait(Wal wal) throws Exception {
        CountDownLatch checkpointed = new CountDownLatch(1);
        wal.rotate(checkpointed::countDown);
        assertThat(checkpointed.await(10, TimeUnit.SECONDS)).isTrue();
        wal.awaitCheckpointThread(); // the covered segments are recycled right after the checkpoint, on its thread
    }

    private static void awaitDurable(Wal wal) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        wal.afterDurable(new Wal.Completion() {
            @Override
            public void complete() {
                done.countDown();
            }

            @Override
            public void fail(Throwable cause) {
                throw new AssertionError(cause);
            }
        }, false);
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }

    /** A journal body of one put into map "m" of {@code key}, with a value that makes it {@code size} bytes. */
    private static byte[] body(String key, int size) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(Journal.PUT_BYTES);
        b.write(1);
        b.write('m');
        b.write(key.length());
        b.writeBytes(key.getBytes(StandardCharsets.US_ASCII));
        int valueLen = size - 4 - key.length() - 2;
        b.write(0x80 | (valueLen & 0x7f));
        b.write(valueLen >>> 7);
        b.writeBytes(new byte[valueLen]);
        return b.toByteArray();
    }
}
