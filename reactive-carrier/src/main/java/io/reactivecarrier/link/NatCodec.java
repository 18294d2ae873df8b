package io.reactivecarrier.link;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.wire.DecodeException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Bodies of the NAT signalling RPCs and the layouts of the PUNCH and RELAY packets
 * (docs/nat.md). Pure functions with strict limits; every decoder checks lengths before it
 * allocates and rejects trailing bytes.
 */
final class NatCodec {

    /** RPC: a client tells a relay who it is and where it is reachable (and keeps its NAT mapping open). */
    static final int REGISTER = 0x40;
    /** RPC: a client asks a relay to introduce it to a registered user and open a circuit. */
    static final int CONNECT = 0x41;
    /** RPC: a relay tells a registered user that someone wants to connect (punch toward it). */
    static final int INTRODUCE = 0x42;

    static final int OK = 0;
    static final int NOT_FOUND = 1;
    static final int LIMITED = 2;

    /** Most candidate endpoints in one message. */
    static final int MAX_CANDIDATES = 8;
    /** PUNCH: [kind][version][type][token 8]. */
    static final int PUNCH_LENGTH = 11;
    static final int PUNCH_PROBE = 0;
    static final int PUNCH_ACK = 1;
    /** RELAY: [kind][version][circuit 8][inner datagram]. */
    static final int RELAY_HEADER = 10;

    private NatCodec() {
    }

    record Register(UserId user, List<InetSocketAddress> candidates) {
    }

    record Connect(UserId target, UserId self, List<InetSocketAddress> candidates) {
    }

    /** The relay's answer to CONNECT: the circuit for the caller, the punch token, the target's addresses. */
    record Connected(int status, long circuit, long token, InetSocketAddress observed,
            List<InetSocketAddress> candidates) {
    }

    /** INTRODUCE: the initiator, the circuit for the target, the token, the initiator's addresses. */
    record Introduce(UserId from, long circuit, long token, InetSocketAddress observed,
            List<InetSocketAddress> candidates) {
    }

    static byte[] encodeRegister(Register r) {
        ByteBuffer b = ByteBuffer.allocate(32 + addressesSize(r.candidates));
        b.put(r.user.toBytes());
        putAddresses(b, r.candidates);
        return b.array();
    }

    static Register decodeRegister(byte[] body) throws DecodeException {
        ByteBuffer b = ByteBuffer.wrap(body);
        UserId user = readUser(b);
        List<InetSocketAddress> c = readAddresses(b);
        end(b);
        return new Register(user, c);
    }

    static byte[] encodeConnect(Connect c) {
        ByteBuffer b = ByteBuffer.allocate(64 + addressesSize(c.candidates));
        b.put(c.target.toBytes()).put(c.self.toBytes());
        putAddresses(b, c.candidates);
        return b.array();
    }

    static Connect decodeConnect(byte[] body) throws DecodeException {
        ByteBuffer b = ByteBuffer.wrap(body);
        UserId target = readUser(b);
        UserId self = readUser(b);
        List<InetSocketAddress> c = readAddresses(b);
        end(b);
        return new Connect(target, self, c);
    }

    static byte[] encodeStatus(int status) {
        return new byte[] {(byte) status};
    }

    static byte[] encodeConnected(Connected c) {
        if (c.status != OK) {
            return encodeStatus(c.status);
        }
        ByteBuffer b = ByteBuffer.allocate(1 + 16 + addressSize(c.observed) + addressesSize(c.candidates));
        b.put((byte) OK).putLong(c.circuit).putLong(c.token);
        putAddress(b, c.observed);
        putAddresses(b, c.candidates);
        return b.array();
    }

    static Connected decodeConnected(byte[] body) throws DecodeException {
        ByteBuffer b = ByteBuffer.wrap(body);
        need(b, 1);
        int status = b.get() & 0xff;
        if (status != OK) {
            end(b);
            return new Connected(status, 0, 0, null, List.of());
        }
        need(b, 16);
        long circuit = b.getLong();
        long token = b.getLong();
        InetSocketAddress observed = readAddress(b);
        List<InetSocketAddress> c = readAddresses(b);
        end(b);
        return new Connected(OK, circuit, token, observed, c);
    }

    static byte[] encodeIntroduce(Introduce i) {
        ByteBuffer b = ByteBuffer.allocate(32 + 16 + addressSize(i.observed) + addressesSize(i.candidates));
        b.put(i.from.toBytes()).putLong(i.circuit).putLong(i.token);
        putAddress(b, i.observed);
        putAddresses(b, i.candidates);
        return b.array();
    }

    static Introduce decodeIntroduce(byte[] body) throws DecodeException {
        ByteBuffer b = ByteBuffer.wrap(body);
        UserId from = readUser(b);
        need(b, 16);
        long circuit = b.getLong();
        long token = b.getLong();
        InetSocketAddress observed = readAddress(b);
        List<InetSocketAddress> c = readAddresses(b);
        end(b);
        return new Introduce(from, circuit, token, observed, c);
    }

    // ------------------------------------------------------------------ addresses

    private static int addressSize(InetSocketAddress a) {
        return 1 + a.getAddress().getAddress().length + 2;
    }

    private static int addressesSize(List<InetSocketAddress> list) {
        if (list.size() > MAX_CANDIDATES) {
            throw new IllegalArgumentException("at most " + MAX_CANDIDATES + " candidates, got " + list.size());
        }
        int n = 1;
        for (InetSocketAddress a : list) {
            n += addressSize(a);
        }
        return n;
    }

    private static void putAddress(ByteBuffer b, InetSocketAddress a) {
        byte[] ip = a.getAddress().getAddress();
        b.put((byte) (a.getAddress() instanceof Inet4Address ? 4 : 6)).put(ip).putShort((short) a.getPort());
    }

    private static void putAddresses(ByteBuffer b, List<InetSocketAddress> list) {
        b.put((byte) list.size());
        for (InetSocketAddress a : list) {
            putAddress(b, a);
        }
    }

    private static InetSocketAddress readAddress(ByteBuffer b) throws DecodeException {
        need(b, 1);
        int family = b.get();
        int len = family == 4 ? 4 : family == 6 ? 16 : -1;
        if (len < 0) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "address family " + family);
        }
        need(b, len + 2);
        byte[] ip = new byte[len];
        b.get(ip);
        int port = b.getShort() & 0xffff;
        if (port == 0) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "port 0");
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "bad address");
        }
    }

    private static List<InetSocketAddress> readAddresses(ByteBuffer b) throws DecodeException {
        need(b, 1);
        int n = b.get() & 0xff;
        if (n > MAX_CANDIDATES) {
            throw new DecodeException(DecodeException.Reason.OVERSIZED, n + " candidates > " + MAX_CANDIDATES);
        }
        List<InetSocketAddress> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readAddress(b));
        }
        return out;
    }

    private static UserId readUser(ByteBuffer b) throws DecodeException {
        need(b, 32);
        byte[] u = new byte[32];
        b.get(u);
        return UserId.of(u);
    }

    private static void need(ByteBuffer b, int n) throws DecodeException {
        if (b.remaining() < n) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, "needs " + n + " more bytes");
        }
    }

    private static void end(ByteBuffer b) throws DecodeException {
        if (b.hasRemaining()) {
            throw new DecodeException(DecodeException.Reason.TRAILING_BYTES, b.remaining() + " trailing bytes");
        }
    }
}
