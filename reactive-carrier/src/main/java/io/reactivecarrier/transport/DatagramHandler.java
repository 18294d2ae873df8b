package io.reactivecarrier.transport;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * Receives the inbound datagrams of a {@link DatagramTransport}, on the transport's scheduler.
 * The buffer is borrowed: it is released after the call returns unless the handler retains it.
 */
@FunctionalInterface
public interface DatagramHandler {

    void onDatagram(InetSocketAddress sender, ByteBuf data);
}
