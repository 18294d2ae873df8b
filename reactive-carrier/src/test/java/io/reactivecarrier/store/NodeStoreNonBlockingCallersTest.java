package io.reactivecarrier.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Store calls are made from non-blocking threads (the node's start runs on a parallel worker, the
 * services on event loops). Handing a task to the store's thread takes a lock of its queue for an
 * instant. When that lock was contended, BlockHound used to throw out of the lock's acquisition
 * after the task was queued but before the sleeping store thread was signalled: the store thread
 * then slept for ever with tasks in its queue (a node start stuck 60 s in "reading the identity
 * and the routing table snapshot"). Every call must complete. Without the fix this failed in 2 of
 * 3 runs of 10 s here.
 */
class NodeStoreNonBlockingCallersTest {

    private static final Duration BUDGET = Duration.ofSeconds(Long.getLong("storeCallers.seconds", 10));
    private static final int BATCH = 1_000;

    @TempDir
    Path dir;

    @Test
    void callsFromParallelWorkersAllComplete() {
        NodeStore store = NodeStore.open(dir).block(Duration.ofSeconds(30));
        KeyValueMap map = store.map("node");
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong completed = new AtomicLong();
        long calls = 0;
        long t0 = System.nanoTime();
        try {
            while (System.nanoTime() - t0 < BUDGET.toNanos() && errors.isEmpty()) {
                // each call is handed to the store from a parallel worker just as the store thread goes
                // back to its queue after the previous call: the moment the queue's lock is contended
                Mono<Void> batch = Flux.range(0, BATCH)
                        .flatMap(i -> map.get(new byte[] {i.byteValue()})
                                .subscribeOn(Schedulers.parallel())
                                .doOnNext(v -> completed.incrementAndGet())
                                .timeout(Duration.ofSeconds(10))
                                .onErrorResume(e -> {
                                    errors.add(e);
                                    return Mono.empty();
                                }), 2)
                        .then();
                calls += BATCH;
                try {
                    batch.block(Duration.ofSeconds(30));
                } catch (IllegalStateException e) {
                    errors.add(new AssertionError("store calls stopped completing; store thread: " + storeThread(), e));
                }
            }
            assertThat(errors).as("errors of store calls made from parallel workers (%d of %d completed in %d ms)",
                    completed.get(), calls, (System.nanoTime() - t0) / 1_000_000).isEmpty();
            assertThat(completed.get()).isEqualTo(calls);
        } finally {
            // a store whose thread sleeps for ever would not close either
            store.close().timeout(Duration.ofSeconds(10)).onErrorResume(e -> Mono.empty()).block();
        }
    }

    private static String storeThread() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getName().startsWith("carrier-store")) {
                b.append(t.getName()).append(' ').append(t.getState());
                for (int i = 0; i < Math.min(stack.length, 8); i++) {
                    b.append("\n    at ").append(stack[i]);
                }
            }
        });
        return b.toString();
    }
}
