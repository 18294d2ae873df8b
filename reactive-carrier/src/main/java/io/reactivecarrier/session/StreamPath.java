package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import reactor.core.scheduler.Scheduler;

/**
 * The datagram path under a stream: where its packets go and the event loop its state is
 * confined to. A session's path sends on the node's UDP socket to the friend's current address;
 * tests wrap a path to inject faults. Inbound packets are handed to
 * {@link StreamConnection#onPacket} on {@link #scheduler()} by whoever owns the socket.
 */
interface StreamPath {

    /** The event loop of the stream: packets arrive, timers fire and state lives here. */
    Scheduler scheduler();

    /** The allocator for packets. */
    ByteBufAllocator alloc();

    /** Sends one packet. Takes ownership. Never blocks. */
    void send(ByteBuf packet);

    /**
     * Sends packets that lie back to back in {@code packets}, each {@code segmentSize} bytes except
     * the last, which may be shorter (see {@link io.reactivecarrier.transport.DatagramTransport#sendSegments}:
     * one GSO write where the socket can). Takes ownership. Never blocks. This default sends each
     * packet on its own through {@link #send}, which is what fault-injecting test paths see.
     */
    default void sendSegments(ByteBuf packets, int segmentSize) {
        try {
            int end = packets.writerIndex();
            for (int i = packets.readerIndex(); i < end; i += segmentSize) {
                send(packets.retainedSlice(i, Math.min(segmentSize, end - i)));
            }
        } finally {
            packets.release();
        }
    }

    /** A monotonic clock in nanoseconds (System.nanoTime on a real path). */
    default long nanoTime() {
        return System.nanoTime();
    }

    /**
     * The largest packet worth probing for on this path. Above the link MTU IP would fragment a
     * packet (and one lost fragment loses it), so only a path to this host goes beyond 1472 bytes.
     */
    default int maxPacketCap() {
        return StreamOptions.MAX_PACKET_SIZE;
    }

    /**
     * An authenticated, new (not replayed) packet of the stream arrived from {@code from}: the
     * peer's current address, which the path may prefer for what it sends next (connection
     * migration: a NAT rebinding or a new network does not stall the stream).
     */
    default void observed(java.net.InetSocketAddress from) {
    }

    /** The path as {@link TransportInfo} sees it (encrypted, reliable and packet size are filled in by the stream). */
    TransportInfo info();
}
