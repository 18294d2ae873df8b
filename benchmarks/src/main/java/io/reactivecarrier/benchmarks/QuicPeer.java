package io.reactivecarrier.benchmarks;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.io.File;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;

/**
 * The Netty QUIC peer of {@code stream-compare}: one bidirectional stream on loopback, the client
 * writing {@code payload}-byte buffers while the stream is writable, the server counting bytes.
 * TLS 1.3 with AES-GCM (quiche's default suite), a throwaway self-signed certificate from keytool.
 */
final class QuicPeer {

    private QuicPeer() {
    }

    static Json run(long bytes, int payload) throws Exception {
        KeyManagerFactory kmf = selfSigned();
        transfer(kmf, Math.min(bytes, 64L << 20), payload); // warm-up
        long cpu0 = StreamBenchmarks.cpuNanos();
        double seconds = transfer(kmf, bytes, payload);
        long cpu = StreamBenchmarks.cpuNanos() - cpu0;
        return Json.object().put("scenario", "stream").put("peer", "quic").put("mode", "reliable")
                .put("encrypted", true).put("bytes", bytes).put("payload", payload)
                .put("mb_per_s", bytes / seconds / 1e6).put("cpu_s_per_gb", cpu / 1e9 / (bytes / 1e9))
                .put("retransmit_ratio", Double.NaN).put("transport", Epoll.isAvailable() ? "epoll" : "nio");
    }

    static double transfer(KeyManagerFactory kmf, long bytes, int payload) throws Exception {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends Channel> udp = epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
        try {
            AtomicLong received = new AtomicLong();
            CompletableFuture<Void> done = new CompletableFuture<>();
            QuicSslContext serverSsl = QuicSslContextBuilder.forServer(kmf, "benchpass").applicationProtocols("bench").build();
            ChannelHandler serverCodec = new QuicServerCodecBuilder().sslContext(serverSsl)
                    .maxIdleTimeout(30, TimeUnit.SECONDS)
                    .initialMaxData(64L << 20)
                    .initialMaxStreamDataBidirectionalLocal(16L << 20)
                    .initialMaxStreamDataBidirectionalRemote(16L << 20)
                    .initialMaxStreamsBidirectional(10)
                    .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
                    .handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                        @Override
                        protected void initChannel(QuicStreamChannel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    if (msg instanceof ByteBuf b) {
                                        if (received.addAndGet(b.readableBytes()) >= bytes) {
                                            done.complete(null);
                                        }
                                    }
                                    ReferenceCountUtil.release(msg);
                                }
                            });
                        }
                    })
                    .build();
            Channel server = new Bootstrap().group(serverGroup).channel(udp).handler(serverCodec)
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            QuicSslContext clientSsl = QuicSslContextBuilder.forClient()
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).applicationProtocols("bench").build();
            ChannelHandler clientCodec = new QuicClientCodecBuilder().sslContext(clientSsl)
                    .maxIdleTimeout(30, TimeUnit.SECONDS)
                    .initialMaxData(64L << 20)
                    .initialMaxStreamDataBidirectionalLocal(16L << 20)
                    .initialMaxStreamDataBidirectionalRemote(16L << 20)
                    .build();
            Channel client = new Bootstrap().group(clientGroup).channel(udp).handler(clientCodec)
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            QuicChannel quic = QuicChannel.newBootstrap(client)
                    .handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new ChannelInboundHandlerAdapter())
                    .remoteAddress(server.localAddress())
                    .connect().get(30, TimeUnit.SECONDS);
            byte[] template = new byte[payload];
            new Random(1).nextBytes(template);
            long t0 = System.nanoTime();
            Writer writer = new Writer(bytes, payload, template);
            QuicStreamChannel stream = quic.createStream(QuicStreamType.BIDIRECTIONAL, writer).get(30, TimeUnit.SECONDS);
            stream.eventLoop().execute(() -> writer.pump(stream));
            done.get(10, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            quic.close().sync();
            client.close().sync();
            server.close().sync();
            return seconds;
        } finally {
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Writes while the stream is writable, resumes when it becomes writable again. */
    static final class Writer extends ChannelInboundHandlerAdapter {
        final long bytes;
        final int payload;
        final byte[] template;
        long sent;

        Writer(long bytes, int payload, byte[] template) {
            this.bytes = bytes;
            this.payload = payload;
            this.template = template;
        }

        void pump(Channel ch) {
            while (sent < bytes && ch.isWritable()) {
                int n = (int) Math.min(payload, bytes - sent);
                ch.write(Unpooled.wrappedBuffer(template, 0, n), ch.voidPromise());
                sent += n;
            }
            ch.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                pump(ctx.channel());
            }
            ctx.fireChannelWritabilityChanged();
        }
    }

    /** A throwaway self-signed RSA certificate made by the JDK's keytool. */
    static KeyManagerFactory selfSigned() throws Exception {
        Path dir = Files.createTempDirectory("quic-bench");
        File ks = dir.resolve("bench.p12").toFile();
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "bench", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.getPath(),
                "-storepass", "benchpass", "-keypass", "benchpass").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("keytool failed to make a certificate");
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks)) {
            store.load(in, "benchpass".toCharArray());
        }
        ks.delete();
        dir.toFile().delete();
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "benchpass".toCharArray());
        return kmf;
    }
}
