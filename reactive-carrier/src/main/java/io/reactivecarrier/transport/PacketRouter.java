package io.reactivecarrier.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.reactivecarrier.wire.Limits;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DatagramHandler} of a node's transport: dispatches each datagram by its first byte
 * (the {@link PacketKind}) to the handler registered for that kind.
 *
 * <p>Every packet starts {@code [kind 1][version 1]}, the version being
 * {@link Limits#PROTOCOL_VERSION}. A datagram that is shorter than these two bytes, of a kind
 * nobody handles, or of another version is dropped and counted in
 * {@code carrier.transport.packets.dropped{reason=truncated|unknown_kind|bad_version}} before
 * anything is allocated for it. A handler that throws is counted ({@code reason=handler_error})
 * and never breaks the read loop.
 *
 * <p>Register handlers before the first datagram arrives; dispatch runs on the transport's
 * scheduler.
 *
 * <pre>{@code
 * PacketRouter router = PacketRouter.create(new SimpleMeterRegistry());
 * router.route(PacketKind.PUNCH, (sender, data) -> log.debug("punch from {}", sender));
 * transport.receive(router);
 * }</pre>
 */
public final class PacketRouter implements DatagramHandler {

    private static final Logger log = LoggerFactory.getLogger(PacketRouter.class);

    private final DatagramHandler[] handlers = new DatagramHandler[256];
    private final Counter droppedTruncated;
    private final Counter droppedUnknownKind;
    private final Counter droppedBadVersion;
    private final Counter droppedHandlerError;

    private PacketRouter(MeterRegistry registry) {
        droppedTruncated = TransportMeters.dropped(registry, "truncated");
        droppedUnknownKind = TransportMeters.dropped(registry, "unknown_kind");
        droppedBadVersion = TransportMeters.dropped(registry, "bad_version");
        droppedHandlerError = TransportMeters.dropped(registry, "handler_error");
    }

    /** A router with no handlers that counts its drops in {@code registry}. */
    public static PacketRouter create(MeterRegistry registry) {
        return new PacketRouter(Objects.requireNonNull(registry, "registry"));
    }

    /** Routes datagrams of {@code kind} to {@code handler}, replacing any earlier handler; returns this router. */
    public PacketRouter route(PacketKind kind, DatagramHandler handler) {
        handlers[kind.tag()] = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /** Stops routing {@code kind}: its datagrams are dropped as unknown. */
    public PacketRouter remove(PacketKind kind) {
        handlers[kind.tag()] = null;
        return this;
    }

    @Override
    public void onDatagram(InetSocketAddress sender, ByteBuf data) {
        int start = data.readerIndex();
        if (data.readableBytes() < 2) {
            droppedTruncated.increment();
            return;
        }
        DatagramHandler handler = handlers[data.getUnsignedByte(start)];
        if (handler == null) {
            droppedUnknownKind.increment();
            return;
        }
        if (data.getUnsignedByte(start + 1) != Limits.PROTOCOL_VERSION) {
            droppedBadVersion.increment();
            return;
        }
        try {
            handler.onDatagram(sender, data);
        } catch (RuntimeException e) {
            droppedHandlerError.increment();
            log.debug("packet handler failed for a datagram from {}", sender, e);
        }
    }
}
