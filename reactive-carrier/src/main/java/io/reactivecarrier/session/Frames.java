package io.reactivecarrier.session;

/** Frame types and sizes inside a stream packet (see docs/protocol/streams.md). */
final class Frames {

    static final int PADDING = 0x00;
    static final int PING = 0x01;
    /** largest 8, delay µs 4, ranges-1 1, first length 4, (gap 4, length 4)* */
    static final int ACK = 0x02;
    /** channel 4, max 8: bytes (reliable) or datagrams (unreliable) the peer may send on the channel */
    static final int MAX_DATA = 0x03;
    /** channel 4, offset 8, length 2, data; 0x05 = with FIN */
    static final int STREAM = 0x04;
    static final int STREAM_FIN = 0x05;
    /** channel 4, length 2, data */
    static final int DATAGRAM = 0x06;
    /** channel 4, count 8: the unreliable sender is done after count datagrams */
    static final int DATAGRAM_FIN = 0x07;
    /** channel 4, name length 1, name (UTF-8) */
    static final int CHANNEL_OPEN = 0x08;
    /** channel 4, reason length 1, reason */
    static final int CHANNEL_CLOSE = 0x09;
    /** reason length 2, reason: the stream is closed */
    static final int CLOSE = 0x0A;

    static final int STREAM_HEADER = 1 + 4 + 8 + 2;
    static final int DATAGRAM_HEADER = 1 + 4 + 2;
    static final int MAX_DATA_SIZE = 1 + 4 + 8;
    static final int DATAGRAM_FIN_SIZE = 1 + 4 + 8;

    /** Packet header: kind 1, version 1, destination connection id 4, packet number 8. */
    static final int PACKET_HEADER = 14;
    static final int MAX_REASON = 255;

    private Frames() {
    }
}
