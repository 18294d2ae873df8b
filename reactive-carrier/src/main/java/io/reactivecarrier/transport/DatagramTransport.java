package io.reactivecarrier.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * One datagram endpoint of a node: a real UDP socket ({@link UdpTransport}) or a node of the
 * in-memory {@link SimulatedNetwork}. Everything a node sends and receives goes through one of these.
 *
 * <h2>Threading</h2>
 * Inbound datagrams are handed to the {@link DatagramHandler} on {@link #scheduler()}, and all of a
 * node's protocol state is confined to that scheduler: a real transport's scheduler runs on the
 * socket's Netty event loop, a simulated one on the network's (virtual-time) scheduler. Timers
 * use the same scheduler and read the clock with {@code scheduler().now(...)}, which is what lets
 * the same protocol code run on real and on virtual time.
 *
 * <h2>Buffers</h2>
 * {@link #send} takes ownership of the buffer and releases it. A handler borrows the inbound
 * buffer for the duration of the call only; it must {@code retain()} what it keeps.
 *
 * <h2>Backpressure</h2>
 * A transport reads its socket at full speed and never stops reading because a consumer is slow:
 * on a shared UDP socket, not reading drops every peer's packets. Flow control is the job of the
 * protocols above, which turn their subscribers' demand into credit for the remote sender.
 *
 * <pre>{@code
 * DatagramTransport transport = UdpTransport.bind(UdpTransportOptions.create().port(0)).block();
 * transport.receive((sender, data) -> transport.send(sender, data.retain())); // an echo server
 * transport.send(peer, transport.alloc().buffer().writeBytes(payload));       // takes ownership
 * transport.close().block();
 * }</pre>
 */
public interface DatagramTransport {

    /** The address this transport is bound to (with the real port when 0 was asked for). */
    InetSocketAddress localAddress();

    /** The scheduler that delivers inbound datagrams and confines the node's protocol state. */
    Scheduler scheduler();

    /** The allocator for outbound buffers. */
    ByteBufAllocator alloc();

    /**
     * Sends one datagram. Never blocks. Takes ownership of {@code data} (it is released whether
     * or not the datagram could be sent). A datagram larger than the transport's limit, or one
     * sent after {@link #close()}, is dropped and counted.
     */
    void send(InetSocketAddress recipient, ByteBuf data);

    /**
     * Sends a batch of datagrams to one recipient. {@code datagrams} holds them back to back: every
     * one {@code segmentSize} bytes long except the last, which may be shorter. The recipient sees
     * the same datagrams as from one {@link #send} each (the wire format does not change); a
     * transport that can (UDP GSO on Linux) hands the kernel the whole batch in one system call.
     * Never blocks; takes ownership of {@code datagrams}. This default sends one datagram per segment.
     *
     * @throws IllegalArgumentException when {@code segmentSize} is not positive or the batch is empty
     *         (the buffer is released)
     */
    default void sendSegments(InetSocketAddress recipient, ByteBuf datagrams, int segmentSize) {
        Segments.check(datagrams, segmentSize);
        try {
            int end = datagrams.writerIndex();
            for (int i = datagrams.readerIndex(); i < end; i += segmentSize) {
                send(recipient, datagrams.retainedSlice(i, Math.min(segmentSize, end - i)));
            }
        } finally {
            datagrams.release();
        }
    }

    /**
     * Sets the handler of inbound datagrams, replacing any earlier one. Called once by the node
     * at start, before the first datagram is expected.
     */
    void receive(DatagramHandler handler);

    /** Closes the socket and releases the port. Idempotent. */
    Mono<Void> close();
}
