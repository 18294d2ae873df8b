package io.reactivecarrier.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.reactivecarrier.wire.Limits;
import java.util.Objects;

/**
 * Immutable options of a {@link UdpTransport}. Every builder method returns a new instance, in the
 * reactor-netty style: {@code UdpTransportOptions.create().host("127.0.0.1").port(0)}.
 *
 * <p>Defaults: host {@code 0.0.0.0}, port 0 (any free port), 4 MiB socket buffers, native epoll
 * preferred, {@link Limits#MAX_DATAGRAM} as the largest datagram, and
 * UDP segmentation offload (GSO/GRO) where supported, {@link Metrics#globalRegistry} as the meter registry (so an application that binds the global
 * registry, as Spring Boot does, sees the transport counters without more wiring; tests pass their
 * own {@code SimpleMeterRegistry}).
 */
public final class UdpTransportOptions {

    private static final int FOUR_MIB = 4 * 1024 * 1024;

    private final String host;
    private final int port;
    private final int receiveBufferSize;
    private final int sendBufferSize;
    private final boolean preferNative;
    private final int maxDatagramSize;
    private final MeterRegistry registry;
    private final boolean segmentationOffload;

    private UdpTransportOptions(String host, int port, int receiveBufferSize, int sendBufferSize,
            boolean preferNative, int maxDatagramSize, MeterRegistry registry, boolean segmentationOffload) {
        this.host = host;
        this.port = port;
        this.receiveBufferSize = receiveBufferSize;
        this.sendBufferSize = sendBufferSize;
        this.preferNative = preferNative;
        this.maxDatagramSize = maxDatagramSize;
        this.registry = registry;
        this.segmentationOffload = segmentationOffload;
    }

    /** The default options. */
    public static UdpTransportOptions create() {
        return new UdpTransportOptions("0.0.0.0", 0, FOUR_MIB, FOUR_MIB, true, Limits.MAX_DATAGRAM,
                Metrics.globalRegistry, true);
    }

    /** The local address to bind: an IPv4 or IPv6 literal or a host name. */
    public UdpTransportOptions host(String host) {
        return new UdpTransportOptions(Objects.requireNonNull(host, "host"), port, receiveBufferSize,
                sendBufferSize, preferNative, maxDatagramSize, registry, segmentationOffload);
    }

    /** The local port to bind, 0 for any free port. */
    public UdpTransportOptions port(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535: " + port);
        }
        return new UdpTransportOptions(host, port, receiveBufferSize, sendBufferSize, preferNative,
                maxDatagramSize, registry, segmentationOffload);
    }

    /** The requested SO_RCVBUF in bytes (the kernel may cap it, see net.core.rmem_max). */
    public UdpTransportOptions receiveBufferSize(int bytes) {
        return new UdpTransportOptions(host, port, positive(bytes, "receiveBufferSize"), sendBufferSize,
                preferNative, maxDatagramSize, registry, segmentationOffload);
    }

    /** The requested SO_SNDBUF in bytes (the kernel may cap it, see net.core.wmem_max). */
    public UdpTransportOptions sendBufferSize(int bytes) {
        return new UdpTransportOptions(host, port, receiveBufferSize, positive(bytes, "sendBufferSize"),
                preferNative, maxDatagramSize, registry, segmentationOffload);
    }

    /** Whether to use the native epoll transport when it is available (NIO otherwise). */
    public UdpTransportOptions preferNative(boolean preferNative) {
        return new UdpTransportOptions(host, port, receiveBufferSize, sendBufferSize, preferNative,
                maxDatagramSize, registry, segmentationOffload);
    }

    /** The largest datagram sent or accepted, at most {@link Limits#MAX_DATAGRAM}; larger ones are dropped and counted. */
    public UdpTransportOptions maxDatagramSize(int bytes) {
        if (bytes < 1 || bytes > Limits.MAX_DATAGRAM) {
            throw new IllegalArgumentException("maxDatagramSize must be in 1.." + Limits.MAX_DATAGRAM + ": " + bytes);
        }
        return new UdpTransportOptions(host, port, receiveBufferSize, sendBufferSize, preferNative, bytes,
                registry, segmentationOffload);
    }

    /** The registry of the {@code carrier.transport.*} meters. */
    public UdpTransportOptions meterRegistry(MeterRegistry registry) {
        return new UdpTransportOptions(host, port, receiveBufferSize, sendBufferSize, preferNative,
                maxDatagramSize, Objects.requireNonNull(registry, "registry"), segmentationOffload);
    }

    /**
     * Whether to use UDP segmentation offload where the native epoll transport and the kernel
     * support it (default true): GSO on send (a batch of equal-size datagrams to one recipient,
     * see {@link DatagramTransport#sendSegments}, leaves in one {@code sendmsg} and the kernel cuts
     * it into datagrams) and GRO on receive (the kernel hands over several datagrams of one flow in
     * one read; they are split back into datagrams before the handler sees them). The wire format
     * is the same either way; {@code false} sends one datagram per packet, as the NIO transport does.
     */
    public UdpTransportOptions segmentationOffload(boolean enabled) {
        return new UdpTransportOptions(host, port, receiveBufferSize, sendBufferSize, preferNative,
                maxDatagramSize, registry, enabled);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public int receiveBufferSize() {
        return receiveBufferSize;
    }

    public int sendBufferSize() {
        return sendBufferSize;
    }

    public boolean preferNative() {
        return preferNative;
    }

    public int maxDatagramSize() {
        return maxDatagramSize;
    }

    public MeterRegistry meterRegistry() {
        return registry;
    }

    public boolean segmentationOffload() {
        return segmentationOffload;
    }

    private static int positive(int v, String name) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive: " + v);
        }
        return v;
    }

    @Override
    public String toString() {
        return "UdpTransportOptions[host=" + host + ", port=" + port + ", rcvbuf=" + receiveBufferSize
                + ", sndbuf=" + sendBufferSize + ", preferNative=" + preferNative + ", maxDatagram="
                + maxDatagramSize + ", segmentationOffload=" + segmentationOffload + "]";
    }
}
