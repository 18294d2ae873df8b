package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;

/**
 * Joins one TCP connection and one {@link Channel}: bytes both ways with backpressure (a TCP read
 * waits for the channel's demand, which follows the peer's credit), FIN as the end of a channel
 * direction and back, errors and resets as a channel close with the reason, and back as a reset.
 */
final class TcpPipe {

    private static final Logger log = LoggerFactory.getLogger(TcpPipe.class);

    /** How long a channel whose both directions ended stays open so the peer sees its last ACKs. */
    static final Duration LINGER = Duration.ofSeconds(5);

    /** Installs the reader on a fresh TCP channel, before Reactor Netty's bridge (which then sees no data). */
    static void install(io.netty.channel.Channel ch) {
        ch.pipeline().addFirst("carrier.source", new TcpSource(ch));
    }

    /**
     * Reads the TCP connection itself: buffers go to one subscriber through a bounded queue, and
     * reading stops (auto-read off) while {@value #PAUSE_AT} buffers wait for demand. The peer's
     * FIN (half-closure allowed) completes the flux; a reset or an error fails it.
     */
    static final class TcpSource extends ChannelInboundHandlerAdapter {
        static final int PAUSE_AT = 16;
        final io.netty.channel.Channel channel;
        final reactor.core.publisher.Sinks.Many<ByteBuf> sink =
                reactor.core.publisher.Sinks.many().unicast().onBackpressureBuffer(reactor.util.concurrent.Queues.<ByteBuf>get(256).get());
        final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
        volatile boolean paused;
        boolean done;

        TcpSource(io.netty.channel.Channel channel) {
            this.channel = channel;
        }

        /** The bytes read; subscribing turns reading on (Reactor Netty's bridge turned auto-read off). */
        Flux<ByteBuf> flux() {
            return sink.asFlux().doOnSubscribe(s -> channel.eventLoop().execute(() -> {
                if (!paused) {
                    channel.config().setAutoRead(true);
                    channel.read();
                }
            })).doOnNext(b -> {
                if (waiting.decrementAndGet() < PAUSE_AT / 2 && paused) {
                    channel.eventLoop().execute(this::unpause);
                }
            });
        }

        private void unpause() {
            if (paused && waiting.get() < PAUSE_AT / 2) {
                paused = false;
                channel.config().setAutoRead(true);
                channel.read();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf b) || done) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            if (waiting.incrementAndGet() >= PAUSE_AT && !paused) {
                paused = true;
                channel.config().setAutoRead(false);
            }
            if (sink.tryEmitNext(b).isFailure()) {
                b.release();
                waiting.decrementAndGet();
                fail(new java.io.IOException("TCP read overflowed its queue"));
                channel.close();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent) {
                finish();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            finish();
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
        }

        private void finish() {
            if (!done) {
                done = true;
                sink.tryEmitComplete();
            }
        }

        private void fail(Throwable e) {
            if (!done) {
                done = true;
                sink.tryEmitError(e);
            }
        }
    }

    /**
     * Moves bytes until both directions ended (or one failed, or nothing moved for {@code idle});
     * never fails: a failure resets the TCP connection and closes the channel with the reason.
     */
    static Mono<Void> pipe(Connection tcp, Channel ch, Duration idle, String label) {
        AtomicLong last = new AtomicLong(System.nanoTime());
        TcpSource source = tcp.channel().pipeline().get(TcpSource.class);
        if (source == null) {
            return Mono.error(new IllegalStateException("TcpPipe.install was not called on " + tcp.channel()));
        }
        Flux<ByteBuf> fromTcp = source.flux().doOnNext(b -> last.set(System.nanoTime()))
                .doOnDiscard(ByteBuf.class, io.netty.util.ReferenceCountUtil::safeRelease);
        Mono<Void> up = ch.send(fromTcp);
        Mono<Void> down = tcp.outbound().send(ch.receive().doOnNext(b -> last.set(System.nanoTime())))
                .then()
                .then(Mono.defer(() -> shutdownOutput(tcp)));
        IdleWatch idleWatch = new IdleWatch(tcp.channel().eventLoop(), last, idle);
        return Mono.when(up, down)
                .or(idleWatch.expired())
                .doFinally(sig -> idleWatch.stop())
                .doOnSuccess(v -> Mono.delay(LINGER).then(ch.close("done")).subscribe(x -> { }, x -> { }))
                .onErrorResume(e -> {
                    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
                    if (e instanceof StreamException) {
                        // the stream ended (closed by either side, or the friend went away): routine
                        log.debug("{}: connection closed: {}", label, reason);
                    } else if (e instanceof java.io.IOException || e instanceof TimeoutException) {
                        log.info("{}: connection closed: {}", label, reason);
                    } else {
                        log.warn("{}: connection closed: {}", label, reason, e);
                    }
                    reset(tcp);
                    return ch.close(reason).onErrorResume(x -> Mono.empty());
                });
    }

    /**
     * Fails when nothing moved for the idle timeout; timers on the TCP connection's event loop
     * (cancelling a Reactor interval from an event loop would take a lock).
     */
    static final class IdleWatch {
        final io.netty.channel.EventLoop loop;
        final AtomicLong last;
        final Duration idle;
        final reactor.core.publisher.Sinks.Empty<Void> expired = reactor.core.publisher.Sinks.empty();
        volatile java.util.concurrent.Future<?> timer;
        volatile boolean stopped;

        IdleWatch(io.netty.channel.EventLoop loop, AtomicLong last, Duration idle) {
            this.loop = loop;
            this.last = last;
            this.idle = idle;
        }

        Mono<Void> expired() {
            return expired.asMono().doOnSubscribe(s -> arm(idle.toNanos()));
        }

        private void arm(long delayNanos) {
            if (!stopped) {
                timer = loop.schedule(this::check, Math.max(delayNanos, 1_000_000), java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }

        private void check() {
            long quiet = System.nanoTime() - last.get();
            if (quiet >= idle.toNanos()) {
                expired.tryEmitError(new TimeoutException("no byte either way for " + idle));
            } else {
                arm(idle.toNanos() - quiet);
            }
        }

        void stop() {
            stopped = true;
            java.util.concurrent.Future<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    /**
     * Sends FIN after everything written before it: shutting the output down at once would drop
     * writes still queued in the channel, so an empty write goes first and the FIN follows it.
     */
    static Mono<Void> shutdownOutput(Connection tcp) {
        io.netty.channel.Channel c = tcp.channel();
        return Mono.create(sink -> c.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(written -> {
            if (c instanceof DuplexChannel d && d.isActive() && !d.isOutputShutdown()) {
                d.shutdownOutput().addListener(done -> sink.success());
            } else {
                sink.success();
            }
        }));
    }

    /** Closes with RST (SO_LINGER 0) so the TCP peer sees a reset, as it would have from the far end. */
    static void reset(Connection tcp) {
        io.netty.channel.Channel c = tcp.channel();
        c.eventLoop().execute(() -> {
            if (c.isOpen()) {
                try {
                    c.config().setOption(ChannelOption.SO_LINGER, 0);
                } catch (RuntimeException ignored) {
                    // closes normally then
                }
                c.close();
            }
        });
    }
}
