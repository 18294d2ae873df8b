package io.reactivecarrier.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The messages benchmark end to end, small: every message arrives once, in one JVM or two, and the
 * durable-acknowledgement baseline closes its loop on the same disk.
 */
class MessagesScenarioTest {

    @Test
    @Timeout(180)
    void theReceiverInItsOwnJvmGetsEveryMessageOnce() throws Exception {
        String json = run("2", "true", "true");
        assertThat(json).contains("\"lost\":0,\"duplicated\":0,\"jvms\":2").contains("\"receiver_cpu_s\":")
                .contains("\"baseline_durable_ack\":{\"count\":3000,").contains("\"complete\":true")
                .contains("\"hiccup_ms_max\":").contains("\"receiver_hiccup_ms_max\":");
    }

    @Test
    @Timeout(180)
    void bothNodesInOneJvmGetEveryMessageOnce() throws Exception {
        String json = run("1", "false", "false");
        assertThat(json).contains("\"lost\":0,\"duplicated\":0,\"jvms\":1").doesNotContain("receiver_cpu_s")
                .doesNotContain("baseline_durable_ack").doesNotContain("hiccup");
    }

    private static String run(String jvms, String baseline, String hiccups) throws Exception {
        return new MessagesScenario().run(Args.parse(new String[] {"--count", "3000", "--size", "256", "--concurrency",
                "64", "--warmup", "5000", "--warmup-max-s", "0", "--jvms", jvms, "--baseline", baseline,
                "--hiccups", hiccups})).toString();
    }
}
