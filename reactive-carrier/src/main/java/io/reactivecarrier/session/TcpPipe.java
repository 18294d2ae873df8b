package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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

    /** Marks the peer's FIN in the inbound flux (ALLOW_HALF_CLOSURE turns it into an event, not a close). */
    static final ByteBuf EOF = Unpooled.unreleasableBuffer(Unpooled.directBuffer(0, 0));

    private TcpPipe() {
    }

    /** Installs the half-close marker on a fresh TCP channel (before Reactor Netty's bridge). */
    static void install(io.netty.channel.Channel ch) {
        ch.pipeline().addFirst("carrier.halfClose", new HalfClose());
    }

    static final class HalfClose extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.fireChannelRead(EOF);
                return;
            }
            super.userEventTriggered(ctx, evt);
        }
    }

    /**
     * Moves bytes until both directions ended (or one failed, or nothing moved for {@code idle});
     * never fails: a failure resets the TCP connection and closes the channel with the reason.
     */
    static Mono<Void> pipe(Connection tcp, Channel ch, Duration idle, String label) {
        AtomicLong last = new AtomicLong(System.nanoTime());
        Flux<ByteBuf> fromTcp = tcp.inbound().receive().handle((b, sink) -> {
            if (b == EOF) {
                sink.complete();
            } else {
                last.set(System.nanoTime());
                sink.next(b.retain());
            }
        });
        Mono<Void> up = ch.send(fromTcp);
        Mono<Void> down = tcp.outbound().send(ch.receive().doOnNext(b -> last.set(System.nanoTime())))
                .then()
                .then(Mono.fromRunnable(() -> shutdownOutput(tcp)));
        IdleWatch idleWatch = new IdleWatch(tcp.channel().eventLoop(), last, idle);
        return Mono.when(up, down)
                .or(idleWatch.expired())
                .doFinally(sig -> idleWatch.stop())
                .doOnSuccess(v -> Mono.delay(LINGER).then(ch.close("done")).subscribe(x -> { }, x -> { }))
                .onErrorResume(e -> {
                    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
                    if (e instanceof StreamException || e instanceof java.io.IOException || e instanceof TimeoutException) {
                        log.warn("{}: connection closed: {}", label, reason);
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

    static void shutdownOutput(Connection tcp) {
        if (tcp.channel() instanceof DuplexChannel d && d.isActive()) {
            d.shutdownOutput();
        }
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
