package io.reactivecarrier.benchmarks;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** A UDP relay on loopback between two endpoints that drops, duplicates, reorders and corrupts datagrams. */
final class FaultyRelay implements AutoCloseable {

    /** Fault probabilities and the seed of their random source. */
    static final class Faults {
        final double loss;
        final double dup;
        final double reorder;
        final double corrupt;
        final SplittableRandom random;
        long dropped;
        long duplicated;
        long reordered;
        long corrupted;

        Faults(double loss, double dup, double reorder, double corrupt, long seed) {
            this.loss = loss;
            this.dup = dup;
            this.reorder = reorder;
            this.corrupt = corrupt;
            this.random = new SplittableRandom(seed);
        }
    }

    final UdpTransport socket;
    final Faults faults;
    final InetSocketAddress a;
    final InetSocketAddress b;

    private FaultyRelay(UdpTransport socket, Faults faults, InetSocketAddress a, InetSocketAddress b) {
        this.socket = socket;
        this.faults = faults;
        this.a = a;
        this.b = b;
        socket.receive(this::onDatagram);
    }

    static FaultyRelay start(Faults faults, InetSocketAddress a, InetSocketAddress b) {
        UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)
                .receiveBufferSize(8 << 20).sendBufferSize(8 << 20)).block(Duration.ofSeconds(30));
        return new FaultyRelay(t, faults, a, b);
    }

    InetSocketAddress address() {
        return socket.localAddress();
    }

    private void onDatagram(InetSocketAddress sender, ByteBuf data) {
        InetSocketAddress to = sender.equals(a) ? b : sender.equals(b) ? a : null;
        if (to == null) {
            return;
        }
        SplittableRandom r = faults.random;
        if (r.nextDouble() < faults.loss) {
            faults.dropped++;
            return;
        }
        int copies = r.nextDouble() < faults.dup ? 2 : 1;
        if (copies == 2) {
            faults.duplicated++;
        }
        for (int i = 0; i < copies; i++) {
            ByteBuf c = data.copy();
            if (r.nextDouble() < faults.corrupt) {
                faults.corrupted++;
                int at = c.readerIndex() + r.nextInt(c.readableBytes());
                c.setByte(at, c.getByte(at) ^ (1 + r.nextInt(255)));
            }
            if (r.nextDouble() < faults.reorder) {
                faults.reordered++;
                long delay = 100_000 + r.nextLong(2_000_000);
                socket.scheduler().schedule(() -> socket.send(to, c), delay, TimeUnit.NANOSECONDS);
            } else {
                socket.send(to, c);
            }
        }
    }

    @Override
    public void close() {
        socket.close().block(Duration.ofSeconds(30));
    }
}
