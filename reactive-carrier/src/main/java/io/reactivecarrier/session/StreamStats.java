package io.reactivecarrier.session;

/**
 * A snapshot of a stream's counters.
 *
 * <pre>{@code
 * StreamStats s = stream.stats();
 * log.info("{} bytes sent, rtt {} us, retransmitted {}", s.bytesSent(), s.smoothedRttMicros(), s.retransmitRatio());
 * }</pre>
 *
 * @param packetsSent packets sent (first transmissions and retransmissions)
 * @param packetsReceived packets received and authenticated
 * @param packetsLost packets declared lost by loss detection
 * @param retransmittedBytes stream bytes sent again after a loss
 * @param bytesSent stream bytes sent for the first time
 * @param bytesReceived stream bytes delivered in order
 * @param datagramsDropped unreliable datagrams lost, refused or dropped for lack of buffer
 * @param packetsRejected packets dropped because they did not authenticate, were malformed or duplicated
 * @param smoothedRttMicros the smoothed round-trip time
 * @param congestionWindow the congestion window in bytes
 * @param maxPacketSize the current packet size
 * @param datagramsDroppedSending unreliable datagrams the sender dropped because they did not fit the
 *        peer's credit or the congestion window (overload); included in {@code datagramsDropped}
 */
public record StreamStats(long packetsSent, long packetsReceived, long packetsLost, long retransmittedBytes,
        long bytesSent, long bytesReceived, long datagramsDropped, long packetsRejected, long smoothedRttMicros,
        long congestionWindow, int maxPacketSize, long datagramsDroppedSending) {

    /** Retransmitted bytes over first-time bytes (0 when nothing was sent). */
    public double retransmitRatio() {
        return bytesSent == 0 ? 0 : (double) retransmittedBytes / bytesSent;
    }
}
