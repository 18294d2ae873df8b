package io.reactivecarrier.benchmarks;

import com.barchart.udt.SocketUDT;
import com.barchart.udt.TypeUDT;
import io.jpower.kcp.netty.ChannelOptionHelper;
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
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.ice4j.pseudotcp.PseudoTcpSocket;
import org.ice4j.pseudotcp.PseudoTcpSocketFactory;

/**
 * The UDT, KCP and ice4j PseudoTCP peers of {@code stream}/{@code stream-compare}: each moves
 * {@code bytes} in {@code payload}-byte writes over loopback UDP, one writer and one reader, none
 * of them encrypted. Same JSON shape as the carrier and TCP results.
 */
final class StreamPeers {

    private StreamPeers() {
    }

    interface Transfer {
        /** Moves {@code bytes}; returns the seconds it took. */
        double run(long bytes, int payload) throws Exception;
    }

    static Json measure(String peer, Transfer t, long bytes, int payload, long warmup) throws Exception {
        if (warmup > 0) {
            t.run(Math.min(bytes, warmup), payload);
        }
        long cpu0 = StreamBenchmarks.cpuNanos();
        double seconds = t.run(bytes, payload);
        long cpu = StreamBenchmarks.cpuNanos() - cpu0;
        return Json.object().put("scenario", "stream").put("peer", peer).put("mode", "reliable")
                .put("encrypted", false).put("bytes", bytes).put("payload", payload)
                .put("mb_per_s", bytes / seconds / 1e6).put("cpu_s_per_gb", cpu / 1e9 / (bytes / 1e9))
                .put("retransmit_ratio", Double.NaN);
    }

    static byte[] template(int payload) {
        byte[] b = new byte[payload];
        new Random(1).nextBytes(b);
        return b;
    }

    // ================================================================== UDT (barchart-udt, JNI)

    static Json udt(long bytes, int payload) throws Exception {
        return measure("udt", StreamPeers::udtRun, bytes, payload, 32L << 20);
    }

    static double udtRun(long bytes, int payload) throws Exception {
        SocketUDT server = new SocketUDT(TypeUDT.STREAM);
        server.setBlocking(true);
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        server.listen(1);
        InetSocketAddress at = server.getLocalSocketAddress();
        CompletableFuture<Long> got = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                SocketUDT c = server.accept();
                c.setBlocking(true);
                byte[] buf = new byte[64 << 10];
                long n = 0;
                while (n < bytes) {
                    int r = c.receive(buf);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                got.complete(n);
                c.close();
            } catch (Throwable e) {
                got.completeExceptionally(e);
            }
        }, "udt-reader");
        reader.setDaemon(true);
        reader.start();
        SocketUDT client = new SocketUDT(TypeUDT.STREAM);
        client.setBlocking(true);
        client.connect(at);
        byte[] chunk = template(payload);
        long t0 = System.nanoTime();
        long sent = 0;
        while (sent < bytes) {
            int n = (int) Math.min(payload, bytes - sent);
            int off = 0;
            while (off < n) {
                int w = client.send(chunk, off, n);
                if (w <= 0) {
                    throw new IllegalStateException("UDT send returned " + w);
                }
                off += w;
            }
            sent += n;
        }
        long n = got.get(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - t0) / 1e9;
        client.close();
        server.close();
        if (n != bytes) {
            throw new IllegalStateException("UDT delivered " + n + " of " + bytes + " bytes");
        }
        return seconds;
    }

    // ================================================================== KCP (kcp-netty)

    static Json kcp(long bytes, int payload) throws Exception {
        // kcp-netty 1.5.0 is compiled against Netty 4.1, where AbstractNioChannel.eventLoop() returns
        // NioEventLoop; Netty 4.2 returns EventLoop, so its channels fail on the event loop with
        // NoSuchMethodError (and the transfer would just hang). Say so instead of hanging.
        boolean linkable = false;
        for (java.lang.reflect.Method m : UkcpServerChannel.class.getMethods()) {
            if (m.getName().equals("eventLoop") && m.getParameterCount() == 0
                    && m.getReturnType().getName().equals("io.netty.channel.nio.NioEventLoop")) {
                linkable = true;
            }
        }
        if (!linkable) {
            throw new UnsupportedOperationException("kcp-netty 1.5.0 is binary-incompatible with Netty 4.2 (this project uses 4.2.15.Final)"
                    + ": NoSuchMethodError 'io.netty.channel.nio.NioEventLoop UkcpServerChannel.eventLoop()' "
                    + "(built for Netty 4.1; needs a Netty 4.1 classpath of its own)");
        }
        @SuppressWarnings("deprecation") EventLoopGroup group = new io.netty.channel.nio.NioEventLoopGroup(2); // kcp-netty 1.5 wants NioEventLoop
        try {
            return measure("kcp", (b, p) -> kcpRun(group, b, p), bytes, payload, 16L << 20)
                    .put("settings", "nodelay, interval 10 ms, fast resend 2, no cwnd, mtu 1400, windows 1024");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    static double kcpRun(EventLoopGroup group, long bytes, int payload) throws Exception {
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
                });
            }
        });
        ChannelOptionHelper.nodelay(sb, true, 10, 2, true)
                .childOption(UkcpChannelOption.UKCP_MTU, 1400)
                .childOption(UkcpChannelOption.UKCP_RCV_WND, 1024)
                .childOption(UkcpChannelOption.UKCP_SND_WND, 1024);
        Channel server = sb.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        InetSocketAddress at = (InetSocketAddress) server.localAddress();
        byte[] chunk = template(payload);
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
                .option(UkcpChannelOption.UKCP_MTU, 1400)
                .option(UkcpChannelOption.UKCP_RCV_WND, 1024)
                .option(UkcpChannelOption.UKCP_SND_WND, 1024);
        long t0 = System.nanoTime();
        Channel client = cb.connect(at).sync().channel();
        try {
            done.get(10, TimeUnit.MINUTES);
        } finally {
            client.close().sync();
            server.close().sync();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    // ================================================================== ice4j PseudoTCP

    static Json pseudotcp(long bytes, int payload) throws Exception {
        return measure("pseudotcp", StreamPeers::pseudotcpRun, bytes, payload, 0)
                .put("settings", "ice4j PseudoTcpSocket, MTU 1500, default windows");
    }

    static double pseudotcpRun(long bytes, int payload) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        PseudoTcpSocketFactory f = new PseudoTcpSocketFactory();
        DatagramSocket sd = new DatagramSocket(new InetSocketAddress(lo, 0));
        DatagramSocket cd = new DatagramSocket(new InetSocketAddress(lo, 0));
        PseudoTcpSocket server = f.createSocket(sd);
        PseudoTcpSocket client = f.createSocket(cd);
        CompletableFuture<Long> got = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                server.accept(30_000);
                InputStream in = server.getInputStream();
                byte[] buf = new byte[64 << 10];
                long n = 0;
                while (n < bytes) {
                    int r = in.read(buf);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                got.complete(n);
            } catch (Throwable e) {
                got.completeExceptionally(e);
            }
        }, "pseudotcp-reader");
        reader.setDaemon(true);
        reader.start();
        client.connect(new InetSocketAddress(lo, sd.getLocalPort()), 30_000);
        byte[] chunk = template(payload);
        long t0 = System.nanoTime();
        OutputStream out = client.getOutputStream();
        long sent = 0;
        while (sent < bytes) {
            int n = (int) Math.min(payload, bytes - sent);
            out.write(chunk, 0, n);
            sent += n;
        }
        out.flush();
        long n = got.get(30, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - t0) / 1e9;
        client.close();
        server.close();
        sd.close();
        cd.close();
        if (n != bytes) {
            throw new IllegalStateException("PseudoTCP delivered " + n + " of " + bytes + " bytes");
        }
        return seconds;
    }
}
