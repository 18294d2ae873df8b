package io.reactivecarrier.transport;

import io.netty.buffer.ByteBuf;

/** Argument checks of {@link DatagramTransport#sendSegments}. */
final class Segments {

    private Segments() {
    }

    /** Releases the batch and fails when it has no bytes or the segment size is not positive. */
    static void check(ByteBuf datagrams, int segmentSize) {
        if (segmentSize <= 0 || !datagrams.isReadable()) {
            int readable = datagrams.readableBytes();
            datagrams.release();
            throw new IllegalArgumentException("sendSegments needs a positive segment size and at least one byte: "
                    + "segmentSize=" + segmentSize + ", readable=" + readable);
        }
    }
}
