package io.reactivecarrier.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The messages benchmark end to end, small: every message arrives once, in one JVM or two. */
class MessagesScenarioTest {

    @Test
    @Timeout(180)
    void theReceiverInItsOwnJvmGetsEveryMessageOnce() throws Exception {
        String json = run("2");
        assertThat(json).contains("\"lost\":0,\"duplicated\":0,\"jvms\":2").contains("\"receiver_cpu_s\":");
    }

    @Test
    @Timeout(180)
    void bothNodesInOneJvmGetEveryMessageOnce() throws Exception {
        String json = run("1");
        assertThat(json).contains("\"lost\":0,\"duplicated\":0,\"jvms\":1").doesNotContain("receiver_cpu_s");
    }

    private static String run(String jvms) throws Exception {
        return new MessagesScenario().run(Args.parse(new String[] {"--count", "3000", "--size", "256", "--concurrency",
                "64", "--warmup", "5000", "--warmup-max-s", "0", "--jvms", jvms})).toString();
    }
}
