package io.reactivecarrier.session;

/** Congestion control of one stream (RFC 9002 section 7 events). Confined to the stream's loop. */
interface CongestionController {

    /** Bytes that may be in flight. */
    long window();

    /**
     * A packet of {@code bytes} sent at {@code sentAtNanos} was acknowledged at {@code nowNanos};
     * {@code bytesInFlight} is what remains in flight, {@code srttNanos} the smoothed round trip.
     */
    void onPacketAcked(int bytes, long sentAtNanos, long bytesInFlight, long nowNanos, long srttNanos);

    /** Packets were lost; the newest of them was sent at {@code largestLostSentAt}. */
    void onCongestion(long largestLostSentAt, long nowNanos);

    /** A probe timeout fired {@code count} times in a row without an acknowledgement. */
    void onPersistentCongestion();

    void maxPacketSize(int bytes);
}
