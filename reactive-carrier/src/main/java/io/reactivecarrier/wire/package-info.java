/**
 * The wire format's first byte ({@link io.reactivecarrier.wire.PacketKind}), its size limits and
 * the one decoder error, {@link io.reactivecarrier.wire.DecodeException}.
 *
 * <pre>{@code
 * PacketKind kind = PacketKind.of(datagram.getUnsignedByte(0));   // null: unknown kind, dropped
 * }</pre>
 */
package io.reactivecarrier.wire;
