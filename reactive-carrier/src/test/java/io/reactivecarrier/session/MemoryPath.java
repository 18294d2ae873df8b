package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.reactivecarrier.link.PathType;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Scheduler;

/** One end of an in-memory path between two stream connections, each on its own scheduler, through {@link Faults}. */
final class MemoryPath implements StreamPath {

    final Scheduler scheduler;
    final Faults faults;
    MemoryPath peer;
    volatile StreamConnection connection;
    volatile ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    long sent;

    MemoryPath(Scheduler scheduler, Faults faults) {
        this.scheduler = scheduler;
        this.faults = faults;
    }

    static void connect(MemoryPath a, MemoryPath b) {
        a.peer = b;
        b.peer = a;
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    public void send(ByteBuf packet) {
        sent++;
        for (Faults.Delivery d : faults.apply(packet)) {
            MemoryPath to = peer;
            Runnable task = () -> {
                try {
                    StreamConnection c = to.connection;
                    if (c != null) {
                        c.onPacket(d.packet());
                    }
                } finally {
                    d.packet().release();
                }
            };
            try {
                if (d.delayNanos() == 0) {
                    to.scheduler.schedule(task);
                } else {
                    to.scheduler.schedule(task, d.delayNanos(), TimeUnit.NANOSECONDS);
                }
            } catch (RuntimeException gone) {
                d.packet().release();
            }
        }
    }

    @Override
    public TransportInfo info() {
        return new TransportInfo(PathType.DIRECT, new InetSocketAddress("127.0.0.1", 1),
                new InetSocketAddress("127.0.0.1", 2), false, false, 0);
    }
}
