package io.reactivecarrier.benchmarks;

import io.reactivecarrier.message.Message;
import io.reactivecarrier.message.MessageOptions;
import io.reactivecarrier.message.MsgNode;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code messages --count 100000 --size 1024 [--concurrency 256] [--warmup 100000]}: two message
 * nodes on real UDP (loopback), each with its own store; every message goes through the sender's
 * durable outbox, the link, the receiver's durable dedupe and inbox, and back as a receipt. The
 * sender keeps at most {@code concurrency} messages between {@code enqueue()} and the receiver's
 * {@code incoming()} (a closed loop, as an application that waits for its messages would), so the
 * latency is what a user sees: from {@code enqueue()} to {@code incoming()}, not time spent in a queue
 * the benchmark itself built up.
 */
final class MessagesScenario implements Scenario {

    /** Before the measurement and before every 10th warm-up round: long enough for the ticks' clean-ups. */
    private static final long PAUSE_MS = 1000;

    @Override
    public Json run(Args args) throws Exception {
        int count = args.integer("count", 100_000);
        int size = Math.max(8, args.integer("size", 1024));
        int concurrency = args.integer("concurrency", 256);
        // at least; then until the JIT settles. 100,000: with 20,000 C2 was still recompiling MVStore's
        // MVMap.operate during the measurement (3-8 CPU s of 100,000 messages); reported as warmup_messages
        int warmup = args.integer("warmup", 100_000);
        Path dir = Files.createTempDirectory("carrier-messages-bench");
        MsgNode.DhtOnly boot = MsgNode.dhtOnly(List.of());
        MessageOptions options = MessageOptions.create().window(args.integer("window", 2048))
                .inbox(65_536, 1L << 30).retransmitTimeout(Duration.ofSeconds(2));
        MsgNode alice = MsgNode.start(dir.resolve("alice"), List.of(boot.info()), options, 0);
        MsgNode bob = MsgNode.start(dir.resolve("bob"), List.of(boot.info()), options, 0);
        try {
            alice.befriend(bob);
            alice.links.connect(bob.userId()).block(MsgNode.T);
            // which messages arrived: a bit per message index, not a map of a million boxed entries: its resizes
            // and live set lengthened the GC pauses being measured
            java.util.BitSet seen = new java.util.BitSet();
            AtomicLong duplicated = new AtomicLong();
            AtomicLong lastAt = new AtomicLong();
            // closed loop: at most `concurrency` messages are between send() and the receiver's incoming()
            Semaphore inFlight = new Semaphore(concurrency);
            AtomicLong failed = new AtomicLong();
            // warm-up and measurement run the same code: each round of messages has its own Phase, and nothing
            // branches on which round it is (a branch first taken when the measurement started deoptimised the
            // compiled receive path then, and the JIT recompiled it during the measured run: 0.7-0.9 CPU s)
            AtomicReference<Phase> phase = new AtomicReference<>(new Phase(0));
            bob.messages.incoming().subscribe((Message m) -> {
                long now = System.nanoTime();
                ByteBuffer b = ByteBuffer.wrap(m.body());
                long index = b.getLong(0);
                long sentAt = b.getLong(8);
                boolean first;
                synchronized (seen) { // incoming() emits on one thread; the lock is uncontended
                    first = !seen.get((int) index);
                    seen.set((int) index);
                }
                if (first) {
                    Phase ph = phase.get();
                    ph.delivered.incrementAndGet();
                    inFlight.release();
                    synchronized (ph.latency) {
                        ph.latency.add((now - sentAt) / 1e6);
                    }
                    lastAt.set(now);
                    ph.all.countDown();
                } else {
                    duplicated.incrementAndGet();
                }
            });
            io.reactivecarrier.core.UserId to = bob.userId(); // once: it is Base58-encoded on each call
            // warm-up (JIT, store files, link) outside the measurement: at least --warmup messages, then on
            // until the JIT settles (compiling MVMap.operate alone takes C2 several CPU seconds), at most 90 s
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            long warmStart = System.nanoTime();
            int warmed = 0;
            // the JIT has settled when compiling took under 5 % of the last 3 s of warm-up (a single round
            // of 5000 messages lasts ~0.2 s, too short to see a C2 compile of a few hundred ms coming)
            java.util.ArrayDeque<long[]> rounds = new java.util.ArrayDeque<>(); // {wall ns, jit ms}
            // the measurement starts after a pause (below), and so does every 10th warm-up round: starting
            // from idle takes paths that steady traffic does not (an empty inbox, a tick's clean-up). Without
            // the pauses the JIT deoptimised the receive path when the measurement began and recompiled it
            // during the measured run (0.5-0.9 CPU s of 2-3)
            while (true) {
                if (warmed % 50_000 == 0) {
                    Thread.sleep(PAUSE_MS);
                }
                long jit0 = jit.getTotalCompilationTime();
                long t0 = System.nanoTime();
                warmed = warmRound(alice, to, warmed, size, inFlight, concurrency, failed, phase);
                rounds.addLast(new long[] {System.nanoTime() - t0, jit.getTotalCompilationTime() - jit0});
                long wall = 0;
                long compiling = 0;
                for (long[] r : rounds) {
                    wall += r[0];
                    compiling += r[1];
                }
                while (rounds.size() > 1 && wall - rounds.peekFirst()[0] >= 3e9) {
                    long[] r = rounds.removeFirst();
                    wall -= r[0];
                    compiling -= r[1];
                }
                boolean settled = wall >= 3e9 && compiling < 0.05 * wall / 1e6;
                if (warmed >= warmup && (settled || System.nanoTime() - warmStart > 90e9)) {
                    break;
                }
            }
            double warmSeconds = (System.nanoTime() - warmStart) / 1e9;
            Thread.sleep(PAUSE_MS);
            Phase measured = new Phase(count);
            phase.set(measured);
            Stats latency = measured.latency;
            AtomicLong delivered = measured.delivered;
            CountDownLatch all = measured.all;
            long jitBefore = jit.getTotalCompilationTime();
            Map<String, Long> cpuBefore = threadCpu();
            long processCpuBefore = processCpu();
            long gcBefore = gcMillis();
            long start = System.nanoTime();
            sendAll(alice, to, warmed, warmed + count, size, inFlight, failed);
            all.await(5, TimeUnit.MINUTES);
            Thread.sleep(1000); // late duplicates would show here
            long end = all.getCount() == 0 ? lastAt.get() : System.nanoTime();
            long processCpu = processCpu() - processCpuBefore;
            long jitMillis = jit.getTotalCompilationTime() - jitBefore;
            Map<String, Long> cpuAfter = threadCpu();
            Json threads = Json.object();
            cpuAfter.forEach((k, v) -> {
                double s = (v - cpuBefore.getOrDefault(k, 0L)) / 1e9;
                if (s >= 0.05) {
                    threads.put(k, Math.round(s * 100) / 100.0);
                }
            });
            long deliveredCount = delivered.get();
            double seconds = (end - start) / 1e9;
            double p50;
            double p90;
            double p99;
            double p999;
            synchronized (latency) {
                p50 = latency.percentile(50);
                p90 = latency.percentile(90);
                p99 = latency.percentile(99);
                p999 = latency.percentile(99.9);
            }
            return Json.object().put("scenario", "messages").put("count", count).put("size", size)
                    .put("msgs_per_s", deliveredCount / seconds)
                    .put("latency_ms_p50", p50).put("latency_ms_p99", p99)
                    .put("latency_ms_p90", p90).put("latency_ms_p999", p999)
                    .put("lost", count - deliveredCount).put("duplicated", duplicated.get())
                    .put("concurrency", concurrency).put("send_errors", failed.get())
                    .put("retransmits", count(alice, "carrier.messages.retransmits"))
                    .put("duplicates_dropped", count(bob, "carrier.messages.duplicates"))
                    .put("receiver_link_drops", count(bob, "carrier.link.packets.dropped"))
                    .put("receiver_udp_drops", count(bob, "carrier.transport.packets.dropped"))
                    .put("sender_packets", count(alice, "carrier.transport.packets.sent"))
                    .put("commits", commits(alice, bob)).put("seconds", seconds)
                    // CPU of the whole process while measuring (includes the 1 s wait for late duplicates)
                    .put("cpu_s", processCpu / 1e9).put("cpu_us_per_msg", processCpu / 1e3 / Math.max(1, deliveredCount))
                    .put("thread_cpu_s", threads).put("gc_pause_s", (gcMillis() - gcBefore) / 1e3)
                    .put("jit_s", jitMillis / 1e3).put("warmup_messages", warmed).put("warmup_s", warmSeconds);
        } finally {
            alice.stop();
            bob.stop();
            boot.stop();
            deleteQuietly(dir); // two stores of about 2 KiB per message each
        }
    }

    private static void deleteQuietly(Path dir) {
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    /** The messages of one round: warm-up rounds and the measured one are counted alike. */
    private static final class Phase {
        final Stats latency = new Stats();
        final AtomicLong delivered = new AtomicLong();
        final CountDownLatch all;

        Phase(int messages) {
            all = new CountDownLatch(messages);
        }
    }

    /** One warm-up round of 5000 messages from index {@code from}, until all arrived; returns the next index. */
    private static int warmRound(MsgNode alice, io.reactivecarrier.core.UserId to, int from, int size, Semaphore inFlight,
            int concurrency, AtomicLong failed, AtomicReference<Phase> phase) throws InterruptedException {
        phase.set(new Phase(5000));
        sendAll(alice, to, from, from + 5000, size, inFlight, failed);
        if (!inFlight.tryAcquire(concurrency, 2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the warm-up messages did not arrive");
        }
        inFlight.release(concurrency);
        return from + 5000;
    }

    /** Sends messages {@code from} (inclusive) to {@code to}, each after taking a permit of {@code inFlight}. */
    private static void sendAll(MsgNode alice, io.reactivecarrier.core.UserId friend, int from, int to, int size,
            Semaphore inFlight, AtomicLong failed) throws InterruptedException {
        for (int i = from; i < to; i++) {
            if (!inFlight.tryAcquire(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("no message arrived for 5 minutes");
            }
            alice.messages.enqueue(friend, body(i, size)).subscribe(r -> { }, e -> {
                failed.incrementAndGet();
                inFlight.release();
            });
        }
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(g -> Math.max(0, g.getCollectionTime()))
                .sum();
    }

    private static long processCpu() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : 0;
    }

    /** CPU nanoseconds per thread group (thread names without their numbers and node suffixes). */
    private static Map<String, Long> threadCpu() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> out = new TreeMap<>();
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t == null) {
                continue;
            }
            long cpu = mx.getThreadCpuTime(t.getThreadId());
            if (cpu > 0) {
                String group = t.getThreadName().replaceAll("-[0-9A-Za-z]{8}$", "").replaceAll("[-#]?\\d+$", "");
                out.merge(group, cpu, Long::sum);
            }
        }
        return out;
    }

    private static Json commits(MsgNode alice, MsgNode bob) {
        Json j = Json.object();
        for (MsgNode n : List.of(alice, bob)) {
            n.registry.find("carrier.messages.commits").timers().forEach(t -> {
                if (t.count() > 0) {
                    j.put(t.getId().getTag("stage") + "_n", t.count())
                            .put(t.getId().getTag("stage") + "_ms_mean", t.mean(TimeUnit.MILLISECONDS));
                }
            });
        }
        return j;
    }

    private static double count(MsgNode n, String name) {
        return n.registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static byte[] body(long index, int size) {
        byte[] b = new byte[size];
        ByteBuffer.wrap(b).putLong(0, index).putLong(8, System.nanoTime());
        return b;
    }
}
