package io.reactivecarrier.benchmarks;

import io.reactivecarrier.session.PortForwarding;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code forward} scenario: two carrier nodes on loopback UDP, a port forwarding from one to
 * a TCP service of the other, {@code --connections} concurrent TCP connections each uploading
 * {@code --bytes} pseudo-random bytes; the service answers each with the SHA-256 of what it got,
 * so {@code intact} is true when every connection arrived byte-exact. With {@code --iperf3 true}
 * (default) it also runs iperf3 over plain loopback and through a forwarding (installing iperf3
 * with apt-get when missing and running as root).
 */
final class ForwardBenchmarks {

    static final Duration TIMEOUT = Duration.ofMinutes(15);

    private ForwardBenchmarks() {
    }

    static void register(Map<String, Scenario> scenarios) {
        scenarios.put("forward", ForwardBenchmarks::forward);
    }

    static Json forward(Args args) throws Exception {
        int connections = args.integer("connections", 100);
        long bytes = args.longValue("bytes", 10L << 20);
        boolean iperf = Boolean.parseBoolean(args.string("iperf3", "true"));
        int iperfSeconds = args.integer("iperf3-seconds", 5);
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "forward-bench");
            t.setDaemon(true);
            return t;
        });
        try (StreamBenchmarks.Pair pair = StreamBenchmarks.Pair.create(null);
                ServerSocket service = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress())) {
            threads.submit(() -> hashService(service, threads));
            PortForwarding serving = PortForwarding.create(pair.b.sessions)
                    .addService("hash", "127.0.0.1", service.getLocalPort());
            PortForwarding client = PortForwarding.create(pair.a.sessions);
            PortForwarding.Forwarding f = client.forward(pair.b.id(), "hash",
                    new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
            InetSocketAddress at = f.localAddress();
            upload(at, Math.min(bytes, 8L << 20), 0, threads); // warm-up
            long t0 = System.nanoTime();
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                int seed = i + 1;
                results.add(threads.submit(() -> upload(at, bytes, seed, threads)));
            }
            int intact = 0;
            for (Future<Boolean> r : results) {
                if (r.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    intact++;
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Json out = Json.object().put("scenario", "forward").put("connections", connections).put("bytes", bytes)
                    .put("intact_connections", intact)
                    .put("seconds", Math.round(seconds * 100) / 100.0);
            if (iperf) {
                iperf3(pair, serving, client, iperfSeconds, out);
            }
            client.close().block(TIMEOUT);
            serving.close().block(TIMEOUT);
            return out.put("intact", intact == connections)
                    .put("mb_per_s", Math.round(connections * (double) bytes / seconds / 1e6 * 10) / 10.0);
        } finally {
            threads.shutdownNow();
        }
    }

    /** Reads each connection to its end and answers with the SHA-256 of what arrived. */
    static Void hashService(ServerSocket server, ExecutorService threads) throws IOException {
        while (!server.isClosed()) {
            Socket s = server.accept();
            threads.submit(() -> {
                try (s) {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[64 << 10];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        md.update(buf, 0, n);
                    }
                    s.getOutputStream().write(md.digest());
                    s.shutdownOutput();
                } catch (IOException e) {
                    System.err.println("hash service: " + e);
                }
                return null;
            });
        }
        return null;
    }

    /** Uploads {@code bytes}, half-closes, and compares the service's SHA-256 with its own. */
    static boolean upload(InetSocketAddress to, long bytes, int seed, ExecutorService threads) throws Exception {
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            s.setSoTimeout((int) TIMEOUT.toMillis());
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            Random r = new Random(seed);
            byte[] chunk = new byte[64 << 10];
            OutputStream out = s.getOutputStream();
            for (long left = bytes; left > 0; ) {
                r.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                md.update(chunk, 0, n);
                left -= n;
            }
            s.shutdownOutput();
            byte[] answer = s.getInputStream().readAllBytes();
            boolean ok = MessageDigest.isEqual(answer, md.digest());
            if (!ok) {
                System.err.println("connection " + seed + ": the service answered " + answer.length + " bytes, not the expected SHA-256");
            }
            return ok;
        }
    }

    // ================================================================== iperf3

    static void iperf3(StreamBenchmarks.Pair pair, PortForwarding serving, PortForwarding client, int seconds,
            Json out) {
        try {
            String bin = findOrInstall();
            if (bin == null) {
                out.put("iperf3", "not installed (apt-get install -y iperf3 as root)");
                return;
            }
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            Process server = new ProcessBuilder(bin, "-s", "-B", "127.0.0.1", "-p", String.valueOf(port))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                Thread.sleep(500); // let the iperf3 server bind (an external process: nothing to wait on)
                out.put("iperf3_loopback_mbit_s", iperfClient(bin, port, seconds));
                serving.addService("iperf3", "127.0.0.1", port);
                PortForwarding.Forwarding f = client.forward(pair.b.id(), "iperf3",
                        new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
                out.put("iperf3_forward_mbit_s", iperfClient(bin, f.localAddress().getPort(), seconds));
                f.close().block(TIMEOUT);
            } finally {
                server.destroy();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            out.put("iperf3", "failed: " + e);
        }
    }

    static String findOrInstall() throws Exception {
        for (String p : new String[] {"/usr/bin/iperf3", "/usr/local/bin/iperf3"}) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return null;
        }
        Process p = new ProcessBuilder("apt-get", "install", "-y", "iperf3").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        p.waitFor(5, TimeUnit.MINUTES);
        return Files.isExecutable(Path.of("/usr/bin/iperf3")) ? "/usr/bin/iperf3" : null;
    }

    static double iperfClient(String bin, int port, int seconds) throws Exception {
        Process c = new ProcessBuilder(bin, "-c", "127.0.0.1", "-p", String.valueOf(port), "-t", String.valueOf(seconds),
                "-J").redirectErrorStream(true).start();
        String json = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        c.waitFor(seconds + 60L, TimeUnit.SECONDS);
        int end = json.indexOf("\"sum_received\"");
        Matcher m = Pattern.compile("\"bits_per_second\":\\s*([0-9.eE+]+)").matcher(json);
        if (end < 0 || !m.find(end)) {
            throw new IOException("iperf3 printed no result: " + json.substring(0, Math.min(300, json.length())));
        }
        return Math.round(Double.parseDouble(m.group(1)) / 1e6 * 10) / 10.0;
    }
}
