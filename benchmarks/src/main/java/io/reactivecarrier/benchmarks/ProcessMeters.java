package io.reactivecarrier.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What this JVM spent between a snapshot and now: process CPU, CPU per thread group, GC pauses and
 * JIT compilation and, when asked for ({@link #watchHiccups}), its hiccups: the times a thread
 * that only sleeps 1 ms at a time woke up late (as jHiccup measures), which is what the whole
 * process lost to the collector, to safepoints, or to the machine not running it. The messages
 * benchmark takes one in each JVM it runs a node in.
 */
final class ProcessMeters {

    /** A hiccup worth reporting: a wake-up at least this late (ms). */
    static final double HICCUP_MS = 5;

    /** See {@link #watchHiccups}. */
    private static volatile boolean hiccupsOn;

    private final long cpu = processCpu();
    private final long gc = gcMillis();
    private final long jit = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    private final Map<String, Long> threads = threadCpu();
    private final boolean watching = hiccupsOn;
    private final long since = watching ? Hiccups.INSTANCE.now() : 0;

    /**
     * Whether meters taken from now on watch for hiccups (the thread, once started, runs on). Off
     * unless asked for: it wakes 1,000 times a second, and in the messages benchmark on this 2-core
     * VM it took 3-6 % of each JVM's CPU samples, a context switch each time, and its runs had the
     * higher p99 in six pairs of six (docs/messages.md, Session 11).
     */
    static void watchHiccups(boolean on) {
        hiccupsOn = on;
    }

    /** CPU seconds of the whole process since the snapshot. */
    double cpuSeconds() {
        return (processCpu() - cpu) / 1e9;
    }

    double gcPauseSeconds() {
        return (gcMillis() - gc) / 1e3;
    }

    double jitSeconds() {
        return (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit) / 1e3;
    }

    /**
     * {@code hiccups_over_5ms}, {@code hiccup_ms_max} and {@code hiccup_ms_sum} since the snapshot
     * (wake-ups at least {@link #HICCUP_MS} late), into {@code out}; nothing unless
     * {@link #watchHiccups} came before this snapshot.
     */
    void putHiccups(java.util.function.BiConsumer<String, Double> out, String prefix) {
        if (!watching) {
            return;
        }
        double[] h = Hiccups.INSTANCE.since(since); // {count, longest ms, sum ms}
        out.accept(prefix + "hiccups_over_5ms", h[0]);
        out.accept(prefix + "hiccup_ms_max", h[1]);
        out.accept(prefix + "hiccup_ms_sum", h[2]);
    }

    /** One daemon thread per JVM that sleeps 1 ms at a time and keeps the late wake-ups (the last 65,536). */
    private static final class Hiccups implements Runnable {
        static final Hiccups INSTANCE = new Hiccups();
        private final long[] at = new long[65_536];
        private final long[] lateNs = new long[at.length];
        private long recorded;

        private Hiccups() {
            Thread t = new Thread(this, "benchmark-hiccups");
            t.setDaemon(true);
            t.start();
        }

        long now() {
            return System.nanoTime();
        }

        @Override
        public void run() {
            long threshold = (long) (HICCUP_MS * 1e6);
            while (true) {
                long before = System.nanoTime();
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                long late = System.nanoTime() - before - 1_000_000;
                if (late >= threshold) {
                    synchronized (this) {
                        int i = (int) (recorded++ % at.length);
                        at[i] = before;
                        lateNs[i] = late;
                    }
                }
            }
        }

        synchronized double[] since(long from) {
            double count = 0;
            double max = 0;
            double sum = 0;
            for (long k = Math.max(0, recorded - at.length); k < recorded; k++) {
                int i = (int) (k % at.length);
                if (at[i] >= from) {
                    double ms = lateNs[i] / 1e6;
                    count++;
                    max = Math.max(max, ms);
                    sum += ms;
                }
            }
            return new double[] {count, Math.round(max * 10) / 10.0, Math.round(sum * 10) / 10.0};
        }
    }

    /** CPU seconds per thread group since the snapshot (groups under 0.05 s left out). */
    Map<String, Double> threadCpuSeconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        threadCpu().forEach((k, v) -> {
            double s = (v - threads.getOrDefault(k, 0L)) / 1e9;
            if (s >= 0.05) {
                out.put(k, Math.round(s * 100) / 100.0);
            }
        });
        return out;
    }

    static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(g -> Math.max(0, g.getCollectionTime()))
                .sum();
    }

    static long processCpu() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : 0;
    }

    /** CPU nanoseconds per thread group (thread names without their numbers and node suffixes). */
    static Map<String, Long> threadCpu() {
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
}
