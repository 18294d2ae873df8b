package io.reactivecarrier.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.resources.LoopResources;
import reactor.netty.udp.UdpServer;

/**
 * A {@link DatagramTransport} on a real UDP socket, built on Reactor Netty's {@link UdpServer}.
 *
 * <h2>Event loop</h2>
 * Each transport owns a dedicated {@link LoopResources} with exactly one event loop (native epoll
 * when available and {@linkplain UdpTransportOptions#preferNative asked for}, NIO otherwise). A UDP
 * socket is served by one event loop anyway, and a dedicated one makes the node's confinement
 * thread obvious, keeps one busy node from delaying another in the same JVM, and lets
 * {@link #close()} release the socket and the thread together. Many transports in one JVM may
 * instead share {@linkplain UdpTransportOptions#loopResources caller-owned loops}.
 *
 * <h2>Reading</h2>
 * The socket is read at full speed: a Netty handler installed before Reactor Netty's bridge calls
 * the {@link DatagramHandler} directly on the event loop and releases the datagram after the
 * call. Reactor's inbound backpressure is never involved.
 *
 * <h2>Writing</h2>
 * {@link #send} may be called from any thread; the write happens on the event loop. Flushes are
 * coalesced: the first write of an event-loop turn schedules one flush task behind the tasks
 * already queued, so a burst of sends (for example every reply to one read batch) costs one flush.
 * A turn that writes more than the outbound buffer allows flushes early; if the kernel still does
 * not take the datagram, it is dropped and counted ({@code reason=backpressure}), never buffered
 * without bound.
 *
 * <h2>Segmentation offload</h2>
 * On the native epoll transport, where the kernel supports it and
 * {@linkplain UdpTransportOptions#segmentationOffload the options} allow it (the default),
 * {@link #sendSegments} writes a batch of equal-size datagrams as one
 * {@link io.netty.channel.epoll.SegmentedDatagramPacket} (UDP GSO: one {@code sendmsg} for up to
 * {@value #MAX_GSO_SEGMENTS} datagrams and {@value #MAX_GSO_BYTES} bytes; the kernel, or the network
 * card, cuts it into datagrams), and the socket has {@code UDP_GRO} on (the kernel hands over
 * several datagrams of one flow in one read, which Netty splits back into datagrams before the
 * handler sees them). Elsewhere, and after the first failed GSO write (counted as
 * {@code reason=gso_error}), a batch leaves as one datagram per segment. The wire is the same.
 *
 * <pre>{@code
 * UdpTransport transport = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0))
 *         .block(Duration.ofSeconds(5));
 * transport.receive(PacketRouter.create(registry));
 * log.info("bound {} (native epoll: {})", transport.localAddress(), transport.isNative());
 * transport.close().block();
 * }</pre>
 */
public final class UdpTransport implements DatagramTransport {

    private static final Logger log = LoggerFactory.getLogger(UdpTransport.class);

    private final Connection connection;
    private final Channel channel;
    private final EventLoop eventLoop;
    private final LoopResources loops;
    private final Scheduler scheduler;
    private final InetSocketAddress localAddress;
    private final int maxDatagramSize;
    private final TransportMeters meters;
    /** Event-loop confined after construction: UDP GSO is used for batches (turned off after a failed write). */
    private volatile boolean gso;
    private final boolean gro;
    private final Reader reader;
    private final Runnable flushTask = this::flushNow;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Mono<Void> onClose;
    /** Event-loop confined: a flush task is queued. */
    private boolean flushScheduled;
    /**
     * Event-loop confined: single datagrams of this turn to {@link #runTo}, all of
     * {@link #runSegment} bytes but perhaps the last, held back to leave as one GSO write.
     */
    private final java.util.ArrayList<ByteBuf> run = new java.util.ArrayList<>();
    private InetSocketAddress runTo;
    private int runSegment;
    private int runBytes;
    /** The run's last datagram is shorter than the others: nothing more can join it. */
    private boolean runClosed;

    private UdpTransport(Connection connection, LoopResources loops, Reader reader, UdpTransportOptions options) {
        this.connection = connection;
        this.channel = connection.channel();
        this.eventLoop = channel.eventLoop();
        this.loops = loops;
        this.reader = reader;
        this.maxDatagramSize = options.maxDatagramSize();
        this.meters = reader.meters;
        this.scheduler = Schedulers.fromExecutorService(eventLoop, "carrier-udp");
        this.localAddress = (InetSocketAddress) channel.localAddress();
        boolean epoll = options.segmentationOffload() && !(channel instanceof io.netty.channel.socket.nio.NioDatagramChannel)
                && Epoll.isAvailable() && channel instanceof EpollDatagramChannel;
        this.gso = epoll && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
        this.gro = epoll && enableGro((EpollDatagramChannel) channel);
        this.onClose = connection.onDispose()
                .then(loops == null ? Mono.empty() : loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)))
                .onErrorResume(e -> Mono.empty())
                .cache();
    }

    /** Largest number of datagrams in one GSO write (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    static final int MAX_GSO_SEGMENTS = 64;
    /** Largest GSO write in bytes: the UDP payload limit of IPv4 and IPv6 with room to spare. */
    static final int MAX_GSO_BYTES = 65_000;
    /** Receive buffer with GRO on: one coalesced read holds up to 64 KiB. */
    private static final int GRO_READ_BUFFER = 65_536;

    private static boolean enableGro(EpollDatagramChannel channel) {
        try {
            channel.config().setUdpGro(true);
            return channel.config().isUdpGro();
        } catch (RuntimeException unsupported) {
            log.debug("UDP_GRO is not available on this kernel", unsupported);
            return false;
        }
    }

    /**
     * Binds a UDP socket. The Mono completes with the bound transport (see {@link #localAddress()}
     * for the real port) or fails when the address cannot be bound.
     */
    public static Mono<UdpTransport> bind(UdpTransportOptions options) {
        Objects.requireNonNull(options, "options");
        return Mono.defer(() -> {
            boolean owned = options.loopResources() == null;
            LoopResources loops = owned ? LoopResources.create("carrier-udp", 1, true) : options.loopResources();
            Reader reader = new Reader(new TransportMeters(options.meterRegistry()), options.maxDatagramSize());
            boolean groPossible = options.segmentationOffload() && options.preferNative() && Epoll.isAvailable();
            return UdpServer.create()
                    .host(options.host())
                    .port(options.port())
                    .runOn(loops, options.preferNative())
                    .option(ChannelOption.SO_RCVBUF, options.receiveBufferSize())
                    .option(ChannelOption.SO_SNDBUF, options.sendBufferSize())
                    // writes of one event-loop turn wait for the coalesced flush: let a turn queue up to the send buffer size
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(options.sendBufferSize() / 2, options.sendBufferSize()))
                    // one byte more than the limit, so an oversized datagram is seen (and dropped) rather than truncated
                    // (with GRO a read may hold several datagrams of one flow: then always 64 KiB)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(groPossible
                            ? GRO_READ_BUFFER : Math.min(options.maxDatagramSize() + 1, GRO_READ_BUFFER)))
                    .doOnBound(conn -> {
                        conn.addHandlerLast("carrier.datagramReader", reader);
                        // Reactor Netty turns auto-read off until someone subscribes to inbound.receive();
                        // nobody does: the reader above consumes every datagram at full speed
                        conn.channel().config().setAutoRead(true);
                    })
                    .bind()
                    .<UdpTransport>map(conn -> new UdpTransport(conn, owned ? loops : null, reader, options))
                    .onErrorResume(e -> (owned ? loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)) : Mono.<Void>empty())
                            .onErrorResume(x -> Mono.empty())
                            .then(Mono.error(e)));
        })
                // creating and binding a socket are system calls, and the JDK reads net.properties on first use
                .subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /**
     * The socket's event loop as a Reactor {@link Scheduler}: tasks and timers run on the event loop,
     * and {@code now()} is the wall clock. Do not dispose it: {@link #close()} owns the loop.
     */
    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public ByteBufAllocator alloc() {
        return channel.alloc();
    }

    /** Test hook: the socket's allocator from now on. */
    void allocatorForTest(ByteBufAllocator allocator) {
        channel.config().setAllocator(allocator);
    }

    /** Whether the socket runs on the native epoll transport. */
    public boolean isNative() {
        return !(channel instanceof io.netty.channel.socket.nio.NioDatagramChannel);
    }

    /**
     * Whether {@link #sendSegments} uses UDP GSO (native epoll, a kernel with {@code UDP_SEGMENT},
     * {@link UdpTransportOptions#segmentationOffload} on, and no failed GSO write so far).
     */
    public boolean isSegmentationOffload() {
        return gso;
    }

    /** Whether the socket reads with UDP GRO (several datagrams of one flow per read, split before the handler). */
    public boolean isReceiveOffload() {
        return gro;
    }

    /** The socket's event loop (tests). */
    EventLoop eventLoop() {
        return eventLoop;
    }

    @Override
    public void send(InetSocketAddress recipient, ByteBuf data) {
        Objects.requireNonNull(recipient, "recipient");
        int size = data.readableBytes();
        if (size > maxDatagramSize) {
            data.release();
            meters.droppedOversized.increment();
            return;
        }
        if (closed.get()) {
            data.release();
            meters.droppedClosed.increment();
            return;
        }
        if (eventLoop.inEventLoop()) {
            write(recipient, data);
        } else {
            try {
                eventLoop.execute(() -> write(recipient, data));
            } catch (RuntimeException rejected) {
                data.release();
                meters.droppedClosed.increment();
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>With {@linkplain #isSegmentationOffload GSO} the batch leaves in writes of at most
     * {@value #MAX_GSO_SEGMENTS} datagrams and {@value #MAX_GSO_BYTES} bytes, one {@code sendmsg}
     * each; without, one datagram per segment. A segment larger than the transport's limit drops
     * the batch (counted as oversized, one per segment).
     */
    @Override
    public void sendSegments(InetSocketAddress recipient, ByteBuf datagrams, int segmentSize) {
        Objects.requireNonNull(recipient, "recipient");
        Segments.check(datagrams, segmentSize);
        int size = datagrams.readableBytes();
        if (size <= segmentSize) {
            send(recipient, datagrams);
            return;
        }
        int segments = (size + segmentSize - 1) / segmentSize;
        if (segmentSize > maxDatagramSize) {
            datagrams.release();
            meters.droppedOversized.increment(segments);
            return;
        }
        if (closed.get()) {
            datagrams.release();
            meters.droppedClosed.increment(segments);
            return;
        }
        if (eventLoop.inEventLoop()) {
            writeSegments(recipient, datagrams, segmentSize);
        } else {
            try {
                eventLoop.execute(() -> writeSegments(recipient, datagrams, segmentSize));
            } catch (RuntimeException rejected) {
                datagrams.release();
                meters.droppedClosed.increment(segments);
            }
        }
    }

    private void writeSegments(InetSocketAddress recipient, ByteBuf datagrams, int segmentSize) {
        emitRun(); // datagrams sent before this batch leave before it
        try {
            int i = datagrams.readerIndex();
            int end = datagrams.writerIndex();
            int perWrite = gso ? Math.max(1, Math.min(MAX_GSO_SEGMENTS, MAX_GSO_BYTES / segmentSize)) : 1;
            while (i < end) {
                int n = Math.min(perWrite * segmentSize, end - i);
                write(recipient, datagrams.retainedSlice(i, n), n > segmentSize ? segmentSize : 0);
                i += n;
            }
        } finally {
            datagrams.release();
        }
    }

    /**
     * One datagram. With GSO, consecutive datagrams of one turn to the same recipient and of the
     * same size (the last may be shorter) are gathered and leave together at the flush, as one GSO
     * write: one trip through the kernel's stack instead of one per datagram, and on the
     * receiving side one GRO read. A message service sending a burst of equal frames to a friend
     * is the typical case.
     */
    private void write(InetSocketAddress recipient, ByteBuf data) {
        if (!gso) {
            write(recipient, data, 0);
            return;
        }
        int size = data.readableBytes();
        if (!run.isEmpty() && (runClosed || size > runSegment || run.size() >= MAX_GSO_SEGMENTS
                || runBytes + size > MAX_GSO_BYTES || !recipient.equals(runTo))) {
            emitRun();
        }
        if (run.isEmpty()) {
            runTo = recipient;
            runSegment = size;
            runBytes = 0;
            runClosed = false;
        }
        run.add(data);
        runBytes += size;
        runClosed = size < runSegment;
        if (!flushScheduled) {
            flushScheduled = true;
            eventLoop.execute(flushTask);
        }
    }

    /**
     * Writes the gathered run: one datagram as it is, several as one GSO write. The run is empty
     * afterwards whatever happens: when its buffer cannot be allocated (Netty's allocator can throw
     * an Error) its datagrams are dropped and counted ({@code reason=error}), as UDP may drop them;
     * a run kept with its buffers released would fail every later run of the socket.
     */
    private void emitRun() {
        int n = run.size();
        if (n == 0) {
            return;
        }
        InetSocketAddress to = runTo;
        runTo = null;
        if (n == 1) {
            ByteBuf only = run.get(0);
            run.clear();
            write(to, only, 0);
            return;
        }
        ByteBuf all = null;
        try {
            all = channel.alloc().directBuffer(runBytes);
            for (ByteBuf b : run) {
                all.writeBytes(b);
            }
        } catch (RuntimeException | Error e) {
            if (all != null) {
                all.release();
                all = null;
            }
            meters.droppedError.increment(n);
            log.warn("{}: {} datagrams to {} dropped: {}", localAddress, n, to, e.toString());
            reactor.core.Exceptions.throwIfJvmFatal(e); // after the finally below: the run is empty either way
        } finally {
            run.forEach(ByteBuf::release);
            run.clear();
        }
        if (all != null) {
            write(to, all, runSegment);
        }
    }

    /** Writes one datagram ({@code segmentSize} 0) or one GSO batch of datagrams of {@code segmentSize} bytes. */
    private void write(InetSocketAddress recipient, ByteBuf data, int segmentSize) {
        int size = data.readableBytes();
        int datagrams = segmentSize == 0 ? 1 : (size + segmentSize - 1) / segmentSize;
        if (!channel.isActive()) {
            data.release();
            meters.droppedClosed.increment(datagrams);
            return;
        }
        if (channel.bytesBeforeUnwritable() < size) {
            // too much written in this turn: push it to the kernel now instead of waiting for the flush task
            channel.flush();
            if (channel.bytesBeforeUnwritable() < size) {
                // the kernel send buffer and Netty's outbound buffer are full: UDP may drop, so drop here
                data.release();
                meters.droppedBackpressure.increment(datagrams);
                return;
            }
        }
        if (segmentSize == 0) {
            channel.write(new DatagramPacket(data, recipient), channel.voidPromise());
        } else {
            meters.gsoWrites.increment();
            channel.write(new io.netty.channel.epoll.SegmentedDatagramPacket(data, segmentSize, recipient),
                    channel.newPromise().addListener(f -> {
                        if (!f.isSuccess()) {
                            gsoFailed(f.cause(), datagrams);
                        }
                    }));
        }
        meters.packetsSent.increment(datagrams);
        meters.bytesSent.increment(size);
        if (!flushScheduled) {
            flushScheduled = true;
            eventLoop.execute(flushTask);
        }
    }

    /** A GSO write failed (a kernel or device without UDP segmentation): its datagrams are lost, later batches go one by one. */
    private void gsoFailed(Throwable cause, int datagrams) {
        meters.droppedGsoError.increment(datagrams);
        if (gso) {
            gso = false;
            log.info("UDP GSO write failed on {}; sending one datagram per packet from now on: {}", localAddress,
                    String.valueOf(cause));
        }
    }

    private void flushNow() {
        flushScheduled = false;
        emitRun();
        channel.flush();
    }

    @Override
    public void receive(DatagramHandler handler) {
        reader.handler = Objects.requireNonNull(handler, "handler");
    }

    @Override
    public Mono<Void> close() {
        if (closed.compareAndSet(false, true)) {
            try {
                eventLoop.execute(this::dropRun); // after the flush task already queued, if any
            } catch (RuntimeException rejected) {
                // the loop is gone: nothing of the run can be sent any more, and its buffers go with the loop
            }
            connection.dispose();
        }
        return onClose;
    }

    private void dropRun() {
        if (!run.isEmpty()) {
            meters.droppedClosed.increment(run.size());
            run.forEach(ByteBuf::release);
            run.clear();
        }
    }

    @Override
    public String toString() {
        return "UdpTransport[" + localAddress + (isNative() ? ", epoll" : ", nio") + (gso ? ", gso" : "")
                + (gro ? ", gro" : "") + "]";
    }

    /** Calls the handler on the event loop for each datagram and releases it afterwards. */
    @io.netty.channel.ChannelHandler.Sharable
    static final class Reader extends ChannelInboundHandlerAdapter {

        final TransportMeters meters;
        final int maxDatagramSize;
        volatile DatagramHandler handler;

        Reader(TransportMeters meters, int maxDatagramSize) {
            this.meters = meters;
            this.maxDatagramSize = maxDatagramSize;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket packet)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                ByteBuf content = packet.content();
                int size = content.readableBytes();
                if (size > maxDatagramSize) {
                    meters.droppedOversized.increment();
                    return;
                }
                meters.packetsReceived.increment();
                meters.bytesReceived.increment(size);
                DatagramHandler h = handler;
                if (h == null) {
                    meters.droppedNoHandler.increment();
                    return;
                }
                h.onDatagram(packet.sender(), content);
            } catch (Throwable t) {
                meters.droppedHandlerError.increment();
                log.debug("datagram handler failed", t);
            } finally {
                packet.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable and the like: UDP is unreliable, the protocols above retry
            log.debug("UDP channel error", cause);
        }
    }
}
