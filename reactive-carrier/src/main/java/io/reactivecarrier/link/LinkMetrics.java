package io.reactivecarrier.link;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/** The {@code carrier.link.*} meters, created once so the hot path never looks them up. */
final class LinkMetrics {

    static final String HANDSHAKES = "carrier.link.handshakes";
    static final String DROPPED = "carrier.link.packets.dropped";
    static final String PROCESSED = "carrier.link.handshakes.processed";
    static final String COOKIES = "carrier.link.cookies.sent";
    static final String SESSIONS = "carrier.link.sessions";

    /** Why a link packet was dropped: the {@code reason} tag. */
    enum Drop {
        MALFORMED, MAC1, COOKIE_REQUIRED, RATE_LIMITED_SOURCE, RATE_LIMITED_GLOBAL, HANDSHAKE_AUTH,
        BAD_BINDING, UNAUTHORIZED, REPLAYED_INIT, SIMULTANEOUS_INIT, UNKNOWN_INDEX, COOKIE_AUTH,
        DATA_AUTH, REPLAY, EXPIRED, NO_HANDLER, CLOSED;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Outcomes of handshakes: the {@code outcome} tag. */
    enum Outcome {
        INITIATED, RESPONDED, COMPLETED, CONFIRMED, TIMEOUT;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Map<Drop, Counter> dropped = new EnumMap<>(Drop.class);
    private final Map<Outcome, Counter> handshakes = new EnumMap<>(Outcome.class);
    final Counter processed;
    final Counter cookiesSent;

    LinkMetrics(MeterRegistry registry) {
        for (Drop d : Drop.values()) {
            dropped.put(d, registry.counter(DROPPED, "reason", d.tag()));
        }
        for (Outcome o : Outcome.values()) {
            handshakes.put(o, registry.counter(HANDSHAKES, "outcome", o.tag()));
        }
        processed = registry.counter(PROCESSED);
        cookiesSent = registry.counter(COOKIES);
    }

    void drop(Drop reason) {
        dropped.get(reason).increment();
    }

    void handshake(Outcome outcome) {
        handshakes.get(outcome).increment();
    }

    long dropped(Drop reason) {
        return (long) dropped.get(reason).count();
    }

    long handshakes(Outcome outcome) {
        return (long) handshakes.get(outcome).count();
    }
}
