package io.reactivecarrier.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * What the one BlockHound configuration ({@link BlockHoundSetup}) must do in every test JVM of the
 * project. Public, with public tests, so that the starter's and the samples' tests run the same
 * checks in their own JVMs (one empty subclass each): before those modules shared this
 * configuration they had copies without the allocator's exemption, and BlockHound threw out of
 * Netty's allocator in the middle of a stream's packet handling; the stream then went silent and a
 * samples file transfer failed about one run in ten.
 */
public class BlockHoundConfigurationTest {

    @Test
    public void aSleepOnAParallelWorkerFails() {
        assertThat(BlockHoundTest.sleepOnAParallelWorker()).as("BlockHound must reject Thread.sleep on a parallel thread")
                .startsWith("BlockingOperationError");
    }

    /**
     * Two non-blocking threads allocating from one fresh adaptive allocator at once make it lock
     * a shared magazine (to grow the group, or to free into it). Without the exemption BlockHound
     * rejected that lock in the first round on the 2-core development VM, five runs of five.
     */
    @Test
    public void nettysAllocatorContendedOnNonBlockingThreadsIsAllowed() {
        List<String> failures = Flux.range(0, 50)
                .concatMap(round -> contend(new AdaptiveByteBufAllocator(true, false)))
                .collectList()
                .block(Duration.ofSeconds(120));
        assertThat(failures).as("BlockHound errors while two parallel workers allocated").isEmpty();
    }

    /** Two parallel workers start together and allocate and free buffers; emits what failed. */
    private static Flux<String> contend(AdaptiveByteBufAllocator alloc) {
        AtomicInteger started = new AtomicInteger();
        return Flux.range(0, 2)
                .flatMap(worker -> Mono.fromCallable(() -> {
                            started.incrementAndGet();
                            while (started.get() < 2) {
                                // both at once (no Thread.onSpinWait: BlockHound counts it as blocking)
                            }
                            ByteBuf[] held = new ByteBuf[64];
                            for (int i = 0; i < 2_000; i++) {
                                int k = i & 63;
                                if (held[k] != null) {
                                    held[k].release();
                                }
                                held[k] = alloc.directBuffer(1500 + (i % 7) * 1000);
                            }
                            for (ByteBuf b : held) {
                                b.release();
                            }
                            return "";
                        })
                        .subscribeOn(Schedulers.parallel())
                        .onErrorResume(e -> Mono.just(e.toString())))
                .filter(s -> !s.isEmpty());
    }
}
