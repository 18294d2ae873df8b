package io.reactivecarrier.benchmarks;

/** One network benchmark scenario: reads its options, runs, returns its result line. */
@FunctionalInterface
interface Scenario {

    Json run(Args args) throws Exception;
}
