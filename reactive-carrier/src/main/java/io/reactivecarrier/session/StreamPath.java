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
