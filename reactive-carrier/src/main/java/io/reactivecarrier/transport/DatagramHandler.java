package io.reactivecarrier.transport;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * Receives the inbound datagrams of a {@link DatagramTransport}, on the transport's scheduler.
 * The buffer is borrowed: it is released after the call returns unless the handler retains it.
 *
 * <pre>{@code
 * transport.receive((sender, data) -> log.debug("{} bytes from {}", data.readableBytes(), sender));
 * // keep a datagram beyond the call: retain it (and release it later)
 * transport.receive((sender, data) -> queue.offer(data.retain()));
 * }</pre>
 */
@FunctionalInterface
public interface DatagramHandler {

    void onDatagram(InetSocketAddress sender, ByteBuf data);
}
