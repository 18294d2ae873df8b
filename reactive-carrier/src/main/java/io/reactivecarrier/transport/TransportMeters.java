package io.reactivecarrier.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The {@code carrier.transport.*} counters, created once so the hot path never looks them up. */
final class TransportMeters {

    static final String DROPPED = "carrier.transport.packets.dropped";

    final Counter packetsSent;
    final Counter packetsReceived;
    final Counter bytesSent;
    final Counter bytesReceived;
    final Counter droppedOversized;
    final Counter droppedClosed;
    final Counter droppedBackpressure;
    final Counter droppedHandlerError;
    final Counter droppedNoHandler;
    final Counter droppedGsoError;
    final Counter droppedError;
    final Counter gsoWrites;

    TransportMeters(MeterRegistry registry) {
        packetsSent = registry.counter("carrier.transport.packets.sent");
        packetsReceived = registry.counter("carrier.transport.packets.received");
        bytesSent = registry.counter("carrier.transport.bytes.sent");
        bytesReceived = registry.counter("carrier.transport.bytes.received");
        droppedOversized = dropped(registry, "oversized");
        droppedClosed = dropped(registry, "closed");
        droppedBackpressure = dropped(registry, "backpressure");
        droppedHandlerError = dropped(registry, "handler_error");
        droppedNoHandler = dropped(registry, "no_handler");
        droppedGsoError = dropped(registry, "gso_error");
        droppedError = dropped(registry, "error");
        gsoWrites = registry.counter("carrier.transport.gso.writes");
    }

    static Counter dropped(MeterRegistry registry, String reason) {
        return registry.counter(DROPPED, "reason", reason);
    }
}
