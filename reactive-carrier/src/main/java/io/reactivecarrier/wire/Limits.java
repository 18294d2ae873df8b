package io.reactivecarrier.wire;

/**
 * Size limits of the wire format. Every decoder checks these before it allocates.
 *
 * <pre>{@code
 * UdpTransportOptions options = UdpTransportOptions.create().maxDatagramSize(Limits.MAX_DATAGRAM);
 * boolean unfragmented = datagram.readableBytes() <= Limits.DEFAULT_MAX_DATAGRAM;
 * }</pre>
 */
public final class Limits {

    /**
     * The largest datagram a node sends by default: 1280 bytes, the IPv6 minimum MTU, so a
     * datagram is never fragmented by IP on any path. Larger datagrams are sent only on a path
     * whose MTU has been probed.
     */
    public static final int DEFAULT_MAX_DATAGRAM = 1280;

    /** The largest datagram a node accepts at all (a probed path MTU on loopback or jumbo frames). */
    public static final int MAX_DATAGRAM = 65_507;

    /** The current protocol version, the second byte of every packet. */
    public static final int PROTOCOL_VERSION = 1;

    private Limits() {
    }
}
