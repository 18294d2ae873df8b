package io.reactivecarrier.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HarnessTest {

    @Test
    void argsParse() {
        Args a = Args.parse(new String[] {"--nodes", "10", "--loss=0.5", "--verbose", "--seed", "3"});
        assertThat(a.integer("nodes", 0)).isEqualTo(10);
        assertThat(a.decimal("loss", 0)).isEqualTo(0.5);
        assertThat(a.string("verbose", "false")).isEqualTo("true");
        assertThat(a.longValue("seed", 1)).isEqualTo(3);
        assertThat(a.integer("absent", 7)).isEqualTo(7);
        assertThatThrownBy(() -> Args.parse(new String[] {"nodes"})).hasMessageContaining("expected --option");
        assertThatThrownBy(() -> Args.parse(new String[] {"--n", "x"}).integer("n", 0)).hasMessageContaining("--n");
    }

    @Test
    void jsonIsOrderedAndEscaped() {
        Json j = Json.object().put("scenario", "x\"y").put("rate", 0.123456).put("n", 3).put("ok", true)
                .put("list", List.of(Json.object().put("a", 1), 2.0));
        assertThat(j.toString()).isEqualTo("{\"scenario\":\"x\\\"y\",\"rate\":0.1235,\"n\":3,\"ok\":true,\"list\":[{\"a\":1},2]}");
    }

    @Test
    void percentiles() {
        Stats s = new Stats();
        for (int i = 1; i <= 100; i++) {
            s.add(i);
        }
        assertThat(s.percentile(50)).isEqualTo(50);
        assertThat(s.percentile(99)).isEqualTo(99);
        assertThat(s.percentile(100)).isEqualTo(100);
        assertThat(new Stats().percentile(50)).isNaN();
    }

    @Test
    void arrivalsReportOnlyTheMeasuredRange() {
        Arrivals a = new Arrivals();
        long now = System.nanoTime();
        int warm = Arrivals.WARM_SAMPLES + 10; // warm-up samples are cleared when full, and never reported
        for (int i = 0; i < warm; i++) {
            a.arrived(Arrivals.body(i, 32), now);
        }
        a.measure(warm, warm + 100);
        for (int i = warm; i < warm + 100; i++) {
            byte[] b = Arrivals.body(i, 32);
            java.nio.ByteBuffer.wrap(b).putLong(8, now - (i - warm + 1) * 1_000_000L); // 1..100 ms ago
            a.arrived(b, now);
            a.arrived(b, now); // a duplicate
        }
        a.arrived(Arrivals.body(3, 32), now); // a late duplicate of a warm-up message
        Arrivals.Report r = a.report();
        assertThat(r.arrived()).isEqualTo(100);
        assertThat(r.duplicated()).isEqualTo(101);
        assertThat(r.p50()).isEqualTo(50);
        assertThat(r.p99()).isEqualTo(99);
        assertThat(r.lastAt()).isEqualTo(now);
    }
}
