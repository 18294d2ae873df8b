package io.reactivecarrier.spring.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The starter's tests run under BlockHound: a blocking call on a non-blocking thread fails. */
class BlockHoundInstalledTest {

    @Test
    void blockingOnAParallelWorkerFails() {
        assertThatThrownBy(() -> Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return 1;
                }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(30)))
                .hasMessageContaining("Blocking call");
    }
}
