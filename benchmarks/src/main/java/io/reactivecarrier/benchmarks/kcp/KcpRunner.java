package io.reactivecarrier.benchmarks.kcp;

import io.jpower.kcp.netty.ChannelOptionHelper;
import io.jpower.kcp.netty.KcpMetric;
import io.jpower.kcp.netty.UkcpChannelOption;
import io.jpower.kcp.netty.UkcpClientChannel;
import io.jpower.kcp.netty.UkcpServerChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.UkcpServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The KCP pair of {@code stream}/{@code stream-compare}, run inside an isolated class loader that
 * holds kcp-netty 1.5.0 and its own Netty 4.1 jars (kcp-netty is binary-incompatible with the
 * Netty 4.2 of the rest of the process). It must reference nothing but the JDK, Netty 4.1 and
 * kcp-netty: the loader defines this package from the benchmark jar and everything else from
 * those jars. The caller reaches it by reflection through {@link #run(long, int, int)}.
 */
public final class KcpRunner {

    /** KCP's usual "fast" mode (as in kcptun's fast profiles), said in the benchmark JSON. */
    public static final String SETTINGS = "nodelay 1, interval 10 ms, resend 2, nc 1 (no congestion window), "
            + "mtu 1400, message mode, snd/rcv windows %d segments, UDP buffers 8 MiB, Netty %s NIO";

    private KcpRunner() {
    }

    /**
     * Moves {@code bytes} from a KCP client to a KCP server on loopback in {@code payload}-byte writes.
     *
     * @return {seconds, segments the sender sent first, segments it retransmitted after a timeout}
     */
    public static double[] run(long bytes, int payload, int window) throws Exception {
        EventLoopGroup group = new io.netty.channel.nio.NioEventLoopGroup(2);
        try {
            return run(group, bytes, payload, window);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The Netty version this class was loaded with (proves the isolation). */
    public static String nettyVersion() {
        Package p = io.netty.channel.Channel.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        if (v == null) {
            java.util.Map<String, io.netty.util.Version> versions = io.netty.util.Version.identify(KcpRunner.class.getClassLoader());
            io.netty.util.Version t = versions.get("netty-transport");
            v = t == null ? "?" : t.artifactVersion();
        }
        return v;
    }

    private static double[] run(EventLoopGroup group, long bytes, int payload, int window) throws Exception {
        AtomicLong received = new AtomicLong();
        CompletableFuture<Void> done = new CompletableFuture<>();
        UkcpServerBootstrap sb = new UkcpServerBootstrap();
        sb.group(group).channel(UkcpServerChannel.class).childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        long n = received.addAndGet(((ByteBuf) msg).readableBytes());
                        ReferenceCountUtil.release(msg);
                        if (n >= bytes) {
                            done.complete(null);
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        done.completeExceptionally(cause);
                    }
                });
            }
        });
        ChannelOptionHelper.nodelay(sb, true, 10, 2, true)
                .option(ChannelOption.SO_RCVBUF, 8 << 20)
                .option(ChannelOption.SO_SNDBUF, 8 << 20)
                .childOption(UkcpChannelOption.UKCP_MTU, 1400)
                .childOption(UkcpChannelOption.UKCP_RCV_WND, window)
                .childOption(UkcpChannelOption.UKCP_SND_WND, window);
        Channel server = sb.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        InetSocketAddress at = (InetSocketAddress) server.localAddress();
        byte[] chunk = new byte[payload];
        new Random(1).nextBytes(chunk);
        AtomicLong sent = new AtomicLong();
        Bootstrap cb = new Bootstrap();
        cb.group(group).channel(UkcpClientChannel.class).handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                pump(ctx);
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                pump(ctx);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                done.completeExceptionally(cause);
            }

            void pump(ChannelHandlerContext ctx) {
                while (ctx.channel().isWritable() && sent.get() < bytes) {
                    int n = (int) Math.min(payload, bytes - sent.get());
                    ctx.write(Unpooled.wrappedBuffer(chunk, 0, n));
                    sent.addAndGet(n);
                }
                ctx.flush();
            }
        });
        ChannelOptionHelper.nodelay(cb, true, 10, 2, true)
                .option(ChannelOption.SO_RCVBUF, 8 << 20)
                .option(ChannelOption.SO_SNDBUF, 8 << 20)
                .option(UkcpChannelOption.UKCP_MTU, 1400)
                .option(UkcpChannelOption.UKCP_RCV_WND, window)
                .option(UkcpChannelOption.UKCP_SND_WND, window);
        long t0 = System.nanoTime();
        Channel client = cb.connect(at).sync().channel();
        double[] out;
        try {
            done.get(10, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            KcpMetric m = metric(client);
            out = new double[] {seconds, m == null ? Double.NaN : m.sndNxt(), m == null ? Double.NaN : m.xmit()};
        } finally {
            client.close().sync();
            server.close().sync();
        }
        return out;
    }

    /** The sender's KCP counters (kcp-netty keeps them private: UkcpClientChannel.ukcp.kcp.metric). */
    private static KcpMetric metric(Channel client) {
        try {
            Field uf = UkcpClientChannel.class.getDeclaredField("ukcp");
            uf.setAccessible(true);
            Object ukcp = uf.get(client);
            Field kf = ukcp.getClass().getDeclaredField("kcp");
            kf.setAccessible(true);
            Object kcp = kf.get(ukcp);
            java.lang.reflect.Method gm = kcp.getClass().getDeclaredMethod("getMetric");
            gm.setAccessible(true);
            return (KcpMetric) gm.invoke(kcp);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
