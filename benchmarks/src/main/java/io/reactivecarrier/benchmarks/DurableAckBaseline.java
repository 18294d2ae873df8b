package io.reactivecarrier.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The floor under the messages benchmark's latency on this machine: the least any design can do
 * that acknowledges a message only once the receiver has it on disk. Plain datagrams on loopback
 * (no encryption, no store, no thread hand-offs), one receiving thread that drains what arrived,
 * appends it to a preallocated file (overwritten in a ring, like the store's recycled log
 * segments), forces it with {@code fdatasync} and acknowledges the batch: a group commit. The
 * sender keeps at most {@code concurrency} messages between send and acknowledgement, as the
 * messages benchmark does, and the latency runs from the send to the end of the force (where the
 * messages benchmark's receiver hands a message to {@code incoming()}).
 *
 * <p>It also times every force: the disk's stalls are what this loop's tail is made of, and they
 * hold up every message in flight at once.
 */
final class DurableAckBaseline {

    /** Bytes of the ring file the receiver overwrites (as the store's log segments are recycled). */
    private static final long RING = 64L << 20;

    private DurableAckBaseline() {
    }

    /** Measured: latency from send to durable at the receiver, and the forces' durations. */
    record Result(int count, double msgsPerS, Stats latencyMs, Stats forceMs, long forcesOver3Ms, boolean complete) {
        Json json() {
            return Json.object().put("count", count).put("msgs_per_s", msgsPerS)
                    .put("latency_ms_p50", latencyMs.percentile(50)).put("latency_ms_p90", latencyMs.percentile(90))
                    .put("latency_ms_p99", latencyMs.percentile(99)).put("latency_ms_p999", latencyMs.percentile(99.9))
                    .put("forces", forceMs.count()).put("force_ms_p50", forceMs.percentile(50))
                    .put("force_ms_p99", forceMs.percentile(99)).put("force_ms_max", forceMs.percentile(100))
                    .put("forces_over_3ms", forcesOver3Ms).put("complete", complete);
        }
    }

    /**
     * Sends {@code warmup} then {@code count} messages of {@code size} bytes (at least 16) with at
     * most {@code concurrency} unacknowledged, the receiver's file in {@code dir}; measures the
     * second part.
     */
    static Result run(Path dir, int warmup, int count, int size, int concurrency) throws IOException, InterruptedException {
        if (size < 16 || concurrency < 1 || count < 1) {
            throw new IllegalArgumentException("size >= 16, concurrency >= 1 and count >= 1, got " + size + ", "
                    + concurrency + ", " + count);
        }
        Files.createDirectories(dir);
        Path file = dir.resolve("baseline.ring");
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (DatagramChannel rx = DatagramChannel.open(); DatagramChannel tx = DatagramChannel.open();
                FileChannel ring = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
            // room for every message in flight, so loopback drops none
            rx.setOption(StandardSocketOptions.SO_RCVBUF, Math.max(1 << 20, 4 * concurrency * (size + 64)));
            tx.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            rx.bind(new InetSocketAddress(loopback, 0));
            tx.bind(new InetSocketAddress(loopback, 0));
            tx.connect(rx.getLocalAddress());
            preallocate(ring);
            Receiver receiver = new Receiver(rx, ring, size, warmup);
            Thread rt = new Thread(receiver, "baseline-receiver");
            rt.setDaemon(true);
            rt.start();
            Semaphore inFlight = new Semaphore(concurrency);
            AtomicBoolean done = new AtomicBoolean();
            Thread acks = new Thread(() -> readAcks(tx, inFlight, done), "baseline-acks");
            acks.setDaemon(true);
            acks.start();
            try {
                boolean complete = send(tx, 0, warmup, size, inFlight, concurrency);
                long start = System.nanoTime();
                complete &= send(tx, warmup, warmup + count, size, inFlight, concurrency);
                double seconds = (receiver.lastDurableAt - start) / 1e9;
                return new Result(count, complete ? count / seconds : Double.NaN, receiver.latency, receiver.forces,
                        receiver.over3Ms, complete);
            } finally {
                done.set(true);
                receiver.stop = true;
                rx.close();
                tx.close();
                rt.join(5000);
                acks.join(5000);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Writes the ring file once and forces it, so later writes change no block allocation or size. */
    private static void preallocate(FileChannel ring) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        for (long at = 0; at < RING; at += zeros.capacity()) {
            zeros.clear();
            while (zeros.hasRemaining()) {
                ring.write(zeros, at + zeros.position());
            }
        }
        ring.force(true);
    }

    /** Sends messages {@code from} to {@code to}, then waits for every acknowledgement; false if one never came. */
    private static boolean send(DatagramChannel tx, int from, int to, int size, Semaphore inFlight, int concurrency)
            throws IOException, InterruptedException {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        for (int i = from; i < to; i++) {
            if (!inFlight.tryAcquire(30, TimeUnit.SECONDS)) {
                return false; // a datagram was lost on loopback: the loop cannot close
            }
            b.clear();
            b.putLong(0, i).putLong(8, System.nanoTime());
            tx.write(b);
        }
        if (!inFlight.tryAcquire(concurrency, 30, TimeUnit.SECONDS)) {
            return false;
        }
        inFlight.release(concurrency);
        return true;
    }

    /** Each acknowledgement carries how many messages one force made durable. */
    private static void readAcks(DatagramChannel tx, Semaphore inFlight, AtomicBoolean done) {
        ByteBuffer ack = ByteBuffer.allocateDirect(64);
        while (!done.get()) {
            try {
                ack.clear();
                tx.receive(ack);
                if (ack.position() >= 4) {
                    inFlight.release(ack.getInt(0));
                }
            } catch (IOException closed) {
                return;
            }
        }
    }

    /** Drains, appends, forces, acknowledges: one thread, no hand-offs. */
    private static final class Receiver implements Runnable {
        private final DatagramChannel rx;
        private final FileChannel ring;
        private final int size;
        private final int measureFrom;
        final Stats latency = new Stats();
        final Stats forces = new Stats();
        volatile long over3Ms;
        volatile long lastDurableAt;
        volatile boolean stop;

        Receiver(DatagramChannel rx, FileChannel ring, int size, int measureFrom) {
            this.rx = rx;
            this.ring = ring;
            this.size = size;
            this.measureFrom = measureFrom;
        }

        @Override
        public void run() {
            ByteBuffer batch = ByteBuffer.allocateDirect(4 << 20);
            ByteBuffer one = ByteBuffer.allocateDirect(size + 64);
            ByteBuffer ack = ByteBuffer.allocateDirect(4);
            long[] index = new long[(4 << 20) / size + 1];
            long[] sentAt = new long[index.length];
            long at = 0;
            try (Selector selector = Selector.open()) {
                rx.configureBlocking(false);
                rx.register(selector, SelectionKey.OP_READ);
                while (!stop) {
                    Drained r = drain(one, batch, index, sentAt);
                    if (r.count == 0) {
                        selector.select(100);
                        selector.selectedKeys().clear();
                        continue;
                    }
                    batch.flip();
                    if (at + batch.remaining() > RING) {
                        at = 0;
                    }
                    while (batch.hasRemaining()) {
                        at += ring.write(batch, at);
                    }
                    long f0 = System.nanoTime();
                    ring.force(false);
                    long durable = System.nanoTime();
                    boolean measuring = false;
                    for (int i = 0; i < r.count; i++) {
                        if (index[i] >= measureFrom) {
                            latency.add((durable - sentAt[i]) / 1e6);
                            measuring = true;
                        }
                    }
                    if (measuring) {
                        double ms = (durable - f0) / 1e6;
                        forces.add(ms);
                        if (ms > 3) {
                            over3Ms++;
                        }
                        lastDurableAt = durable;
                    }
                    ack.clear();
                    ack.putInt(0, r.count);
                    rx.send(ack, r.from);
                }
            } catch (IOException closed) {
                // stopped
            }
        }

        /** How many datagrams one drain took, and from whom (the sender to acknowledge). */
        private record Drained(SocketAddress from, int count) {
        }

        /** Everything the socket holds now (as much as the batch buffer takes), copied into {@code batch}. */
        private Drained drain(ByteBuffer one, ByteBuffer batch, long[] index, long[] sentAt)
                throws IOException {
            batch.clear();
            SocketAddress from = null;
            int n = 0;
            while (n < index.length && batch.remaining() >= size) {
                one.clear();
                SocketAddress f = rx.receive(one);
                if (f == null) {
                    break;
                }
                from = f;
                one.flip();
                index[n] = one.getLong(0);
                sentAt[n] = one.getLong(8);
                n++;
                batch.put(one);
            }
            return new Drained(from, n);
        }
    }
}
