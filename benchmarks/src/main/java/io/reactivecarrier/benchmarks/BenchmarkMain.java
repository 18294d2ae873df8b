package io.reactivecarrier.benchmarks;

import java.util.Arrays;

/** Entry point of {@code carrier-benchmarks.jar}: placeholder until the harness lands. */
public final class BenchmarkMain {

    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        String scenario = args.length == 0 ? "" : args[0];
        System.out.println("{\"scenario\":\"" + scenario + "\",\"error\":\"not implemented\"}");
        System.exit(2);
    }
}
