package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An in-process UDP proxy on loopback between two endpoints that passes every datagram through
 * {@link Faults}: loss, duplication, reordering, corruption, delay, blackholes. Point each side's
 * contact for the other at {@link #address()}.
 */
final class FaultProxy implements AutoCloseable {

    final UdpTransport socket;
    /** The socket the proxy forwards from: after {@link #rebind()} a new one (a NAT that moved the mapping). */
    volatile UdpTransport out;
    final java.util.List<UdpTransport> extra = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Faults faults;
    volatile InetSocketAddress a;
    volatile InetSocketAddress b;
    volatile long forwarded;

    private FaultProxy(UdpTransport socket, Faults faults) {
        this.socket = socket;
        this.out = socket;
        this.faults = faults;
        socket.receive(this::onDatagram);
    }

    /**
     * From now on forwards from a new socket (a new port), as a NAT does when it drops a mapping:
     * each side sees the other's packets come from a new address. The old socket keeps
     * forwarding what still arrives there.
     */
    void rebind() {
        UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)
                .receiveBufferSize(8 << 20).sendBufferSize(8 << 20)).block(Duration.ofSeconds(30));
        t.receive(this::onDatagram);
        extra.add(t);
        out = t;
    }

    static FaultProxy start(Faults faults) {
        UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)
                .receiveBufferSize(8 << 20).sendBufferSize(8 << 20)).block(Duration.ofSeconds(30));
        return new FaultProxy(t, faults);
    }

    /** The two endpoints whose datagrams the proxy carries to each other. */
    FaultProxy between(InetSocketAddress first, InetSocketAddress second) {
        this.a = first;
        this.b = second;
        return this;
    }

    InetSocketAddress address() {
        return socket.localAddress();
    }

    private void onDatagram(InetSocketAddress sender, ByteBuf data) {
        InetSocketAddress to = sender.equals(a) ? b : sender.equals(b) ? a : null;
        if (to == null) {
            return;
        }
        forwarded++;
        UdpTransport via = out;
        for (Faults.Delivery d : faults.apply(data.retain())) {
            if (d.delayNanos() == 0) {
                via.send(to, d.packet());
            } else {
                via.scheduler().schedule(() -> via.send(to, d.packet()), d.delayNanos(), TimeUnit.NANOSECONDS);
            }
        }
    }

    @Override
    public void close() {
        socket.close().block(Duration.ofSeconds(30));
        extra.forEach(t -> t.close().block(Duration.ofSeconds(30)));
    }
}
