package io.reactivecarrier.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of {@code carrier-benchmarks.jar}.
 *
 * <pre>
 * java -jar benchmarks/target/carrier-benchmarks.jar jmh [JMH options]
 * java -jar benchmarks/target/carrier-benchmarks.jar &lt;scenario&gt; [--option value ...] [--seed S] [--out FILE]
 * </pre>
 *
 * Every network scenario prints one JSON object as its last line (the contract of
 * {@code shared/BENCHMARKS.md}) and exits 0; a scenario that cannot measure prints
 * {@code {"scenario":..., "error":...}} and exits non-zero.
 */
public final class BenchmarkMain {

    /** The scenarios of the benchmark contract, in its order. Those not yet built are absent. */
    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("presence", PresenceBenchmark::run);
        SCENARIOS.put("messages", new MessagesScenario());
        SCENARIOS.put("offline", new OfflineScenario());
        StreamBenchmarks.register(SCENARIOS);
        DhtScenarios.register(SCENARIOS);
        ForwardBenchmarks.register(SCENARIOS);
    }

    static final String[] CONTRACT = {
        "dht-sim", "dht-udp", "sybil-sim", "messages", "offline", "presence",
        "stream", "stream-compare", "stream-faults", "forward", "nat-lab"
    };

    static {
        SCENARIOS.put("nat-lab", NatLabBenchmark::run);
    }

    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println("usage: carrier-benchmarks.jar jmh [JMH options] | <scenario> [--option value ...]");
            System.out.println("scenarios: " + String.join(", ", CONTRACT));
            System.exit(args.length == 0 ? 2 : 0);
            return;
        }
        if (args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        String name = args[0];
        Args options;
        try {
            options = Args.parse(Arrays.copyOfRange(args, 1, args.length));
        } catch (IllegalArgumentException e) {
            fail(name, e.getMessage(), null);
            return;
        }
        Scenario scenario = SCENARIOS.get(name);
        if (scenario == null) {
            boolean known = Arrays.asList(CONTRACT).contains(name);
            fail(name, known ? "not implemented" : "unknown scenario; known: " + String.join(", ", CONTRACT),
                    options.string("out", null));
            return;
        }
        Json result;
        try {
            result = scenario.run(options);
        } catch (Throwable t) {
            fail(name, t.getClass().getSimpleName() + ": " + t.getMessage(), options.string("out", null));
            return;
        }
        emit(result.toString(), options.string("out", null));
        System.exit(0);
    }

    private static void fail(String scenario, String error, String out) {
        emit(Json.object().put("scenario", scenario).put("error", error).toString(), out);
        System.exit(1);
    }

    private static void emit(String line, String out) {
        System.out.println(line);
        if (out != null) {
            try {
                Files.writeString(Path.of(out), line + "\n", StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("cannot write " + out + ": " + e.getMessage());
            }
        }
    }
}
