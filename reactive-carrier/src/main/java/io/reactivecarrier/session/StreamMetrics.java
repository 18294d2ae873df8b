package io.reactivecarrier.session;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.function.ToLongFunction;

/**
 * {@code carrier.streams.*}: live totals over the open streams plus what closed streams left.
 * Values are read on the metrics thread from counters the event loop writes (a snapshot that may
 * lag by a few packets).
 */
final class StreamMetrics {

    private final Collection<StreamConnection> open;
    private final long[] closed = new long[9];

    private final String node;

    StreamMetrics(MeterRegistry registry, Collection<StreamConnection> open, String node) {
        this.open = open;
        this.node = node;
        counter(registry, "carrier.streams.bytes", "direction", "sent", 0, c -> c.stats.bytesSent, "stream bytes sent (first transmissions)");
        counter(registry, "carrier.streams.bytes", "direction", "received", 1, c -> c.stats.bytesReceived, "stream bytes delivered in order");
        counter(registry, "carrier.streams.packets", "direction", "sent", 2, c -> c.stats.packetsSent, "stream packets sent");
        counter(registry, "carrier.streams.packets", "direction", "received", 3, c -> c.stats.packetsReceived, "stream packets received");
        counter(registry, "carrier.streams.retransmitted.bytes", null, null, 4, c -> c.stats.retransmittedBytes, "stream bytes sent again after a loss");
        counter(registry, "carrier.streams.packets.lost", null, null, 5, c -> c.stats.packetsLost, "packets declared lost");
        counter(registry, "carrier.streams.packets.rejected", null, null, 6, c -> c.stats.rejected, "packets that failed authentication, were malformed or duplicated");
        counter(registry, "carrier.streams.datagrams.dropped", "reason", "overload", 7, c -> c.stats.datagramsDroppedSending,
                "unreliable datagrams the sender dropped: they did not fit the peer's credit or the congestion window");
        counter(registry, "carrier.streams.datagrams.dropped", "reason", "other", 8,
                c -> c.stats.datagramsDropped - c.stats.datagramsDroppedSending,
                "unreliable datagrams lost on the way or refused by the receiver");
        Gauge.builder("carrier.streams.open", open, Collection::size).tag("node", node).description("open streams").register(registry);
        Gauge.builder("carrier.streams.rtt.max.us", this, m -> m.max(c -> c.stats().smoothedRttMicros()))
                .tag("node", node).description("the largest smoothed RTT of the open streams").register(registry);
        Gauge.builder("carrier.streams.cwnd.bytes", this, m -> m.sum(c -> c.cc.window()))
                .tag("node", node).description("the congestion windows of the open streams, summed").register(registry);
    }

    private void counter(MeterRegistry registry, String name, String tag, String value, int slot,
            ToLongFunction<StreamConnection> f, String description) {
        FunctionCounter.Builder<StreamMetrics> b = FunctionCounter.builder(name, this, m -> m.closed[slot] + m.sum(f))
                .description(description).tag("node", node);
        if (tag != null) {
            b = b.tag(tag, value);
        }
        b.register(registry);
    }

    private double sum(ToLongFunction<StreamConnection> f) {
        long s = 0;
        for (StreamConnection c : open) {
            s += f.applyAsLong(c);
        }
        return s;
    }

    private double max(ToLongFunction<StreamConnection> f) {
        long s = 0;
        for (StreamConnection c : open) {
            s = Math.max(s, f.applyAsLong(c));
        }
        return s;
    }

    /** Keeps the totals of a stream that closed. */
    synchronized void closed(StreamConnection c) {
        closed[0] += c.stats.bytesSent;
        closed[1] += c.stats.bytesReceived;
        closed[2] += c.stats.packetsSent;
        closed[3] += c.stats.packetsReceived;
        closed[4] += c.stats.retransmittedBytes;
        closed[5] += c.stats.packetsLost;
        closed[6] += c.stats.rejected;
        closed[7] += c.stats.datagramsDroppedSending;
        closed[8] += c.stats.datagramsDropped - c.stats.datagramsDroppedSending;
    }
}
