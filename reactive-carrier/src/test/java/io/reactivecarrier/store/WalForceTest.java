package io.reactivecarrier.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the log is forced: on the appending thread when nothing else waits, else on the sync
 * thread, and never for a new segment's record before the rotation into it is on disk.
 */
@Timeout(30)
class WalForceTest {

    @TempDir
    Path dir;

    @Test
    void whenNothingElseWaitsTheAppendingThreadForcesAndCompletesAtOnce() throws Exception {
        Wal wal = Wal.start(dir, 1, 1 << 20, "test-sync-force-1");
        try {
            byte[] r = record();
            wal.append(r, r.length);
            CompletableFuture<Thread> done = new CompletableFuture<>();
            wal.afterDurable(completion(done), true);
            assertThat(done).as("completed before afterDurable returned").isDone();
            assertThat(done.get()).isSameAs(Thread.currentThread());

            wal.append(r, r.length);
            CompletableFuture<Thread> handedOver = new CompletableFuture<>();
            wal.afterDurable(completion(handedOver), false); // a transaction is queued behind this one
            assertThat(handedOver.get(10, TimeUnit.SECONDS).getName()).isEqualTo("test-sync-force-1");
        } finally {
            wal.close(true);
        }
    }

    @Test
    void aRecordOfTheNewSegmentIsNotReportedDurableBeforeTheRotationIsOnDisk() throws Exception {
        Wal wal = Wal.start(dir, 1, 1 << 20, "test-sync-force-2");
        CountDownLatch release = new CountDownLatch(1);
        try {
            byte[] r = record();
            wal.append(r, r.length);
            wal.onSyncThread(() -> { // the sync thread is busy: the rotation's force of the old segment waits
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            wal.rotate(() -> { });
            wal.append(r, r.length); // the first record of the new segment
            CompletableFuture<Thread> done = new CompletableFuture<>();
            wal.afterDurable(completion(done), true);
            Thread.sleep(200);
            assertThat(done).as("durable only once the old segment is forced and the new one's name is on disk")
                    .isNotDone();
            release.countDown();
            assertThat(done.get(10, TimeUnit.SECONDS).getName()).isEqualTo("test-sync-force-2");

            CountDownLatch idle = new CountDownLatch(1); // the sync thread has finished its task (which ends
            wal.onSyncThread(idle::countDown);           // after the completion above ran)
            assertThat(idle.await(10, TimeUnit.SECONDS)).isTrue();
            wal.append(r, r.length); // the rotation is done: forced here again
            CompletableFuture<Thread> later = new CompletableFuture<>();
            wal.afterDurable(completion(later), true);
            assertThat(later.get(10, TimeUnit.SECONDS)).isSameAs(Thread.currentThread());
        } finally {
            release.countDown();
            wal.awaitCheckpointThread();
            wal.close(true);
        }
    }

    @Test
    void aDeferredCompletionWaitsForTheNextForceWhoeverForcesAndCompletionsStayInOrder() throws Exception {
        Wal wal = Wal.start(dir, 1, 1 << 20, "test-sync-force-3");
        try {
            byte[] r = record();
            java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
            wal.append(r, r.length);
            CompletableFuture<Thread> first = new CompletableFuture<>();
            wal.afterNextForce(completion(first, order, "first"));
            Thread.sleep(100);
            assertThat(first).as("nothing forced the log yet").isNotDone();
            assertThat(wal.deferred()).isEqualTo(1);

            long forces = wal.forces();
            wal.append(r, r.length);
            CompletableFuture<Thread> second = new CompletableFuture<>();
            wal.afterNextForce(completion(second, order, "second"));
            wal.append(r, r.length);
            CompletableFuture<Thread> third = new CompletableFuture<>();
            wal.afterDurable(completion(third, order, "third"), true); // this one forces: it covers both before it
            assertThat(first).isDone();
            assertThat(second).isDone();
            assertThat(third).isDone();
            assertThat(order).containsExactly("first", "second", "third");
            assertThat(wal.forces() - forces).isEqualTo(1);

            wal.append(r, r.length);
            CompletableFuture<Thread> fourth = new CompletableFuture<>();
            wal.afterNextForce(completion(fourth, order, "fourth"));
            wal.forceDeferred(false); // the timer's force: on the sync thread, the appending thread goes on
            assertThat(fourth.get(10, TimeUnit.SECONDS).getName()).isEqualTo("test-sync-force-3");
            assertThat(wal.deferred()).isZero();
            assertThat(wal.forces() - forces).isEqualTo(2);
        } finally {
            wal.close(true);
        }
    }

    private static Wal.Completion completion(CompletableFuture<Thread> done, java.util.List<String> order, String name) {
        return new Wal.Completion() {
            @Override
            public void complete() {
                order.add(name);
                done.complete(Thread.currentThread());
            }

            @Override
            public void fail(Throwable cause) {
                done.completeExceptionally(cause);
            }
        };
    }

    private static Wal.Completion completion(CompletableFuture<Thread> done) {
        return new Wal.Completion() {
            @Override
            public void complete() {
                done.complete(Thread.currentThread());
            }

            @Override
            public void fail(Throwable cause) {
                done.completeExceptionally(cause);
            }
        };
    }

    /** A journal body of one put (the log checks only its length and checksum). */
    private static byte[] record() {
        return new byte[] {Journal.PUT_BYTES, 1, 'm', 1, 'k', 1, 'v'};
    }
}
