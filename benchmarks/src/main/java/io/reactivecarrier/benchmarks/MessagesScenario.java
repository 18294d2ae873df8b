package io.reactivecarrier.benchmarks;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.message.Message;
import io.reactivecarrier.message.MessageOptions;
import io.reactivecarrier.message.MsgNode;
import io.reactivecarrier.message.Receipt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code messages --count 100000 --size 1024 [--concurrency 128] [--warmup 100000] [--jvms 2]
 * [--warmup-max-s 180] [--baseline true] [--hiccups false]}:
 * two message nodes on real UDP (loopback), each with its own store; every message goes through
 * the sender's durable outbox, the link and the receiver's hand-out (on arrival under its cursor
 * record's lease, or through its inbox), and back as a receipt. With
 * {@code --jvms 2} (the default) the receiver runs in its own JVM ({@link MessagesChild}), as
 * nodes are deployed: one per process, so that one node's collector does not stop the other; with
 * {@code --jvms 1} both share this one. The sender keeps at most {@code concurrency} messages
 * between {@code enqueue()} and their DELIVERED receipt (a closed loop, as an application that
 * waits for its acknowledgements would), so the latency is what a user sees: from {@code enqueue()}
 * to the receiver's {@code incoming()}, not time spent in a queue the benchmark itself built up.
 *
 * <p>Right after the measurement, in the same run, {@code --baseline true} (the default) measures
 * {@link DurableAckBaseline} with the same count, size and concurrency on the same disk: the floor
 * under the latency of anything that acknowledges a message once it is on the receiver's disk
 * ({@code baseline_durable_ack} in the result). Since the receiver acknowledges on hand-out
 * (session 16), that is a reference point, not a floor under this design.
 */
final class MessagesScenario implements Scenario {

    /** Before the measurement and before every 10th warm-up round: long enough for the ticks' clean-ups. */
    private static final long PAUSE_MS = 1000;

    static MessageOptions options(int window) {
        return MessageOptions.create().window(window).inbox(65_536, 1L << 30).retransmitTimeout(Duration.ofSeconds(2));
    }

    @Override
    public Json run(Args args) throws Exception {
        int count = args.integer("count", 100_000);
        int size = Math.max(16, args.integer("size", 1024));
        // 128 (256 until session 9): by Little's law the mean latency is concurrency / msgs_per_s, so 256 in
        // flight at the goal's 50,000 msgs/s means 5.1 ms on average, over the goal's p99 by construction;
        // 128 is the largest window at which both goals can hold together (2.6 ms mean at 50,000 msgs/s)
        int concurrency = args.integer("concurrency", 128);
        int jvms = args.integer("jvms", 2);
        if (jvms != 1 && jvms != 2) {
            throw new IllegalArgumentException("--jvms is 1 (both nodes in this JVM) or 2 (the receiver in its own)");
        }
        // at least; then until the JIT settles. 100,000: with 20,000 C2 was still recompiling MVStore's
        // MVMap.operate during the measurement (3-8 CPU s of 100,000 messages); reported as warmup_messages
        int warmup = args.integer("warmup", 100_000);
        int window = args.integer("window", 2048);
        double warmupMaxSeconds = args.decimal("warmup-max-s", 180); // then measures, settled or not
        boolean baseline = Boolean.parseBoolean(args.string("baseline", "true"));
        boolean hiccups = Boolean.parseBoolean(args.string("hiccups", "false"));
        ProcessMeters.watchHiccups(hiccups);
        Path dir = Files.createTempDirectory("carrier-messages-bench");
        MsgNode.DhtOnly boot = MsgNode.dhtOnly(List.of());
        MsgNode alice = null;
        Receiver bob = null;
        try {
            alice = MsgNode.start(dir.resolve("alice"), List.of(boot.info()), options(window), 0);
            bob = jvms == 1 ? new InProcess(dir.resolve("bob"), boot, alice, window)
                    : new Child(dir.resolve("bob"), boot, alice, window, hiccups);
            UserId to = bob.id();
            alice.friends.set.add(to);
            alice.links.connect(to).block(MsgNode.T);
            // closed loop: at most `concurrency` messages are between enqueue() and their DELIVERED receipt
            Semaphore inFlight = new Semaphore(concurrency);
            AtomicLong failed = new AtomicLong();
            alice.messages.receipts().subscribe(r -> {
                if (r.status() == Receipt.Status.DELIVERED) {
                    inFlight.release();
                }
            });
            // warm-up (JIT, store files, link) outside the measurement: at least --warmup messages, then on
            // until the JIT settles in both JVMs (compiling MVMap.operate alone takes C2 several CPU seconds),
            // at most --warmup-max-s (180 s).
            // Warm-up and measurement run the same code (a branch first taken when the measurement started
            // deoptimised the compiled receive path then, and the JIT recompiled it during the measured run)
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            long warmStart = System.nanoTime();
            int warmed = 0;
            // the JIT has settled when compiling took under 2 % of the last 5 s in each JVM (until session 10:
            // under 5 % of the last 3 s, in the sender's JVM only, while the receiver's went unchecked)
            java.util.ArrayDeque<long[]> samples = new java.util.ArrayDeque<>(); // {nanoTime, jit ms, receiver's}
            // the measurement starts after a pause (below), and so does every 10th warm-up round: starting
            // from idle takes paths that steady traffic does not (an empty inbox, a tick's clean-up). Without
            // the pauses the JIT deoptimised the receive path when the measurement began and recompiled it
            // during the measured run (0.5-0.9 CPU s of 2-3)
            while (true) {
                if (warmed % 50_000 == 0) {
                    Thread.sleep(PAUSE_MS);
                }
                warmed = warmRound(alice, to, warmed, size, inFlight, concurrency, failed);
                long now = System.nanoTime();
                samples.addLast(new long[] {now, jit.getTotalCompilationTime(), bob.jitMillis()});
                while (samples.size() > 1) { // keeps the newest sample at least 5 s old, and those after it
                    long[] oldest = samples.removeFirst();
                    if (now - samples.peekFirst()[0] < 5e9) {
                        samples.addFirst(oldest);
                        break;
                    }
                }
                long[] first = samples.peekFirst();
                long[] last = samples.peekLast();
                double windowMs = (now - first[0]) / 1e6;
                boolean settled = windowMs >= 5000 && last[1] - first[1] < 0.02 * windowMs
                        && last[2] - first[2] < 0.02 * windowMs;
                if (warmed >= warmup && (settled || System.nanoTime() - warmStart > warmupMaxSeconds * 1e9)) {
                    break;
                }
            }
            double warmSeconds = (System.nanoTime() - warmStart) / 1e9;
            bob.measure(warmed, warmed + count);
            Thread.sleep(PAUSE_MS);
            ProcessMeters meters = new ProcessMeters();
            NodeMeters senderAtStart = NodeMeters.of(alice);
            long start = System.nanoTime();
            sendAll(alice, to, warmed, warmed + count, size, inFlight, failed);
            inFlight.tryAcquire(concurrency, 5, TimeUnit.MINUTES); // every receipt (or 5 minutes: lost is counted below)
            Thread.sleep(1000); // late duplicates would show here
            Map<String, String> r = bob.report();
            long arrived = Long.parseLong(r.get("arrived"));
            long lastAt = Long.parseLong(r.get("lastAt"));
            double seconds = ((arrived == count ? lastAt : System.nanoTime()) - start) / 1e9;
            double receiverCpu = num(r, "cpu_s");
            double cpu = meters.cpuSeconds() + receiverCpu;
            Json threads = Json.object();
            meters.threadCpuSeconds().forEach(threads::put);
            Json receiverThreads = Json.object();
            Json commits = Json.object();
            // each node's commits and fdatasyncs while measuring (a durable commit waits for its node's);
            // the receiver's come from its report
            Json senderStore = Json.object();
            Json receiverStore = Json.object();
            NodeMeters.of(alice).since(senderAtStart).forEach((k, v) -> {
                if (k.startsWith("commit.")) {
                    commits.put(k.substring(7), v);
                } else {
                    senderStore.put(k.substring(6), v);
                }
            });
            r.forEach((k, v) -> {
                if (k.startsWith("thread.")) {
                    receiverThreads.put(k.substring(7), Double.parseDouble(v));
                } else if (k.startsWith("commit.")) {
                    commits.put(k.substring(7), Double.parseDouble(v));
                } else if (k.startsWith("store.")) {
                    receiverStore.put(k.substring(6), Double.parseDouble(v));
                }
            });
            Json out = Json.object().put("scenario", "messages").put("count", count).put("size", size)
                    .put("msgs_per_s", arrived / seconds)
                    .put("latency_ms_p50", num(r, "p50")).put("latency_ms_p99", num(r, "p99"))
                    .put("latency_ms_p90", num(r, "p90")).put("latency_ms_p999", num(r, "p999"))
                    .put("lost", count - arrived).put("duplicated", Long.parseLong(r.get("duplicated")))
                    .put("jvms", jvms).put("concurrency", concurrency).put("send_errors", failed.get())
                    .put("retransmits", count(alice, "carrier.messages.retransmits"))
                    .put("duplicates_dropped", num(r, "duplicates_dropped"))
                    .put("receiver_link_drops", num(r, "link_drops"))
                    .put("receiver_udp_drops", num(r, "udp_drops"))
                    .put("commits", commits)
                    .put("store", Json.object().put("sender", senderStore).put("receiver", receiverStore))
                    .put("seconds", seconds)
                    // CPU of both nodes' processes while measuring (includes the 1 s wait for late duplicates)
                    .put("cpu_s", cpu).put("cpu_us_per_msg", cpu * 1e6 / Math.max(1, arrived))
                    .put("thread_cpu_s", threads)
                    .put("gc_pause_s", meters.gcPauseSeconds() + num(r, "gc_pause_s"))
                    .put("jit_s", meters.jitSeconds()).put("warmup_messages", warmed).put("warmup_s", warmSeconds);
            meters.putHiccups(out::put, "");
            if (jvms == 2) {
                out.put("receiver_cpu_s", receiverCpu).put("receiver_thread_cpu_s", receiverThreads)
                        .put("receiver_gc_pause_s", num(r, "gc_pause_s")).put("receiver_jit_s", num(r, "jit_s"))
                        .put("receiver_hiccups_over_5ms", num(r, "hiccups_over_5ms"))
                        .put("receiver_hiccup_ms_max", num(r, "hiccup_ms_max"))
                        .put("receiver_hiccup_ms_sum", num(r, "hiccup_ms_sum"));
            }
            if (baseline) { // the floor on the same disk, seconds later (the VM's disk stalls come and go within minutes)
                ProcessMeters during = new ProcessMeters(); // includes the baseline's warm-up
                Json floor = DurableAckBaseline.run(dir.resolve("baseline"), Math.min(warmup, 100_000), count, size,
                        concurrency).json(); // after this JVM's CPU, GC and JIT were read above
                during.putHiccups(floor::put, "");
                out.put("baseline_durable_ack", floor);
            }
            return out;
        } finally {
            if (bob != null) {
                bob.close();
            }
            if (alice != null) {
                alice.stop();
            }
            boot.stop();
            deleteQuietly(dir); // two stores of about 2 KiB per message each
        }
    }

    private static double num(Map<String, String> r, String key) {
        return Double.parseDouble(r.getOrDefault(key, "0"));
    }

    /** The receiving node. */
    private interface Receiver extends AutoCloseable {
        UserId id();

        /** Measures messages {@code from} (inclusive) to {@code to} from now on. */
        void measure(int from, int to) throws IOException;

        /** Milliseconds its JVM spent compiling so far (0 in this JVM: the sender's figure holds it). */
        long jitMillis() throws IOException;

        /** What {@link MessagesChild} reports: arrivals, latency and, in its own JVM, CPU, GC and JIT. */
        Map<String, String> report() throws IOException;

        @Override
        void close();
    }

    /** The receiving node in this JVM. */
    private static final class InProcess implements Receiver {
        private final MsgNode node;
        private final Arrivals arrivals = new Arrivals();
        private NodeMeters atMeasure;

        InProcess(Path dir, MsgNode.DhtOnly boot, MsgNode sender, int window) {
            node = MsgNode.start(dir, List.of(boot.info()), options(window), 0, sender.userId());
            node.messages.incoming().subscribe((Message m) -> arrivals.arrived(m.body(), System.nanoTime()));
        }

        @Override
        public UserId id() {
            return node.userId();
        }

        @Override
        public void measure(int from, int to) {
            arrivals.measure(from, to);
            atMeasure = NodeMeters.of(node);
        }

        @Override
        public long jitMillis() {
            return 0;
        }

        @Override
        public Map<String, String> report() {
            return receiverReport(node, arrivals, null, atMeasure); // CPU, GC and JIT are this JVM's, measured by run()
        }

        @Override
        public void close() {
            node.stop();
        }
    }

    /** The receiving node in its own JVM ({@link MessagesChild}), with this JVM's options. */
    private static final class Child implements Receiver {
        private final Process process;
        private final BufferedReader out;
        private final PrintStream in;
        private final Path log;
        private final UserId id;

        Child(Path dir, MsgNode.DhtOnly boot, MsgNode sender, int window, boolean hiccups) throws IOException {
            Files.createDirectories(dir);
            log = dir.resolveSibling("receiver.log");
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            // the same options (heap, collector, -D flags), but not a debugger's agent, whose port is taken
            ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .filter(o -> !o.startsWith("-agentlib:jdwp") && !o.startsWith("-Xrunjdwp")).forEach(cmd::add);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MessagesChild.class.getName(),
                    dir.toString(), boot.info().id().toHex(),
                    boot.info().address().getHostString() + ":" + boot.info().address().getPort(),
                    sender.userId().toString(), String.valueOf(window), String.valueOf(hiccups)));
            process = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
            id = UserId.parse(await("READY ").substring(6));
        }

        private String await(String prefix) throws IOException {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            throw new IOException("the receiver JVM ended without " + prefix.trim() + " (exit "
                    + (process.isAlive() ? "-" : String.valueOf(process.exitValue())) + "); its log: "
                    + String.join(" | ", Files.readAllLines(log).stream().limit(20).toList()));
        }

        @Override
        public UserId id() {
            return id;
        }

        @Override
        public void measure(int from, int to) {
            in.println("MEASURE " + from + " " + to);
        }

        @Override
        public long jitMillis() throws IOException {
            in.println("JIT");
            return Long.parseLong(await("JIT ").substring(4));
        }

        @Override
        public Map<String, String> report() throws IOException {
            in.println("REPORT");
            Map<String, String> m = new LinkedHashMap<>();
            String[] parts = await("REPORT").split("\t");
            for (int i = 1; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                m.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
            }
            return m;
        }

        @Override
        public void close() {
            in.close(); // end of input: the child stops its node and exits
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    /** One warm-up round of 5000 messages from index {@code from}, until all are acknowledged; returns the next index. */
    private static int warmRound(MsgNode alice, UserId to, int from, int size, Semaphore inFlight, int concurrency,
            AtomicLong failed) throws InterruptedException {
        sendAll(alice, to, from, from + 5000, size, inFlight, failed);
        if (!inFlight.tryAcquire(concurrency, 2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the warm-up messages were not acknowledged");
        }
        inFlight.release(concurrency);
        return from + 5000;
    }

    /** Sends messages {@code from} (inclusive) to {@code to}, each after taking a permit of {@code inFlight}. */
    private static void sendAll(MsgNode alice, UserId friend, int from, int to, int size,
            Semaphore inFlight, AtomicLong failed) throws InterruptedException {
        for (int i = from; i < to; i++) {
            if (!inFlight.tryAcquire(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("no message was acknowledged for 5 minutes");
            }
            alice.messages.enqueue(friend, Arrivals.body(i, size)).subscribe(r -> { }, e -> {
                failed.incrementAndGet();
                inFlight.release();
            });
        }
    }

    /**
     * What the receiving node reports (the same keys in this JVM and in {@link MessagesChild}):
     * arrivals, latency, drop counters and commits and, given its JVM's {@code meters}, that JVM's
     * CPU, GC, JIT and thread CPU.
     */
    static Map<String, String> receiverReport(MsgNode node, Arrivals arrivals, ProcessMeters meters,
            NodeMeters atMeasure) {
        Arrivals.Report r = arrivals.report();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arrived", r.arrived());
        m.put("duplicated", r.duplicated());
        m.put("lastAt", r.lastAt());
        m.put("p50", r.p50());
        m.put("p90", r.p90());
        m.put("p99", r.p99());
        m.put("p999", r.p999());
        m.putAll(receiverCounters(node));
        m.putAll(NodeMeters.of(node).since(atMeasure));
        if (meters != null) {
            m.put("cpu_s", meters.cpuSeconds());
            m.put("gc_pause_s", meters.gcPauseSeconds());
            m.put("jit_s", meters.jitSeconds());
            meters.threadCpuSeconds().forEach((k, v) -> m.put("thread." + k, v));
            meters.putHiccups(m::put, "");
        }
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    /**
     * A node's commit timers ({@code carrier.messages.commits}, per stage: count, total ms) and
     * {@code fdatasync}s ({@code carrier.store.fsync}: count, total ms, how many took at most 1, 3
     * and 10 ms) at one moment; {@link #since} gives what happened after it, e.g. while measuring.
     */
    record NodeMeters(Map<String, double[]> commits, double[] fsyncs) {

        static NodeMeters of(MsgNode n) {
            Map<String, double[]> commits = new LinkedHashMap<>();
            n.registry.find("carrier.messages.commits").timers().forEach(t -> commits.put(t.getId().getTag("stage"),
                    new double[] {t.count(), t.totalTime(TimeUnit.MILLISECONDS)}));
            Timer f = n.registry.get("carrier.store.fsync").timer();
            double[] fsyncs = {f.count(), f.totalTime(TimeUnit.MILLISECONDS), 0, 0, 0};
            for (CountAtBucket b : f.takeSnapshot().histogramCounts()) {
                double ms = b.bucket(TimeUnit.MILLISECONDS);
                fsyncs[ms <= 1 ? 2 : ms <= 3 ? 3 : 4] = b.count();
            }
            return new NodeMeters(commits, fsyncs);
        }

        /**
         * Since {@code before}: {@code commit.<stage>_n} and {@code _ms_mean} for the stages that
         * committed, and {@code store.fsync_n}, {@code fsync_ms_mean}, {@code fsync_over_1ms},
         * {@code _3ms}, {@code _10ms}.
         */
        Map<String, Double> since(NodeMeters before) {
            Map<String, Double> m = new LinkedHashMap<>();
            commits.forEach((stage, now) -> {
                double[] then = before.commits.getOrDefault(stage, new double[2]);
                double n = now[0] - then[0];
                if (n > 0) {
                    m.put("commit." + stage + "_n", n);
                    m.put("commit." + stage + "_ms_mean", (now[1] - then[1]) / n);
                }
            });
            double n = fsyncs[0] - before.fsyncs[0];
            m.put("store.fsync_n", n);
            m.put("store.fsync_ms_mean", n == 0 ? 0 : (fsyncs[1] - before.fsyncs[1]) / n);
            m.put("store.fsync_over_1ms", n - (fsyncs[2] - before.fsyncs[2]));
            m.put("store.fsync_over_3ms", n - (fsyncs[3] - before.fsyncs[3]));
            m.put("store.fsync_over_10ms", n - (fsyncs[4] - before.fsyncs[4]));
            return m;
        }
    }

    /** The receiver's drop counters. */
    static Map<String, Double> receiverCounters(MsgNode n) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("duplicates_dropped", count(n, "carrier.messages.duplicates"));
        m.put("link_drops", count(n, "carrier.link.packets.dropped"));
        m.put("udp_drops", count(n, "carrier.transport.packets.dropped"));
        return m;
    }

    private static double count(MsgNode n, String name) {
        return n.registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
