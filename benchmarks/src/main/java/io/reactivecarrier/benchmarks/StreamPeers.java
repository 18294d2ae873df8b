package io.reactivecarrier.benchmarks;

import com.barchart.udt.SocketUDT;
import com.barchart.udt.TypeUDT;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    /**
     * kcp-netty 1.5.0 is compiled against Netty 4.1 (its channels call {@code NioEventLoop
     * eventLoop()}, which Netty 4.2 no longer has), so it runs in a class loader of its own:
     * kcp-netty and Netty 4.1 jars that the build copies to {@code target/kcp-lib} (next to the
     * benchmark jar), with the platform class loader as parent so the process's Netty 4.2 stays
     * out of sight. {@link io.reactivecarrier.benchmarks.kcp.KcpRunner} is defined in that loader
     * from the benchmark jar's bytes.
     */
    static Json kcp(long bytes, int payload, int window) throws Exception {
        Class<?> runner = KcpLoader.runner();
        java.lang.reflect.Method run = runner.getMethod("run", long.class, int.class, int.class);
        String netty = (String) runner.getMethod("nettyVersion").invoke(null);
        double[][] last = new double[1][];
        Json j = measure("kcp", (b, p) -> {
            try {
                last[0] = (double[]) run.invoke(null, b, p, window);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause() instanceof Exception ex ? ex : new RuntimeException(e.getCause());
            }
            return last[0][0];
        }, bytes, payload, 16L << 20);
        double segments = last[0][1];
        double rtoRetransmits = last[0][2];
        return j.put("retransmit_ratio", segments > 0 ? rtoRetransmits / segments : Double.NaN)
                .put("retransmit_ratio_note", "timeout retransmits only: kcp-netty does not count fast resends")
                .put("segments_sent", segments).put("rto_retransmits", rtoRetransmits)
                .put("settings", String.format(java.util.Locale.ROOT,
                        (String) runner.getField("SETTINGS").get(null), window, netty))
                .put("isolation", "kcp-netty 1.5.0 + Netty " + netty + " in an isolated class loader ("
                        + KcpLoader.libDir() + ")");
    }

    /** The isolated class loader of the KCP peer. */
    static final class KcpLoader extends java.net.URLClassLoader {
        private static final String PACKAGE = "io.reactivecarrier.benchmarks.kcp.";
        private static volatile Class<?> runner;

        static {
            registerAsParallelCapable();
        }

        private KcpLoader(java.net.URL[] urls) {
            super("kcp-netty41", urls, ClassLoader.getPlatformClassLoader());
        }

        static synchronized Class<?> runner() throws Exception {
            if (runner == null) {
                java.nio.file.Path dir = libDir();
                if (!java.nio.file.Files.isDirectory(dir)) {
                    throw new IllegalStateException("no " + dir + ": build with ./mvnw -B -DskipTests package "
                            + "(it copies kcp-netty and its Netty 4.1 jars there) or set -Dcarrier.kcp.lib=DIR");
                }
                java.util.List<java.net.URL> urls = new java.util.ArrayList<>();
                try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
                    for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) s.sorted()::iterator) {
                        if (p.toString().endsWith(".jar")) {
                            urls.add(p.toUri().toURL());
                        }
                    }
                }
                runner = Class.forName(PACKAGE + "KcpRunner", true, new KcpLoader(urls.toArray(new java.net.URL[0])));
            }
            return runner;
        }

        /** {@code -Dcarrier.kcp.lib}, else {@code kcp-lib} beside the benchmark jar (or beside target/classes). */
        static java.nio.file.Path libDir() {
            String prop = System.getProperty("carrier.kcp.lib");
            if (prop != null) {
                return java.nio.file.Path.of(prop);
            }
            try {
                java.nio.file.Path code = java.nio.file.Path.of(
                        StreamPeers.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                return code.getParent().resolve("kcp-lib");
            } catch (Exception e) {
                return java.nio.file.Path.of("benchmarks", "target", "kcp-lib");
            }
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (name.startsWith(PACKAGE)) {
                String resource = name.replace('.', '/') + ".class";
                try (java.io.InputStream in = StreamPeers.class.getClassLoader().getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new ClassNotFoundException(name);
                    }
                    byte[] b = in.readAllBytes();
                    return defineClass(name, b, 0, b.length);
                } catch (java.io.IOException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }
            return super.findClass(name);
        }
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
