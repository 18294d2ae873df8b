/**
 * The wire format's first byte ({@link io.reactivecarrier.wire.PacketKind}), its size limits and
 * the one decoder error, {@link io.reactivecarrier.wire.DecodeException}.
 */
package io.reactivecarrier.wire;
