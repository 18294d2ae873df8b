package io.reactivecarrier.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.reactivecarrier.wire.Limits;
import java.util.Objects;
import reactor.netty.resources.LoopResources;

/**
 * Immutable options of a {@link UdpTransport}. Every builder method returns a new instance, in the
 * reactor-netty style: {@code UdpTransportOptions.create().host("127.0.0.1").port(0)}.
 *
 * <p>Defaults: host {@code 0.0.0.0}, port 0 (any free port), 4 MiB socket buffers, native epoll
 * preferred, {@link Limits#MAX_DATAGRAM} as the largest datagram, and
 * UDP segmentation offload (GSO/GRO) where supported, {@link Metrics#globalRegistry} as the meter registry (so an application that binds the global
 * registry, as Spring Boot does, sees the transport counters without more wiring; tests pass their
 * own {@code SimpleMeterRegistry}).
 *
 * <pre>{@code
 * UdpTransportOptions options = UdpTransportOptions.create()
 *         .host("0.0.0.0").port(33445)
 *         .receiveBufferSize(8 << 20).meterRegistry(registry);
 * Mono<UdpTransport> transport = UdpTransport.bind(options);
 * }</pre>
 */
public final class UdpTransportOptions {

    private static final int FOUR_MIB = 4 * 1024 * 1024;

    private String host = "0.0.0.0";
    private int port;
    private int receiveBufferSize = FOUR_MIB;
    private int sendBufferSize = FOUR_MIB;
    private boolean preferNative = true;
    private int maxDatagramSize = Limits.MAX_DATAGRAM;
    private MeterRegistry registry = Metrics.globalRegistry;
    private boolean segmentationOffload = true;
    private LoopResources loopResources;

    private UdpTransportOptions() {
    }

    private UdpTransportOptions copy() {
        UdpTransportOptions c = new UdpTransportOptions();
        c.host = host;
        c.port = port;
        c.receiveBufferSize = receiveBufferSize;
        c.sendBufferSize = sendBufferSize;
        c.preferNative = preferNative;
        c.maxDatagramSize = maxDatagramSize;
        c.registry = registry;
        c.segmentationOffload = segmentationOffload;
        c.loopResources = loopResources;
        return c;
    }

    /** The default options. */
    public static UdpTransportOptions create() {
        return new UdpTransportOptions();
    }

    /** The local address to bind: an IPv4 or IPv6 literal or a host name. */
    public UdpTransportOptions host(String host) {
        UdpTransportOptions c = copy();
        c.host = Objects.requireNonNull(host, "host");
        return c;
    }

    /** The local port to bind, 0 for any free port. */
    public UdpTransportOptions port(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535: " + port);
        }
        UdpTransportOptions c = copy();
        c.port = port;
        return c;
    }

    /** The requested SO_RCVBUF in bytes (the kernel may cap it, see net.core.rmem_max). */
    public UdpTransportOptions receiveBufferSize(int bytes) {
        UdpTransportOptions c = copy();
        c.receiveBufferSize = positive(bytes, "receiveBufferSize");
        return c;
    }

    /** The requested SO_SNDBUF in bytes (the kernel may cap it, see net.core.wmem_max). */
    public UdpTransportOptions sendBufferSize(int bytes) {
        UdpTransportOptions c = copy();
        c.sendBufferSize = positive(bytes, "sendBufferSize");
        return c;
    }

    /** Whether to use the native epoll transport when it is available (NIO otherwise). */
    public UdpTransportOptions preferNative(boolean preferNative) {
        UdpTransportOptions c = copy();
        c.preferNative = preferNative;
        return c;
    }

    /** The largest datagram sent or accepted, at most {@link Limits#MAX_DATAGRAM}; larger ones are dropped and counted. */
    public UdpTransportOptions maxDatagramSize(int bytes) {
        if (bytes < 1 || bytes > Limits.MAX_DATAGRAM) {
            throw new IllegalArgumentException("maxDatagramSize must be in 1.." + Limits.MAX_DATAGRAM + ": " + bytes);
        }
        UdpTransportOptions c = copy();
        c.maxDatagramSize = bytes;
        return c;
    }

    /** The registry of the {@code carrier.transport.*} meters. */
    public UdpTransportOptions meterRegistry(MeterRegistry registry) {
        UdpTransportOptions c = copy();
        c.registry = Objects.requireNonNull(registry, "registry");
        return c;
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
        UdpTransportOptions c = copy();
        c.segmentationOffload = enabled;
        return c;
    }

    /**
     * Event loops shared with other transports, owned by the caller (who disposes them after
     * closing every transport on them). The socket is registered on one of their loops, which
     * becomes the transport's {@linkplain UdpTransport#scheduler() confinement thread};
     * {@link UdpTransport#close()} leaves the loops running. For many nodes in one JVM (simulations,
     * benchmarks, tests) on a machine with few cores: a loop per node means hundreds of threads
     * competing for the cores. {@code null} (the default): a dedicated loop of one thread per
     * transport.
     */
    public UdpTransportOptions loopResources(LoopResources shared) {
        UdpTransportOptions c = copy();
        c.loopResources = shared;
        return c;
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

    /** The shared event loops, or {@code null} for a dedicated loop per transport. */
    public LoopResources loopResources() {
        return loopResources;
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
                + maxDatagramSize + ", segmentationOffload=" + segmentationOffload
                + (loopResources == null ? "" : ", sharedLoops") + "]";
    }
}
