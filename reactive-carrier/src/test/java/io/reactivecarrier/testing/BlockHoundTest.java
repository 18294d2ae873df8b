package io.reactivecarrier.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Proves BlockHound is installed in this JVM: a sleep on a parallel worker must fail. */
class BlockHoundTest {

    @Test
    void blockingCallOnNonBlockingThreadFails() {
        Throwable error = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel())
                .map(Object::toString)
                .onErrorResume(e -> Mono.just(e.getClass().getName() + ": " + e.getMessage()))
                .block(Duration.ofSeconds(10))
                .contains("BlockingOperationError") ? new Error("blocked") : null;
        assertThat(error).as("BlockHound must reject Thread.sleep on a parallel thread").isNotNull();
    }
}
