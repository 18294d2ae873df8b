package io.reactivecarrier.session;

import java.time.Duration;
import java.util.Objects;

/**
 * How a stream is opened: reliable or unreliable, encrypted (default) or plain, and its windows.
 * Immutable; every setter returns a copy.
 *
 * <pre>{@code
 * StreamOptions.reliable()                        // ordered, retransmitted, AES-256-GCM
 * StreamOptions.unreliable().maxPacketSize(1280)  // datagrams, never retransmitted
 * StreamOptions.reliable().plain()                // checksummed only: explicit opt-out of encryption
 * }</pre>
 */
public final class StreamOptions {

    /** The smallest packet a path must carry (also the first packet size of every stream). */
    public static final int MIN_PACKET_SIZE = 1200;
    /** The largest packet a stream ever sends (a loopback or jumbo-frame path, after probing). */
    public static final int MAX_PACKET_SIZE = 65_000;

    private final boolean reliable;
    private final boolean encrypted;
    private final int receiveWindow;
    private final int datagramWindow;
    private final int sendBuffer;
    private final int initialPacketSize;
    private final int maxPacketSize;
    private final Duration idleTimeout;
    private final int maxChannels;
    private final CongestionControl congestionControl;

    /**
     * The congestion controller of a reliable stream's sending side (each side picks its own).
     * Both pace their packets at 1.25 × window / smoothed RTT.
     */
    public enum CongestionControl {
        /** NewReno (RFC 9002 section 7): halves the window once per loss round trip, grows one packet per window. */
        NEWRENO {
            @Override
            CongestionController create(int mss, long maxWindow) {
                return new NewReno(mss, maxWindow);
            }
        },
        /**
         * CUBIC (RFC 9438): reduces to 0.7 of the window, then regrows along a cubic curve
         * back to the window where the loss happened, with a Reno-friendly lower bound.
         */
        CUBIC {
            @Override
            CongestionController create(int mss, long maxWindow) {
                return new Cubic(mss, maxWindow);
            }
        };

        abstract CongestionController create(int mss, long maxWindow);
    }

    private StreamOptions(boolean reliable, boolean encrypted, int receiveWindow, int datagramWindow, int sendBuffer,
            int initialPacketSize, int maxPacketSize, Duration idleTimeout, int maxChannels,
            CongestionControl congestionControl) {
        this.reliable = reliable;
        this.encrypted = encrypted;
        this.receiveWindow = receiveWindow;
        this.datagramWindow = datagramWindow;
        this.sendBuffer = sendBuffer;
        this.initialPacketSize = initialPacketSize;
        this.maxPacketSize = maxPacketSize;
        this.idleTimeout = idleTimeout;
        this.maxChannels = maxChannels;
        this.congestionControl = congestionControl;
    }

    /**
     * A reliable, encrypted stream: 4 MiB windows, packets from 1280 bytes up to what probing finds
     * (1472 on a network path, up to 65000 to this host).
     */
    public static StreamOptions reliable() {
        return new StreamOptions(true, true, 4 << 20, 4096, 4 << 20, 1280, MAX_PACKET_SIZE, Duration.ofSeconds(30), 4096,
                CongestionControl.CUBIC);
    }

    /** An unreliable (datagram), encrypted stream. */
    public static StreamOptions unreliable() {
        return reliable().reliable(false);
    }

    /** Reliable (ordered, retransmitted) or unreliable (datagrams, dropped when lost). */
    public StreamOptions reliable(boolean value) {
        return new StreamOptions(value, encrypted, receiveWindow, datagramWindow, sendBuffer, initialPacketSize,
                maxPacketSize, idleTimeout, maxChannels, congestionControl);
    }

    /** Turns encryption off: packets are only checksummed (CRC32C). Use only where secrecy is not needed. */
    public StreamOptions plain() {
        return encrypted(false);
    }

    /** Encrypted with AES-256-GCM (default) or plain. */
    public StreamOptions encrypted(boolean value) {
        return new StreamOptions(reliable, value, receiveWindow, datagramWindow, sendBuffer, initialPacketSize,
                maxPacketSize, idleTimeout, maxChannels, congestionControl);
    }

    /** How many received bytes one channel may buffer (its credit to the sender); 64 KiB..256 MiB. */
    public StreamOptions receiveWindow(int bytes) {
        check(bytes, 64 << 10, 256 << 20, "receiveWindow");
        return new StreamOptions(reliable, encrypted, bytes, datagramWindow, sendBuffer, initialPacketSize,
                maxPacketSize, idleTimeout, maxChannels, congestionControl);
    }

    /** How many received datagrams one unreliable channel may buffer; 16..1,000,000. */
    public StreamOptions datagramWindow(int count) {
        check(count, 16, 1_000_000, "datagramWindow");
        return new StreamOptions(reliable, encrypted, receiveWindow, count, sendBuffer, initialPacketSize,
                maxPacketSize, idleTimeout, maxChannels, congestionControl);
    }

    /** How many bytes one channel holds unacknowledged or unsent before it stops asking its publisher; 64 KiB..256 MiB. */
    public StreamOptions sendBuffer(int bytes) {
        check(bytes, 64 << 10, 256 << 20, "sendBuffer");
        return new StreamOptions(reliable, encrypted, receiveWindow, datagramWindow, bytes, initialPacketSize,
                maxPacketSize, idleTimeout, maxChannels, congestionControl);
    }

    /**
     * The largest packet the stream may probe up to ({@value #MIN_PACKET_SIZE}..{@value #MAX_PACKET_SIZE}).
     * Set it to 1280 to turn path MTU probing off.
     */
    public StreamOptions maxPacketSize(int bytes) {
        check(bytes, MIN_PACKET_SIZE, MAX_PACKET_SIZE, "maxPacketSize");
        return new StreamOptions(reliable, encrypted, receiveWindow, datagramWindow, sendBuffer,
                Math.min(initialPacketSize, bytes), bytes, idleTimeout, maxChannels, congestionControl);
    }

    /** The stream closes with {@link StreamException.Reason#IDLE_TIMEOUT} after this long without a packet. */
    public StreamOptions idleTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive: " + timeout);
        }
        return new StreamOptions(reliable, encrypted, receiveWindow, datagramWindow, sendBuffer, initialPacketSize,
                maxPacketSize, timeout, maxChannels, congestionControl);
    }

    /** How many channels the peer may open on the stream; 1..65536. */
    public StreamOptions maxChannels(int count) {
        check(count, 1, 65_536, "maxChannels");
        return new StreamOptions(reliable, encrypted, receiveWindow, datagramWindow, sendBuffer, initialPacketSize,
                maxPacketSize, idleTimeout, count, congestionControl);
    }

    /**
     * The congestion controller of this side's sending direction: {@link CongestionControl#CUBIC} by
     * default (it moved 1.2–1.4× NewReno's throughput under the random loss of {@code stream-faults}
     * and ties it on a clean path), {@link CongestionControl#NEWRENO} on request.
     */
    public StreamOptions congestionControl(CongestionControl value) {
        Objects.requireNonNull(value, "congestionControl (NEWRENO or CUBIC)");
        return new StreamOptions(reliable, encrypted, receiveWindow, datagramWindow, sendBuffer, initialPacketSize,
                maxPacketSize, idleTimeout, maxChannels, value);
    }

    public CongestionControl congestionControl() {
        return congestionControl;
    }

    public boolean isReliable() {
        return reliable;
    }

    public boolean isEncrypted() {
        return encrypted;
    }

    public int receiveWindow() {
        return receiveWindow;
    }

    public int datagramWindow() {
        return datagramWindow;
    }

    public int sendBuffer() {
        return sendBuffer;
    }

    /** The packet size every stream starts with (1280 bytes or less). */
    public int initialPacketSize() {
        return initialPacketSize;
    }

    public int maxPacketSize() {
        return maxPacketSize;
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    public int maxChannels() {
        return maxChannels;
    }

    private static void check(int v, int min, int max, String name) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ": " + v);
        }
    }

    @Override
    public String toString() {
        return "StreamOptions[" + (reliable ? "reliable" : "unreliable") + (encrypted ? ", encrypted" : ", PLAIN")
                + ", window=" + receiveWindow + ", sendBuffer=" + sendBuffer + ", maxPacket=" + maxPacketSize + ", cc=" + congestionControl + "]";
    }
}
