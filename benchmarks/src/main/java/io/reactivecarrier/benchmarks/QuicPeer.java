package io.reactivecarrier.benchmarks;

/** The Netty QUIC peer of {@code stream-compare} (not built yet). */
final class QuicPeer {

    private QuicPeer() {
    }

    static Json run(long bytes, int payload) {
        throw new UnsupportedOperationException("the QUIC peer is not built yet");
    }
}
