package io.reactivecarrier.dht;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.transport.DatagramTransport;
import io.reactivecarrier.wire.Limits;
import io.reactivecarrier.wire.PacketKind;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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
 * <p>IPv6: when the node's socket is IPv6 (bound to {@code ::}, dual stack, or an IPv6 address)
 * it also announces to, and listens on, the link-local group {@link #GROUP6} on every up,
 * multicast-capable interface with an IPv6 address: one announcement per interface (the group
 * with the interface as its scope), so every link the machine is on hears it, where the IPv4
 * announcement leaves by the route's one interface. A dual-stack node uses both groups, an IPv4
 * node only {@link #GROUP}, a node bound to an IPv6 address only {@link #GROUP6}. Announcements
 * to {@link #GROUP6} come from the sender's link-local address ({@code fe80::...%interface}),
 * which is where the announced node is pinged.
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

    /** The IPv4 multicast group (organisation-local scope; announced with TTL 1). */
    public static final String GROUP = "239.192.77.45";
    /**
     * The IPv6 multicast group: link-local scope ({@code ff_2}, never forwarded by a router, the
     * IPv6 form of "this LAN" that TTL 1 gives IPv4), the transient flag ({@code ff1_}: a group
     * id not assigned by IANA, as RFC 4291 asks), and a fixed group id {@code 0x43617272}
     * ("Carr" in ASCII).
     */
    public static final String GROUP6 = "ff12::4361:7272";
    /** The well-known port of the group. */
    public static final int PORT = 33_448;
    /** How often a node announces itself. */
    public static final Duration INTERVAL = Duration.ofSeconds(10);
    static final int MAX_PER_SECOND = 20;
    static final Duration REPING_AFTER = Duration.ofSeconds(60);
    static final int LENGTH = 2 + NodeId.LENGTH;

    private final DhtNode dht;
    private final DatagramTransport transport;
    /** Where announcements go: each group joined (an IPv6 group once per interface, as its scope). */
    private final List<InetSocketAddress> targets;
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

    private LanDiscovery(DhtNode dht, DatagramTransport transport, List<String> groupAddresses, int port)
            throws IOException {
        this.dht = dht;
        this.transport = transport;
        InetAddress local = transport.localAddress().getAddress();
        // an IPv4 socket reaches only IPv4 groups; one bound to :: (dual stack) both families; one
        // bound to an IPv6 address only IPv6 groups
        boolean v6 = local instanceof Inet6Address;
        boolean v4 = !v6 || local.isAnyLocalAddress();
        List<InetAddress> groups = new ArrayList<>();
        for (String text : groupAddresses) {
            InetAddress g = InetAddress.getByName(text);
            if (!g.isMulticastAddress()) {
                throw new IllegalArgumentException(text + " is not a multicast address");
            }
            if (g instanceof Inet6Address ? v6 : v4) {
                groups.add(g);
            }
        }
        if (groups.isEmpty()) {
            throw new IOException("the node's socket (" + transport.localAddress() + ") cannot reach "
                    + groupAddresses + ": IPv6 groups need a socket bound to :: or an IPv6 address");
        }
        // one socket listens on all groups (Java's sockets are dual stack unless java.net.preferIPv4Stack)
        this.socket = new MulticastSocket(null);
        List<InetSocketAddress> joined = new ArrayList<>();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(port));
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!usable(ni)) {
                    continue;
                }
                for (InetAddress g : groups) {
                    boolean six = g instanceof Inet6Address;
                    if (six && ni.inetAddresses().noneMatch(a -> a instanceof Inet6Address)) {
                        continue;
                    }
                    InetSocketAddress target = new InetSocketAddress(g, port);
                    try {
                        socket.joinGroup(target, ni);
                    } catch (IOException | RuntimeException e) {
                        log.debug("cannot join {} on {}: {}", g, ni.getName(), e.toString());
                        continue;
                    }
                    if (six) {
                        // link-local scope: the interface is the group's scope, and picks where the packet leaves
                        joined.add(new InetSocketAddress(Inet6Address.getByAddress(null, g.getAddress(), ni), port));
                    } else if (!joined.contains(target)) {
                        joined.add(target); // IPv4: leaves by the route's interface, once
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        if (joined.isEmpty()) {
            socket.close();
            throw new IOException("no multicast-capable interface to join " + groups + " on");
        }
        this.targets = List.copyOf(joined);
        this.reader = new Thread(this::readLoop, "carrier-lan-discovery");
        reader.setDaemon(true);
        reader.start();
        long every = INTERVAL.toMillis();
        this.timer = transport.scheduler().schedulePeriodically(this::announce, 0, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts announcing {@code dht} on the LAN through {@code transport} (the node's socket) and
     * listening for other nodes: on {@link #GROUP} when the socket is IPv4 or dual stack, on
     * {@link #GROUP6} when it is IPv6 or dual stack. Call it off the event loop: it opens a socket.
     *
     * <pre>{@code
     * try (LanDiscovery lan = LanDiscovery.start(dht, transport)) { ... }
     * }</pre>
     *
     * @throws IOException when no interface can join a group
     */
    public static LanDiscovery start(DhtNode dht, DatagramTransport transport) throws IOException {
        return start(dht, transport, List.of(GROUP, GROUP6), PORT);
    }

    /** As {@link #start(DhtNode, DatagramTransport)} with one other group (IPv4 or IPv6) and port. */
    public static LanDiscovery start(DhtNode dht, DatagramTransport transport, String group, int port)
            throws IOException {
        return start(dht, transport, List.of(Objects.requireNonNull(group, "group")), port);
    }

    /**
     * As {@link #start(DhtNode, DatagramTransport)} with other groups and port; the groups the
     * socket's family cannot reach are left out.
     *
     * @throws IOException when the socket reaches none of the groups, or no interface can join one
     */
    public static LanDiscovery start(DhtNode dht, DatagramTransport transport, List<String> groups, int port)
            throws IOException {
        if (port <= 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 1..65535, not " + port);
        }
        return new LanDiscovery(Objects.requireNonNull(dht, "dht"), Objects.requireNonNull(transport, "transport"),
                List.copyOf(groups), port);
    }

    /**
     * Where this node announces itself: each group joined, an IPv6 group once per interface
     * (with the interface as the address's scope).
     */
    public List<InetSocketAddress> groups() {
        return targets;
    }

    private static boolean usable(NetworkInterface ni) {
        try {
            return ni.isUp() && ni.supportsMulticast() && !ni.isLoopback();
        } catch (SocketException e) {
            return false;
        }
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
        for (InetSocketAddress target : targets) {
            ByteBuf b = transport.alloc().buffer(LENGTH);
            b.writeByte(PacketKind.LAN_DISCOVERY.tag()).writeByte(Limits.PROTOCOL_VERSION).writeBytes(dht.id().bytes());
            transport.send(target, b);
        }
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
