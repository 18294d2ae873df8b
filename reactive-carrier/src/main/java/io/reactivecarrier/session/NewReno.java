package io.reactivecarrier.session;

/**
 * NewReno as in RFC 9002 section 7: slow start, a recovery period per congestion event (one
 * halving per round trip), congestion avoidance of one packet per window, persistent congestion
 * back to the minimum window. The window grows only while the sender uses at least half of it.
 */
final class NewReno implements CongestionController {

    private final long maxWindow;
    private int mss;
    private long cwnd;
    private long ssthresh = Long.MAX_VALUE;
    private long recoveryStart = Long.MIN_VALUE;
    private long avoidanceCredit;

    NewReno(int mss, long maxWindow) {
        this.mss = mss;
        this.maxWindow = maxWindow;
        this.cwnd = Math.min(10L * mss, Math.max(14_720, 2L * mss));
    }

    @Override
    public long window() {
        return cwnd;
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
        } else {
            avoidanceCredit += bytes;
            if (avoidanceCredit >= cwnd) {
                avoidanceCredit -= cwnd;
                cwnd = Math.min(maxWindow, cwnd + mss);
            }
        }
    }

    @Override
    public void onCongestion(long largestLostSentAt, long now) {
        if (largestLostSentAt <= recoveryStart) {
            return;
        }
        recoveryStart = now;
        cwnd = Math.max(cwnd / 2, minWindow());
        ssthresh = cwnd;
        avoidanceCredit = 0;
    }

    @Override
    public void onPersistentCongestion() {
        cwnd = minWindow();
        recoveryStart = Long.MIN_VALUE;
    }

    @Override
    public void maxPacketSize(int bytes) {
        if (bytes > mss) {
            cwnd = cwnd / mss * bytes;
            mss = bytes;
            cwnd = Math.min(cwnd, maxWindow);
        }
    }

    private long minWindow() {
        return 2L * mss;
    }

    @Override
    public String toString() {
        return "NewReno[cwnd=" + cwnd + ", ssthresh=" + ssthresh + "]";
    }
}
