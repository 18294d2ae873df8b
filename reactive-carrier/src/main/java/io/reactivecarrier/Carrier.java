package io.reactivecarrier;

/**
 * Entry point: {@code Carrier.builder()...build()} makes a {@link CarrierNode}.
 *
 * <pre>{@code
 * CarrierNode node = Carrier.builder().dataDir(Path.of("alice")).build();
 * node.start().block(Duration.ofSeconds(30));
 * }</pre>
 */
public final class Carrier {

    private Carrier() {
    }

    /** A builder with the defaults (data directory {@code ./carrier-data}, any free port). */
    public static CarrierBuilder builder() {
        return CarrierBuilder.DEFAULTS;
    }
}
