package io.reactivecarrier.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Proves BlockHound is installed in a child JVM started the way the tests start theirs
 * ({@link BlockHoundSetup#JVM_OPTION}, {@link BlockHoundSetup#install()}): a sleep on a parallel
 * worker must fail. {@link BlockHoundConfigurationTest} checks this JVM.
 */
class BlockHoundTest {

    /** "BlockingOperationError: ..." when BlockHound rejected the sleep, else "slept". */
    static String sleepOnAParallelWorker() {
        return Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel())
                .map(Object::toString)
                .onErrorResume(e -> Mono.just(e.getClass().getSimpleName() + ": " + e.getMessage()))
                .block(Duration.ofSeconds(10));
    }

    @Test
    void blockingCallOnNonBlockingThreadFailsInAChildJvm() throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", BlockHoundSetup.JVM_OPTION,
                "-cp", System.getProperty("java.class.path"), Child.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the child exits").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).as("the child's output").contains("RESULT BlockingOperationError");
        assertThat(p.exitValue()).isZero();
    }

    /** The child: installs BlockHound as the children of DhtMultiProcessTest and the crash tests do, then sleeps. */
    public static final class Child {
        public static void main(String[] args) {
            BlockHoundSetup.install();
            System.out.println("RESULT " + sleepOnAParallelWorker());
        }
    }
}
