package io.reactivecarrier.dht;

import io.reactivecarrier.wire.DecodeException;
import io.reactivecarrier.wire.DecodeException.Reason;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bodies of the DHT RPCs (the RPC layer below adds transaction id, sender key, encryption).
 * Pure functions over byte arrays, big-endian, strict limits checked before anything is
 * allocated, and {@link DecodeException} for every bad input. Layouts: docs/protocol/dht.md.
 */
final class DhtCodec {

    /** Method numbers of the DHT RPCs (the RPC layer's method field). */
    static final int PING = 0x01;
    static final int FIND_NODE = 0x02;
    static final int FIND_VALUE = 0x03;
    static final int STORE_VALUE = 0x04;
    static final int ANNOUNCE_PEER = 0x05;
    static final int FIND_PEER = 0x06;
    static final int DELETE_SEALED = 0x07;

    static final int TOKEN_LENGTH = 8;
    static final int MAX_NODES = 32;
    static final int MAX_VALUES = 16;
    static final int MAX_RECORDS = 8;
    static final int MAX_BODY = 1280;

    static final int KIND_IMMUTABLE = 1;
    static final int KIND_MUTABLE = 2;
    static final int KIND_SEALED = 3;

    /** Outcome of STORE_VALUE, ANNOUNCE_PEER and DELETE_SEALED. */
    enum Status {
        OK, BAD_TOKEN, TOO_LARGE, STALE_SEQ, CAS_MISMATCH, BAD_SIGNATURE, FULL, EXPIRED, NOT_FOUND;

        static Status of(int code) throws DecodeException {
            if (code < 0 || code >= values().length) {
                throw new DecodeException(Reason.MALFORMED, "unknown status " + code);
            }
            return values()[code];
        }
    }

    record Nodes(byte[] token, List<NodeInfo> nodes) {
    }

    record Values(byte[] token, List<NodeInfo> nodes, List<DhtValue> values) {
    }

    record Store(byte[] token, boolean cas, long expectedSeq, DhtValue value) {
    }

    record StoreResult(Status status, long seq) {
    }

    record Announce(byte[] token, PeerRecord record) {
    }

    record Peers(byte[] token, List<NodeInfo> nodes, List<PeerRecord> records) {
    }

    record DeleteSealed(byte[] token, NodeId key, NodeId entryId, byte[] signature) {
    }

    private DhtCodec() {
    }

    // ---------------------------------------------------------------- writer / reader

    static final class Out {
        private byte[] buf = new byte[128];
        private int n;

        private void ensure(int more) {
            if (n + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + more));
            }
        }

        Out u8(int v) {
            ensure(1);
            buf[n++] = (byte) v;
            return this;
        }

        Out u16(int v) {
            ensure(2);
            buf[n++] = (byte) (v >>> 8);
            buf[n++] = (byte) v;
            return this;
        }

        Out u64(long v) {
            ensure(8);
            for (int i = 7; i >= 0; i--) {
                buf[n++] = (byte) (v >>> (i * 8));
            }
            return this;
        }

        Out bytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, n, b.length);
            n += b.length;
            return this;
        }

        int size() {
            return n;
        }

        byte[] toArray() {
            return Arrays.copyOf(buf, n);
        }
    }

    static final class In {
        private final byte[] b;
        private int p;

        In(byte[] b) throws DecodeException {
            if (b == null) {
                throw new DecodeException(Reason.TRUNCATED, "no body");
            }
            if (b.length > MAX_BODY) {
                throw new DecodeException(Reason.OVERSIZED, "body of " + b.length + " bytes > " + MAX_BODY);
            }
            this.b = b;
        }

        private void need(int k) throws DecodeException {
            if (b.length - p < k) {
                throw new DecodeException(Reason.TRUNCATED, "need " + k + " bytes at " + p);
            }
        }

        int u8() throws DecodeException {
            need(1);
            return b[p++] & 0xff;
        }

        int u16() throws DecodeException {
            need(2);
            int v = ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
            p += 2;
            return v;
        }

        long u64() throws DecodeException {
            need(8);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (b[p++] & 0xff);
            }
            return v;
        }

        long nonNegative() throws DecodeException {
            long v = u64();
            if (v < 0) {
                throw new DecodeException(Reason.MALFORMED, "negative 64-bit field");
            }
            return v;
        }

        byte[] bytes(int k) throws DecodeException {
            need(k);
            byte[] out = Arrays.copyOfRange(b, p, p + k);
            p += k;
            return out;
        }

        void end() throws DecodeException {
            if (p != b.length) {
                throw new DecodeException(Reason.TRAILING_BYTES, (b.length - p) + " trailing bytes");
            }
        }
    }

    // ---------------------------------------------------------------- pieces

    static void writeAddress(Out o, InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        o.u8(ip instanceof Inet4Address ? 4 : 6).bytes(ip.getAddress()).u16(a.getPort());
    }

    static InetSocketAddress readAddress(In in) throws DecodeException {
        int family = in.u8();
        int len;
        if (family == 4) {
            len = 4;
        } else if (family == 6) {
            len = 16;
        } else {
            throw new DecodeException(Reason.MALFORMED, "address family " + family);
        }
        byte[] ip = in.bytes(len);
        int port = in.u16();
        if (port == 0) {
            throw new DecodeException(Reason.MALFORMED, "port 0");
        }
        try {
            InetAddress addr = InetAddress.getByAddress(ip);
            if (family == 6 && addr instanceof Inet4Address) {
                throw new DecodeException(Reason.MALFORMED, "IPv4-mapped address in an IPv6 field");
            }
            return new InetSocketAddress(addr, port);
        } catch (UnknownHostException e) {
            throw new DecodeException(Reason.MALFORMED, "bad address");
        }
    }

    static int addressSize(InetSocketAddress a) {
        return a.getAddress() instanceof Inet4Address ? 7 : 19;
    }

    static int nodeSize(NodeInfo n) {
        return NodeId.LENGTH + addressSize(n.address());
    }

    static NodeId readId(In in) throws DecodeException {
        return NodeId.wrap(in.bytes(NodeId.LENGTH));
    }

    static void writeNodes(Out o, List<NodeInfo> nodes) {
        if (nodes.size() > MAX_NODES) {
            throw new IllegalArgumentException("at most " + MAX_NODES + " nodes");
        }
        o.u8(nodes.size());
        for (NodeInfo n : nodes) {
            o.bytes(n.id().raw());
            writeAddress(o, n.address());
        }
    }

    static List<NodeInfo> readNodes(In in) throws DecodeException {
        int count = in.u8();
        if (count > MAX_NODES) {
            throw new DecodeException(Reason.OVERSIZED, count + " nodes > " + MAX_NODES);
        }
        List<NodeInfo> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            NodeId id = readId(in);
            out.add(new NodeInfo(id, readAddress(in)));
        }
        return out;
    }

    static byte[] readToken(In in) throws DecodeException {
        return in.bytes(TOKEN_LENGTH);
    }

    static void writeToken(Out o, byte[] token) {
        if (token.length != TOKEN_LENGTH) {
            throw new IllegalArgumentException("token length");
        }
        o.bytes(token);
    }

    static void writeValue(Out o, DhtValue v) {
        if (v instanceof DhtValue.Immutable i) {
            o.u8(KIND_IMMUTABLE).u64(i.expiresAt()).u16(i.content().length).bytes(i.content());
        } else if (v instanceof DhtValue.Mutable m) {
            o.u8(KIND_MUTABLE).bytes(m.owner()).u8(m.salt().length).bytes(m.salt())
                    .u64(m.seq()).u64(m.expiresAt()).bytes(m.signature()).u16(m.content().length).bytes(m.content());
        } else {
            DhtValue.Sealed s = (DhtValue.Sealed) v;
            o.u8(KIND_SEALED).bytes(s.key().raw()).bytes(s.deleteKey()).u64(s.expiresAt())
                    .u16(s.content().length).bytes(s.content());
        }
    }

    static int valueSize(DhtValue v) {
        Out o = new Out();
        writeValue(o, v);
        return o.size();
    }

    private static byte[] readData(In in) throws DecodeException {
        int len = in.u16();
        if (len > DhtValue.MAX_DATA_BYTES) {
            throw new DecodeException(Reason.OVERSIZED, "value of " + len + " bytes > " + DhtValue.MAX_DATA_BYTES);
        }
        return in.bytes(len);
    }

    static DhtValue readValue(In in) throws DecodeException {
        int kind = in.u8();
        switch (kind) {
            case KIND_IMMUTABLE: {
                long exp = in.nonNegative();
                return new DhtValue.Immutable(readData(in), exp);
            }
            case KIND_MUTABLE: {
                byte[] owner = in.bytes(32);
                int saltLen = in.u8();
                if (saltLen > DhtValue.MAX_SALT_BYTES) {
                    throw new DecodeException(Reason.OVERSIZED, "salt of " + saltLen + " bytes");
                }
                byte[] salt = in.bytes(saltLen);
                long seq = in.nonNegative();
                long exp = in.nonNegative();
                byte[] sig = in.bytes(64);
                return new DhtValue.Mutable(owner, salt, seq, exp, readData(in), sig);
            }
            case KIND_SEALED: {
                NodeId key = readId(in);
                byte[] deleteKey = in.bytes(32);
                long exp = in.nonNegative();
                return new DhtValue.Sealed(key, deleteKey, exp, readData(in));
            }
            default:
                throw new DecodeException(Reason.MALFORMED, "value kind " + kind);
        }
    }

    static void writeRecord(Out o, PeerRecord r) {
        o.bytes(r.userId()).bytes(r.nodeId().raw()).u8(r.endpoints().size());
        for (InetSocketAddress a : r.endpoints()) {
            writeAddress(o, a);
        }
        o.u64(r.seq()).u64(r.expiresAt()).bytes(r.signature());
    }

    static PeerRecord readRecord(In in) throws DecodeException {
        byte[] user = in.bytes(32);
        NodeId node = readId(in);
        int count = in.u8();
        if (count == 0 || count > PeerRecord.MAX_ENDPOINTS) {
            throw new DecodeException(count == 0 ? Reason.MALFORMED : Reason.OVERSIZED, count + " endpoints");
        }
        List<InetSocketAddress> eps = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            eps.add(readAddress(in));
        }
        long seq = in.nonNegative();
        long exp = in.nonNegative();
        return new PeerRecord(user, node, eps, seq, exp, in.bytes(64));
    }

    // ---------------------------------------------------------------- messages

    static byte[] encodePing() {
        return new byte[0];
    }

    static void decodePing(byte[] body) throws DecodeException {
        new In(body).end();
    }

    static byte[] encodePong(InetSocketAddress observed) {
        Out o = new Out();
        writeAddress(o, observed);
        return o.toArray();
    }

    static InetSocketAddress decodePong(byte[] body) throws DecodeException {
        In in = new In(body);
        InetSocketAddress a = readAddress(in);
        in.end();
        return a;
    }

    /** FIND_NODE, FIND_VALUE and FIND_PEER requests: one 32-byte target. */
    static byte[] encodeTarget(NodeId target) {
        return target.bytes();
    }

    static NodeId decodeTarget(byte[] body) throws DecodeException {
        In in = new In(body);
        NodeId id = readId(in);
        in.end();
        return id;
    }

    static byte[] encodeNodes(Nodes m) {
        Out o = new Out();
        writeToken(o, m.token());
        writeNodes(o, m.nodes());
        return o.toArray();
    }

    static Nodes decodeNodes(byte[] body) throws DecodeException {
        In in = new In(body);
        Nodes m = new Nodes(readToken(in), readNodes(in));
        in.end();
        return m;
    }

    static byte[] encodeValues(Values m) {
        if (m.values().size() > MAX_VALUES) {
            throw new IllegalArgumentException("at most " + MAX_VALUES + " values");
        }
        Out o = new Out();
        writeToken(o, m.token());
        writeNodes(o, m.nodes());
        o.u8(m.values().size());
        for (DhtValue v : m.values()) {
            writeValue(o, v);
        }
        return o.toArray();
    }

    static Values decodeValues(byte[] body) throws DecodeException {
        In in = new In(body);
        byte[] token = readToken(in);
        List<NodeInfo> nodes = readNodes(in);
        int count = in.u8();
        if (count > MAX_VALUES) {
            throw new DecodeException(Reason.OVERSIZED, count + " values");
        }
        List<DhtValue> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            values.add(readValue(in));
        }
        in.end();
        return new Values(token, nodes, values);
    }

    static byte[] encodeStore(Store m) {
        Out o = new Out();
        writeToken(o, m.token());
        o.u8(m.cas() ? 1 : 0);
        if (m.cas()) {
            o.u64(m.expectedSeq());
        }
        writeValue(o, m.value());
        return o.toArray();
    }

    static Store decodeStore(byte[] body) throws DecodeException {
        In in = new In(body);
        byte[] token = readToken(in);
        int flags = in.u8();
        if ((flags & ~1) != 0) {
            throw new DecodeException(Reason.MALFORMED, "store flags " + flags);
        }
        boolean cas = flags == 1;
        long expected = cas ? in.nonNegative() : 0;
        DhtValue v = readValue(in);
        in.end();
        return new Store(token, cas, expected, v);
    }

    static byte[] encodeStoreResult(StoreResult r) {
        return new Out().u8(r.status().ordinal()).u64(r.seq()).toArray();
    }

    static StoreResult decodeStoreResult(byte[] body) throws DecodeException {
        In in = new In(body);
        StoreResult r = new StoreResult(Status.of(in.u8()), in.u64());
        in.end();
        return r;
    }

    static byte[] encodeAnnounce(Announce m) {
        Out o = new Out();
        writeToken(o, m.token());
        writeRecord(o, m.record());
        return o.toArray();
    }

    static Announce decodeAnnounce(byte[] body) throws DecodeException {
        In in = new In(body);
        Announce a = new Announce(readToken(in), readRecord(in));
        in.end();
        return a;
    }

    static byte[] encodePeers(Peers m) {
        if (m.records().size() > MAX_RECORDS) {
            throw new IllegalArgumentException("at most " + MAX_RECORDS + " records");
        }
        Out o = new Out();
        writeToken(o, m.token());
        writeNodes(o, m.nodes());
        o.u8(m.records().size());
        for (PeerRecord r : m.records()) {
            writeRecord(o, r);
        }
        return o.toArray();
    }

    static Peers decodePeers(byte[] body) throws DecodeException {
        In in = new In(body);
        byte[] token = readToken(in);
        List<NodeInfo> nodes = readNodes(in);
        int count = in.u8();
        if (count > MAX_RECORDS) {
            throw new DecodeException(Reason.OVERSIZED, count + " records");
        }
        List<PeerRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(readRecord(in));
        }
        in.end();
        return new Peers(token, nodes, records);
    }

    static byte[] encodeDelete(DeleteSealed m) {
        Out o = new Out();
        writeToken(o, m.token());
        return o.bytes(m.key().raw()).bytes(m.entryId().raw()).bytes(m.signature()).toArray();
    }

    static DeleteSealed decodeDelete(byte[] body) throws DecodeException {
        In in = new In(body);
        DeleteSealed d = new DeleteSealed(readToken(in), readId(in), readId(in), in.bytes(64));
        in.end();
        return d;
    }
}
