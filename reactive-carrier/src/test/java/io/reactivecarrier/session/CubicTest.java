package io.reactivecarrier.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The CUBIC window curve against the formulas of RFC 9438, in virtual time. */
class CubicTest {

    static final int MSS = 1200;
    static final long MAX = 1L << 40;
    static final long MS = 1_000_000L;

    /** Slow start until the window holds {@code segments}, acknowledging full windows. */
    static long growTo(Cubic cc, int segments, long now) {
        while (cc.window() < (long) segments * MSS) {
            cc.onPacketAcked(MSS, now - 1, cc.window(), now, 10 * MS);
        }
        return now;
    }

    /** Acknowledges one full window's worth of packets at {@code now}, sent one RTT before. */
    static void ackWindow(Cubic cc, long now, long rtt) {
        long w = cc.window();
        for (long acked = 0; acked < w; acked += MSS) {
            cc.onPacketAcked(MSS, now - rtt, w, now, rtt);
        }
    }

    @Test
    void reductionIsBetaAndKFollowsEquation2() {
        Cubic cc = new Cubic(MSS, MAX);
        long now = growTo(cc, 1000, 1000 * MS);
        double before = cc.window();
        cc.onCongestion(now - 1, now);
        assertThat((double) cc.window()).isCloseTo(0.7 * before, within(1.0));
        assertThat(cc.wMax()).isCloseTo(before, within(1.0));
        assertThat(cc.ssthresh()).isEqualTo(cc.window());
        // the first ACK in congestion avoidance starts the epoch: K = cbrt(W_max (1 - beta) / C), in segments
        cc.onPacketAcked(MSS, now + 1, cc.window(), now + 2, 10 * MS);
        double wMaxSegments = before / MSS;
        assertThat(cc.k()).isCloseTo(Math.cbrt(wMaxSegments * (1 - 0.7) / 0.4), within(1e-3));
        // W_cubic(0) is the reduced window and W_cubic(K) = W_max
        assertThat(cc.wCubic(0)).isCloseTo(0.7 * before, within(2.0));
        assertThat(cc.wCubic(cc.k())).isCloseTo(before, within(1e-6));
    }

    @Test
    void windowFollowsTheCubicCurveConcaveThenPlateauThenConvex() {
        Cubic cc = new Cubic(MSS, MAX);
        long rtt = 100 * MS; // long enough that the curve stays ahead of the Reno-friendly estimate
        long start = growTo(cc, 1000, 1000 * MS);
        double wMax = cc.window();
        cc.onCongestion(start - 1, start);
        long now = start + rtt + 1; // the first ACK of a packet sent after the recovery started begins the epoch
        long epoch = now;
        double k = -1;
        double previousGrowth = Double.MAX_VALUE;
        double atK = 0;
        long steps = 0;
        // an ACK clock of one window per RTT for 2 K
        while (true) {
            double w0 = cc.window();
            ackWindow(cc, now, rtt);
            if (k < 0) {
                k = cc.k();
                assertThat(k).isCloseTo(Math.cbrt(wMax / MSS * 0.3 / 0.4), within(1e-3));
            }
            double t = (now - epoch) / 1e9; // time since the epoch started
            double growth = cc.window() - w0;
            steps++;
            // the window tracks the target W_cubic(t + RTT) closely (each ACK moves it toward it)
            double expected = 0.4 * Math.pow(t + rtt / 1e9 - k, 3) * MSS + wMax;
            if (t > 0.2) {
                assertThat((double) cc.window()).as("t=%s", t).isCloseTo(expected, within(0.02 * wMax));
                assertThat(cc.wEst()).as("cubic region, t=%s", t).isLessThan(cc.window());
            }
            if (t > 0.5 && t < k - 0.5) {
                assertThat(growth).as("concave: growth slows toward W_max, t=%s", t)
                        .isLessThanOrEqualTo(previousGrowth + MSS);
            }
            if (Math.abs(t - k) < rtt / 1e9) {
                atK = cc.window();
            }
            previousGrowth = growth;
            now += rtt;
            if (t > 2 * k) {
                break;
            }
        }
        assertThat(atK).as("plateau at W_max near t = K").isCloseTo(wMax, within(0.02 * wMax));
        // convex after K: past W_max and accelerating, as the curve says at 2K
        assertThat((double) cc.window()).isGreaterThan(wMax * 1.2);
        assertThat((double) cc.window()).isCloseTo(0.4 * Math.pow(k + rtt / 1e9, 3) * MSS + wMax, within(0.05 * wMax));
        assertThat(steps).isGreaterThan(100);
    }

    @Test
    void renoFriendlyRegionUsesTheRenoEstimateWhenItIsAhead() {
        // a small window and a short RTT: Reno's one segment per RTT outgrows the cubic curve
        Cubic cc = new Cubic(MSS, MAX);
        long rtt = MS;
        long start = growTo(cc, 20, 1000 * MS);
        double prior = cc.window();
        cc.onCongestion(start - 1, start);
        double reduced = cc.window();
        long now = start + rtt + 1;
        long epoch = now;
        for (int i = 0; i < 200; i++) {
            ackWindow(cc, now, rtt);
            now += rtt;
        }
        double t = (now - rtt - epoch) / 1e9;
        assertThat(cc.wCubic(t)).isLessThan(cc.wEst());
        assertThat((double) cc.window()).isCloseTo(cc.wEst(), within((double) MSS));
        // W_est: alpha_cubic = 3 (1 - beta) / (1 + beta) segments per RTT until it reaches the window
        // before the reduction, then 1 segment per RTT
        double alpha = 3 * (1 - 0.7) / (1 + 0.7);
        double rttsToPrior = (prior - reduced) / MSS / alpha;
        double expected = prior + (200 - rttsToPrior) * MSS;
        assertThat(cc.wEst()).isCloseTo(expected, within(0.1 * expected));
        assertThat(cc.wEst()).isGreaterThan(cc.wMax());
    }

    @Test
    void fastConvergenceLowersWmaxWhenTheWindowDidNotRecover() {
        Cubic cc = new Cubic(MSS, MAX);
        long now = growTo(cc, 1000, 1000 * MS);
        double first = cc.window();
        cc.onCongestion(now - 1, now);
        // a second loss, a round trip later, before the window regained W_max
        now += 20 * MS;
        cc.onPacketAcked(MSS, now - MS, cc.window(), now, 10 * MS);
        double second = cc.window();
        assertThat(second).isLessThan(first);
        cc.onCongestion(now - 1, now);
        assertThat(cc.wMax()).isCloseTo(second * (1 + 0.7) / 2, within(1.0));
        assertThat((double) cc.window()).isCloseTo(second * 0.7, within(1.0));
    }

    @Test
    void oneReductionPerRecoveryPeriod() {
        Cubic cc = new Cubic(MSS, MAX);
        long now = growTo(cc, 100, 1000 * MS);
        cc.onCongestion(now - 5, now);
        long after = cc.window();
        cc.onCongestion(now - 1, now + MS); // lost packet sent before the recovery started
        assertThat(cc.window()).isEqualTo(after);
        cc.onPacketAcked(MSS, now - 1, after, now + MS, 10 * MS); // acked from before recovery: no growth
        assertThat(cc.window()).isEqualTo(after);
        cc.onCongestion(now + 1, now + 2 * MS); // sent after: a new congestion event
        assertThat(cc.window()).isLessThan(after);
    }

    @Test
    void slowStartGrowsByTheBytesAckedButNotWhenApplicationLimited() {
        Cubic cc = new Cubic(MSS, MAX);
        long w = cc.window();
        cc.onPacketAcked(MSS, 0, w, 1, 10 * MS);
        assertThat(cc.window()).isEqualTo(w + MSS);
        long w2 = cc.window();
        cc.onPacketAcked(MSS, 0, 0, 2, 10 * MS); // almost nothing in flight
        assertThat(cc.window()).isEqualTo(w2);
    }

    @Test
    void persistentCongestionFallsToTheMinimumWindowAndTheWindowIsCapped() {
        Cubic cc = new Cubic(MSS, 200_000);
        for (int i = 0; i < 500; i++) {
            cc.onPacketAcked(MSS, 1, cc.window(), 2, 10 * MS);
        }
        assertThat(cc.window()).isEqualTo(200_000);
        cc.onPersistentCongestion();
        assertThat(cc.window()).isEqualTo(2L * MSS);
    }

    @Test
    void aLargerPacketSizeScalesTheWindows() {
        Cubic cc = new Cubic(MSS, MAX);
        long now = growTo(cc, 100, 1000 * MS);
        cc.onCongestion(now - 1, now);
        double wMax = cc.wMax();
        long w = cc.window();
        cc.maxPacketSize(2 * MSS);
        assertThat(cc.window()).isCloseTo(2 * w, within(2L));
        assertThat(cc.wMax()).isCloseTo(2 * wMax, within(1.0));
    }
}
