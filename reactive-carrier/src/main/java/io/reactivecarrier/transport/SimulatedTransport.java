package io.reactivecarrier.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * One node of a {@link SimulatedNetwork}: a {@link DatagramTransport} whose datagrams travel
 * through the network's queue and whose scheduler is the network's (virtual-time) scheduler.
 * Confined to that scheduler's thread, like the whole network.
 *
 * <pre>{@code
 * SimulatedTransport node = network.addNode();
 * node.receive((sender, data) -> received.add(sender));
 * node.send(peer.localAddress(), node.alloc().buffer().writeBytes(payload));
 * network.kill(node.localAddress());   // node.isAlive() is now false
 * }</pre>
 */
public final class SimulatedTransport implements DatagramTransport {

    private final SimulatedNetwork network;
    final InetSocketAddress address;
    final int id;
    DatagramHandler handler;
    boolean alive = true;
    boolean closed;
    long txFreeAt;

    SimulatedTransport(SimulatedNetwork network, InetSocketAddress address, int id) {
        this.network = network;
        this.address = address;
        this.id = id;
    }

    /** The network this node belongs to. */
    public SimulatedNetwork network() {
        return network;
    }

    @Override
    public InetSocketAddress localAddress() {
        return address;
    }

    @Override
    public Scheduler scheduler() {
        return network.scheduler();
    }

    @Override
    public ByteBufAllocator alloc() {
        return network.alloc();
    }

    @Override
    public void send(InetSocketAddress recipient, ByteBuf data) {
        Objects.requireNonNull(recipient, "recipient");
        network.send(this, recipient, data);
    }

    @Override
    public void receive(DatagramHandler handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    /** Whether the node is running (not {@linkplain SimulatedNetwork#kill killed} and not closed). */
    public boolean isAlive() {
        return alive && !closed;
    }

    /** Releases the address: datagrams in flight to it are dropped, a new node may take it. */
    @Override
    public Mono<Void> close() {
        return Mono.fromRunnable(() -> {
            if (!closed) {
                closed = true;
                alive = false;
                network.closed(this);
            }
        });
    }

    @Override
    public String toString() {
        return "SimulatedTransport[" + address + (isAlive() ? "" : ", down") + "]";
    }
}
