package io.reactivecarrier.dht;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.wire.Limits;
import io.reactivecarrier.wire.PacketKind;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * Finds DHT nodes on the same LAN without a bootstrap node: every {@link #INTERVAL} the node sends
 * a {@link PacketKind#LAN_DISCOVERY} packet {@code [kind][version][node id 32]} from its own
 * socket to the multicast group {@link #GROUP}:{@link #PORT} (TTL 1), and listens on that group.
 *
 * <p>An announcement is never trusted: the announced node is only PINGed at the address the
 * packet came from, through the authenticated RPC layer. Only a node that holds the announced id's
 * private key can answer, and only an answer puts it into the routing table, so a spoofed
 * announcement cannot plant an entry. Inbound announcements are rate-limited
 * ({@link #MAX_PER_SECOND} per second) and each node is pinged at most once per
 * {@link #REPING_AFTER}.
 *
 * <p>The listening socket has a dedicated daemon thread (blocking receive, never a Netty event
 * loop); everything else runs on the DHT's scheduler.
 *
 * <pre>{@code
 * try (LanDiscovery lan = LanDiscovery.start(dht, transport)) {   // off the event loop: opens a socket
 *     dht.start().block(Duration.ofSeconds(30));
 *     // ... run the node; lan.received() and lan.pinged() count the announcements
 * }
 * }</pre>
 */
public final class LanDiscovery implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LanDiscovery.class);

    /** The multicast group (organisation-local scope). */
    public static final String GROUP = "239.192.77.45";
    /** The well-known port of the group. */
    public static final int PORT = 33_448;
    /** How often a node announces itself. */
    public static final Duration INTERVAL = Duration.ofSeconds(10);
    static final int MAX_PER_SECOND = 20;
    static final Duration REPING_AFTER = Duration.ofSeconds(60);
    static final int LENGTH = 2 + NodeId.LENGTH;

    private final DhtNode dht;
    private final DatagramTransport transport;
    private final InetSocketAddress group;
    private final MulticastSocket socket;
    private final Thread reader;
    private final Disposable timer;
    private final Map<NodeId, Long> lastPinged = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<NodeId, Long> e) {
            return size() > 1024;
        }
    };
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong pinged = new AtomicLong();
    private final AtomicLong unanswered = new AtomicLong();
    private long windowStart;
    private int inWindow;
    private volatile boolean closed;

    private LanDiscovery(DhtNode dht, DatagramTransport transport, String groupAddress, int port) throws IOException {
        this.dht = dht;
        this.transport = transport;
        InetAddress g = InetAddress.getByName(groupAddress);
        if (!g.isMulticastAddress()) {
            throw new IllegalArgumentException(groupAddress + " is not a multicast address");
        }
        this.group = new InetSocketAddress(g, port);
        this.socket = new MulticastSocket(null);
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(port));
        int joined = 0;
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            try {
                if (ni.isUp() && ni.supportsMulticast() && !ni.isLoopback()) {
                    socket.joinGroup(group, ni);
                    joined++;
                }
            } catch (IOException e) {
                log.debug("cannot join {} on {}: {}", group, ni.getName(), e.toString());
            }
        }
        if (joined == 0) {
            socket.close();
            throw new IOException("no multicast-capable interface to join " + group + " on");
        }
        this.reader = new Thread(this::readLoop, "carrier-lan-discovery");
        reader.setDaemon(true);
        reader.start();
        long every = INTERVAL.toMillis();
        this.timer = transport.scheduler().schedulePeriodically(this::announce, 0, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts announcing {@code dht} on the LAN through {@code transport} (the node's socket) and
     * listening for other nodes. Call it off the event loop: it opens a socket.
     *
     * @throws IOException when no interface can join the group
     */
    public static LanDiscovery start(DhtNode dht, DatagramTransport transport) throws IOException {
        return start(dht, transport, GROUP, PORT);
    }

    /** As {@link #start(DhtNode, DatagramTransport)} with another group and port. */
    public static LanDiscovery start(DhtNode dht, DatagramTransport transport, String group, int port)
            throws IOException {
        return new LanDiscovery(Objects.requireNonNull(dht, "dht"), Objects.requireNonNull(transport, "transport"),
                group, port);
    }

    /** Announcements received (valid or not). */
    public long received() {
        return received.get();
    }

    /** Nodes pinged because they announced themselves. */
    public long pinged() {
        return pinged.get();
    }

    private void announce() {
        if (closed) {
            return;
        }
        ByteBuf b = transport.alloc().buffer(LENGTH);
        b.writeByte(PacketKind.LAN_DISCOVERY.tag()).writeByte(Limits.PROTOCOL_VERSION).writeBytes(dht.id().bytes());
        transport.send(group, b);
    }

    private void readLoop() {
        byte[] buf = new byte[64];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!closed) {
            try {
                p.setLength(buf.length);
                socket.receive(p);
            } catch (IOException e) {
                if (!closed) {
                    log.debug("LAN discovery socket failed: {}", e.toString());
                }
                return;
            }
            received.incrementAndGet();
            if (p.getLength() != LENGTH || (buf[0] & 0xff) != PacketKind.LAN_DISCOVERY.tag()
                    || (buf[1] & 0xff) != Limits.PROTOCOL_VERSION) {
                continue;
            }
            NodeId id = NodeId.of(Arrays.copyOfRange(buf, 2, LENGTH));
            InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
            try {
                transport.scheduler().schedule(() -> onAnnouncement(id, from));
            } catch (RuntimeException rejected) {
                return; // the node's loop is gone
            }
        }
    }

    private void onAnnouncement(NodeId id, InetSocketAddress from) {
        if (closed || id.equals(dht.id())) {
            return;
        }
        long now = transport.scheduler().now(TimeUnit.MILLISECONDS);
        if (now - windowStart >= 1000) {
            windowStart = now;
            inWindow = 0;
        }
        if (++inWindow > MAX_PER_SECOND) {
            return;
        }
        Long last = lastPinged.get(id);
        if (last != null && now - last < REPING_AFTER.toMillis()) {
            return;
        }
        lastPinged.put(id, now);
        pinged.incrementAndGet();
        // only an authenticated answer puts the node into the routing table
        dht.ping(new NodeInfo(id, from)).subscribe(a -> { }, e -> unanswered.incrementAndGet());
    }

    /** Announced nodes that did not answer the PING (spoofed or gone): never added to the table. */
    public long unanswered() {
        return unanswered.get();
    }

    /** Stops announcing and closes the listening socket. */
    @Override
    public void close() {
        closed = true;
        timer.dispose();
        socket.close();
    }
}
