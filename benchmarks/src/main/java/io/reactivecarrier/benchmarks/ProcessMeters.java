package io.reactivecarrier.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What this JVM spent between a snapshot and now: process CPU, CPU per thread group, GC pauses and
 * JIT compilation. The messages benchmark takes one in each JVM it runs a node in.
 */
final class ProcessMeters {

    private final long cpu = processCpu();
    private final long gc = gcMillis();
    private final long jit = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    private final Map<String, Long> threads = threadCpu();

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
