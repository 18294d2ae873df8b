package io.reactivecarrier.session;

/**
 * CUBIC as in RFC 9438, counted in bytes (a segment is the current packet size {@code mss}):
 *
 * <ul>
 *   <li>slow start as NewReno (the window grows by the bytes acknowledged) up to {@code ssthresh};</li>
 *   <li>on a congestion event (once per recovery period, section 4.6) {@code W_max} is the window
 *       before the reduction, or {@code cwnd * (1 + beta) / 2} with fast convergence when the window
 *       had not regained the previous {@code W_max} (section 4.7); the window becomes
 *       {@code beta * cwnd} with {@code beta = 0.7};</li>
 *   <li>in congestion avoidance the window follows {@code W_cubic(t) = C * (t - K)^3 + W_max} with
 *       {@code C = 0.4} segments/s^3 and {@code K = cbrt((W_max - cwnd_epoch) / C)}, which is
 *       {@code cbrt(W_max * (1 - beta) / C)} right after a reduction (eq. 1, 2); each
 *       acknowledgement moves it by {@code (target - cwnd) / cwnd} segments per segment acked,
 *       toward {@code target = W_cubic(t + RTT)} clamped to {@code [cwnd, 1.5 cwnd]} (section 4.2);</li>
 *   <li>the Reno-friendly estimate {@code W_est} grows by {@code alpha_cubic} segments per window
 *       acked, {@code alpha_cubic = 3 (1 - beta) / (1 + beta)} until it reaches the window before the
 *       last reduction and 1 after; while {@code W_cubic(t) < W_est} the window is {@code W_est}
 *       (section 4.3);</li>
 *   <li>persistent congestion (a run of probe timeouts) drops to the minimum window and starts a
 *       new epoch (section 4.8).</li>
 * </ul>
 *
 * Like {@link NewReno} the window grows only while the sender uses at least half of it
 * (application-limited, section 5.8), and never beyond {@code maxWindow}.
 */
final class Cubic implements CongestionController {

    static final double C = 0.4;
    static final double BETA = 0.7;
    static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);

    private final long maxWindow;
    private int mss;
    /** The window in bytes, fractional so that growth of a fraction of a byte per ACK is not lost. */
    private double cwnd;
    private long ssthresh = Long.MAX_VALUE;
    private long recoveryStart = Long.MIN_VALUE;
    /** The window before the last reduction, bytes (0: no congestion event yet). */
    private double wMax;
    /** The window just before the last reduction, for alpha_cubic of the Reno-friendly estimate. */
    private double cwndPrior;
    /** Start of the current congestion avoidance epoch, ns ({@code Long.MIN_VALUE}: none). */
    private long epochStart = Long.MIN_VALUE;
    /** Seconds from the epoch start until W_cubic reaches W_max again. */
    private double k;
    /** The Reno-friendly estimate, bytes. */
    private double wEst;

    Cubic(int mss, long maxWindow) {
        this.mss = mss;
        this.maxWindow = maxWindow;
        this.cwnd = Math.min(10L * mss, Math.max(14_720, 2L * mss));
    }

    @Override
    public long window() {
        return (long) cwnd;
    }

    @Override
    public void onPacketAcked(int bytes, long sentAt, long bytesInFlight, long now, long srtt) {
        if (sentAt <= recoveryStart) {
            return;
        }
        if (bytesInFlight + bytes < cwnd / 2) {
            return; // application- or flow-control-limited: do not grow
        }
        if (cwnd < ssthresh) {
            cwnd = Math.min(maxWindow, cwnd + bytes);
            return;
        }
        if (epochStart == Long.MIN_VALUE) {
            startEpoch(now);
        }
        double t = (now - epochStart) / 1e9;
        double rtt = Math.max(srtt, 0) / 1e9;
        // Reno-friendly estimate (section 4.3)
        double alpha = wEst >= cwndPrior ? 1.0 : ALPHA;
        wEst += alpha * mss * ((double) bytes / cwnd);
        double next;
        if (wCubic(t) < wEst) {
            next = wEst;
        } else {
            double target = wCubic(t + rtt);
            target = Math.max(cwnd, Math.min(target, 1.5 * cwnd));
            next = cwnd + (target - cwnd) * bytes / cwnd;
        }
        cwnd = Math.min(maxWindow, Math.max(cwnd, next));
    }

    private void startEpoch(long now) {
        epochStart = now;
        if (wMax <= cwnd) {
            // no reduction pending (e.g. slow start ended at ssthresh): the curve starts at its plateau
            k = 0;
            wMax = cwnd;
        } else {
            k = Math.cbrt((wMax - cwnd) / mss / C);
        }
        wEst = cwnd;
    }

    /** {@code W_cubic(t)} of the current epoch in bytes, {@code t} in seconds from the epoch start. */
    double wCubic(double t) {
        double d = t - k;
        return C * d * d * d * mss + wMax;
    }

    @Override
    public void onCongestion(long largestLostSentAt, long now) {
        if (largestLostSentAt <= recoveryStart) {
            return; // one reduction per recovery period
        }
        recoveryStart = now;
        epochStart = Long.MIN_VALUE;
        cwndPrior = cwnd;
        if (cwnd < wMax) {
            wMax = cwnd * (1 + BETA) / 2; // fast convergence: leave room for new flows
        } else {
            wMax = cwnd;
        }
        cwnd = Math.max(cwnd * BETA, minWindow());
        ssthresh = (long) cwnd;
    }

    @Override
    public void onPersistentCongestion() {
        cwnd = minWindow();
        recoveryStart = Long.MIN_VALUE;
        epochStart = Long.MIN_VALUE;
    }

    @Override
    public void maxPacketSize(int bytes) {
        if (bytes > mss) {
            double scale = (double) bytes / mss;
            cwnd = Math.min(cwnd * scale, maxWindow);
            wMax *= scale;
            cwndPrior *= scale;
            wEst *= scale;
            if (ssthresh != Long.MAX_VALUE) {
                ssthresh = (long) (ssthresh * scale);
            }
            mss = bytes;
        }
    }

    private long minWindow() {
        return 2L * mss;
    }

    // for tests
    double wMax() {
        return wMax;
    }

    double k() {
        return k;
    }

    double wEst() {
        return wEst;
    }

    long ssthresh() {
        return ssthresh;
    }

    @Override
    public String toString() {
        return "Cubic[cwnd=" + (long) cwnd + ", ssthresh=" + ssthresh + ", wMax=" + (long) wMax + ", K=" + k + "]";
    }
}
