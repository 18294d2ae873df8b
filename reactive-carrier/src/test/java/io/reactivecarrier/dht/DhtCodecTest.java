package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.Hex;
import io.reactivecarrier.wire.DecodeException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class DhtCodecTest {

    interface Decoder {
        Object decode(byte[] body) throws DecodeException;
    }

    static final List<Decoder> DECODERS = List.of(
            b -> {
                DhtCodec.decodePing(b);
                return null;
            },
            DhtCodec::decodePong, DhtCodec::decodeTarget, DhtCodec::decodeNodes, DhtCodec::decodeValues,
            DhtCodec::decodeStore, DhtCodec::decodeStoreResult, DhtCodec::decodeAnnounce, DhtCodec::decodePeers,
            DhtCodec::decodeDelete);

    static final Ed25519KeyPair OWNER = Ed25519KeyPair.fromSeed(new byte[32]);

    // ------------------------------------------------------------------ generators

    static InetSocketAddress address(Random r) {
        byte[] ip = new byte[r.nextBoolean() ? 4 : 16];
        r.nextBytes(ip);
        if (ip.length == 16) {
            ip[0] = 0x20; // never IPv4-mapped
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), 1 + r.nextInt(65535));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static List<NodeInfo> nodes(Random r, int max) {
        List<NodeInfo> out = new ArrayList<>();
        int n = r.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            out.add(new NodeInfo(NodeId.random(r), address(r)));
        }
        return out;
    }

    static DhtValue value(Random r) {
        long exp = r.nextLong() & Long.MAX_VALUE;
        byte[] data = bytes(r, r.nextInt(r.nextBoolean() ? 40 : DhtValue.MAX_DATA_BYTES + 1));
        switch (r.nextInt(3)) {
            case 0:
                return new DhtValue.Immutable(data, exp);
            case 1:
                return new DhtValue.Mutable(bytes(r, 32), bytes(r, r.nextInt(33)), r.nextLong() & Long.MAX_VALUE, exp,
                        data, bytes(r, 64));
            default:
                return new DhtValue.Sealed(NodeId.random(r), bytes(r, 32), exp, data);
        }
    }

    static PeerRecord record(Random r) {
        List<InetSocketAddress> eps = new ArrayList<>();
        int n = 1 + r.nextInt(PeerRecord.MAX_ENDPOINTS);
        for (int i = 0; i < n; i++) {
            eps.add(address(r));
        }
        return new PeerRecord(bytes(r, 32), NodeId.random(r), eps, r.nextLong() & Long.MAX_VALUE,
                r.nextLong() & Long.MAX_VALUE, bytes(r, 64));
    }

    /** A random valid body of a random message, encoded. */
    static byte[] randomMessage(Random r) {
        byte[] token = bytes(r, 8);
        switch (r.nextInt(10)) {
            case 0:
                return DhtCodec.encodePing();
            case 1:
                return DhtCodec.encodePong(address(r));
            case 2:
                return DhtCodec.encodeTarget(NodeId.random(r));
            case 3:
                return DhtCodec.encodeNodes(new DhtCodec.Nodes(token, nodes(r, 20)));
            case 4: {
                List<DhtValue> vs = new ArrayList<>();
                if (r.nextBoolean()) {
                    vs.add(value(r));
                }
                return DhtCodec.encodeValues(new DhtCodec.Values(token, nodes(r, 3), vs));
            }
            case 5:
                return DhtCodec.encodeStore(new DhtCodec.Store(token, r.nextBoolean(), r.nextLong() & Long.MAX_VALUE, value(r)));
            case 6:
                return DhtCodec.encodeStoreResult(new DhtCodec.StoreResult(
                        DhtCodec.Status.values()[r.nextInt(DhtCodec.Status.values().length)], r.nextLong()));
            case 7:
                return DhtCodec.encodeAnnounce(new DhtCodec.Announce(token, record(r)));
            case 8:
                return DhtCodec.encodePeers(new DhtCodec.Peers(token, nodes(r, 8), r.nextBoolean() ? List.of(record(r)) : List.of()));
            default:
                return DhtCodec.encodeDelete(new DhtCodec.DeleteSealed(token, NodeId.random(r), NodeId.random(r), bytes(r, 64)));
        }
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 300)
    void roundTrip(@ForAll long seed) throws DecodeException {
        Random r = new Random(seed);
        byte[] token = bytes(r, 8);
        List<NodeInfo> ns = nodes(r, 20);
        assertThat(DhtCodec.encodeNodes(DhtCodec.decodeNodes(DhtCodec.encodeNodes(new DhtCodec.Nodes(token, ns)))))
                .isEqualTo(DhtCodec.encodeNodes(new DhtCodec.Nodes(token, ns)));
        assertThat(DhtCodec.decodeNodes(DhtCodec.encodeNodes(new DhtCodec.Nodes(token, ns))).nodes()).isEqualTo(ns);
        InetSocketAddress a = address(r);
        assertThat(DhtCodec.decodePong(DhtCodec.encodePong(a))).isEqualTo(a);
        NodeId t = NodeId.random(r);
        assertThat(DhtCodec.decodeTarget(DhtCodec.encodeTarget(t))).isEqualTo(t);
        DhtValue v = value(r);
        DhtCodec.Store s = new DhtCodec.Store(token, r.nextBoolean(), r.nextLong() & Long.MAX_VALUE, v);
        byte[] enc = DhtCodec.encodeStore(s);
        DhtCodec.Store back = DhtCodec.decodeStore(enc);
        assertThat(DhtCodec.encodeStore(back)).isEqualTo(enc);
        assertThat(back.value().key()).isEqualTo(v.key());
        assertThat(back.value().entryId()).isEqualTo(v.entryId());
        byte[] vals = DhtCodec.encodeValues(new DhtCodec.Values(token, nodes(r, 2), List.of(value(r))));
        assertThat(DhtCodec.encodeValues(DhtCodec.decodeValues(vals))).isEqualTo(vals);
        PeerRecord rec = record(r);
        byte[] ann = DhtCodec.encodeAnnounce(new DhtCodec.Announce(token, rec));
        DhtCodec.Announce annBack = DhtCodec.decodeAnnounce(ann);
        assertThat(annBack.record().signedBytes()).isEqualTo(rec.signedBytes());
        assertThat(DhtCodec.encodeAnnounce(annBack)).isEqualTo(ann);
        byte[] peers = DhtCodec.encodePeers(new DhtCodec.Peers(token, nodes(r, 4), List.of(rec, record(r))));
        assertThat(DhtCodec.encodePeers(DhtCodec.decodePeers(peers))).isEqualTo(peers);
        byte[] del = DhtCodec.encodeDelete(new DhtCodec.DeleteSealed(token, t, NodeId.random(r), bytes(r, 64)));
        assertThat(DhtCodec.encodeDelete(DhtCodec.decodeDelete(del))).isEqualTo(del);
        DhtCodec.StoreResult sr = new DhtCodec.StoreResult(DhtCodec.Status.CAS_MISMATCH, r.nextLong());
        assertThat(DhtCodec.decodeStoreResult(DhtCodec.encodeStoreResult(sr))).isEqualTo(sr);
    }

    @Property(tries = 500)
    void randomBytesOnlyEverThrowDecodeException(@ForAll @Size(max = 1300) byte[] input) {
        for (Decoder d : DECODERS) {
            decodeQuietly(d, input);
        }
    }

    @Property(tries = 500)
    void bitFlippedAndTruncatedMessagesOnlyEverThrowDecodeException(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] m = randomMessage(r);
        byte[] flipped = m.clone();
        if (flipped.length > 0) {
            for (int i = 0; i < 1 + r.nextInt(4); i++) {
                int bit = r.nextInt(flipped.length * 8);
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            }
        }
        byte[] truncated = java.util.Arrays.copyOf(m, m.length == 0 ? 0 : r.nextInt(m.length));
        byte[] extended = java.util.Arrays.copyOf(m, m.length + 1 + r.nextInt(3));
        for (Decoder d : DECODERS) {
            decodeQuietly(d, flipped);
            decodeQuietly(d, truncated);
            decodeQuietly(d, extended);
        }
    }

    static void decodeQuietly(Decoder d, byte[] input) {
        try {
            d.decode(input);
        } catch (DecodeException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Test
    void limitsAreCheckedBeforeAllocation() {
        assertThatThrownBy(() -> DhtCodec.decodeNodes(new byte[1300]))
                .isInstanceOfSatisfying(DecodeException.class, e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.OVERSIZED));
        byte[] manyNodes = new byte[9];
        manyNodes[8] = (byte) 200;
        assertThatThrownBy(() -> DhtCodec.decodeNodes(manyNodes))
                .isInstanceOfSatisfying(DecodeException.class, e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.OVERSIZED));
        byte[] trailing = java.util.Arrays.copyOf(DhtCodec.encodeTarget(NodeId.of(new byte[32])), 33);
        assertThatThrownBy(() -> DhtCodec.decodeTarget(trailing))
                .isInstanceOfSatisfying(DecodeException.class, e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.TRAILING_BYTES));
        // an immutable value claiming 1001 bytes of data
        byte[] store = new DhtCodec.Out().bytes(new byte[8]).u8(0).u8(1).u64(1).u16(1001).bytes(new byte[1001]).toArray();
        assertThatThrownBy(() -> DhtCodec.decodeStore(store))
                .isInstanceOfSatisfying(DecodeException.class, e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.OVERSIZED));
    }

    @Test
    void oversizedValueIsRefusedNamingTheLimit() {
        assertThatThrownBy(() -> DhtValue.immutable(new byte[1001], 0))
                .isInstanceOf(ValueTooLargeException.class)
                .hasMessageContaining("1000 bytes").hasMessageContaining("MAX_DATA_BYTES");
        assertThatThrownBy(() -> DhtValue.mutable(OWNER, new byte[33], 1, 0, new byte[1]))
                .isInstanceOf(ValueTooLargeException.class).hasMessageContaining("MAX_SALT_BYTES");
    }

    @Test
    void largestStoreFitsOneDatagramWithEnvelope() {
        DhtValue v = DhtValue.mutable(OWNER, new byte[32], 1, 1, new byte[DhtValue.MAX_DATA_BYTES]);
        byte[] body = DhtCodec.encodeStore(new DhtCodec.Store(new byte[8], true, 0, v));
        assertThat(body.length + 100).isLessThanOrEqualTo(1280);
        assertThat(body.length).isLessThanOrEqualTo(DhtCodec.MAX_BODY);
    }

    @Test
    void signaturesVerify() {
        DhtValue.Mutable m = DhtValue.mutable(OWNER, "salt".getBytes(), 5, 1000, "hello".getBytes());
        assertThat(m.verify()).isTrue();
        DhtValue.Mutable forged = new DhtValue.Mutable(m.owner(), m.salt(), 6, m.expiresAt(), m.content(), m.signature());
        assertThat(forged.verify()).isFalse();
        PeerRecord rec = PeerRecord.create(OWNER, NodeId.of(new byte[32]), List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9)), 1, 2);
        assertThat(rec.verify()).isTrue();
        PeerRecord bad = new PeerRecord(rec.userId(), rec.nodeId(), rec.endpoints(), 2, rec.expiresAt(), rec.signature());
        assertThat(bad.verify()).isFalse();
    }

    // ------------------------------------------------------------------ documented vectors

    static java.util.Map<String, byte[]> vectors() throws UnknownHostException {
        java.util.Map<String, byte[]> v = new java.util.LinkedHashMap<>();
        byte[] token = Hex.decode("0102030405060708");
        NodeId id = NodeId.fromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        InetSocketAddress a4 = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 33445);
        InetSocketAddress a6 = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 443);
        NodeInfo n = new NodeInfo(id, a4);
        v.put("PING", DhtCodec.encodePing());
        v.put("PONG", DhtCodec.encodePong(a4));
        v.put("FIND_NODE", DhtCodec.encodeTarget(id));
        v.put("NODES", DhtCodec.encodeNodes(new DhtCodec.Nodes(token, List.of(n, new NodeInfo(id, a6)))));
        v.put("FIND_VALUE", DhtCodec.encodeTarget(id));
        v.put("VALUES", DhtCodec.encodeValues(new DhtCodec.Values(token, List.of(n),
                List.of(DhtValue.immutable("hi".getBytes(), 1000)))));
        DhtValue.Mutable m = DhtValue.mutable(OWNER, "s".getBytes(), 7, 1000, "v".getBytes());
        v.put("STORE_VALUE", DhtCodec.encodeStore(new DhtCodec.Store(token, true, 6, m)));
        v.put("STORE_RESULT", DhtCodec.encodeStoreResult(new DhtCodec.StoreResult(DhtCodec.Status.OK, 7)));
        PeerRecord rec = PeerRecord.create(OWNER, id, List.of(a4), 1, 1000);
        v.put("ANNOUNCE_PEER", DhtCodec.encodeAnnounce(new DhtCodec.Announce(token, rec)));
        v.put("FIND_PEER", DhtCodec.encodeTarget(NodeId.of(OWNER.publicKey())));
        v.put("PEERS", DhtCodec.encodePeers(new DhtCodec.Peers(token, List.of(), List.of(rec))));
        DhtValue.Sealed sealed = DhtValue.sealed(id, OWNER.publicKey(), 1000, "x".getBytes());
        v.put("DELETE_SEALED", DhtCodec.encodeDelete(new DhtCodec.DeleteSealed(token, id, sealed.entryId(),
                OWNER.sign(DhtValue.deleteMessage(id, sealed.entryId())))));
        return v;
    }

    @Test
    void documentedVectorsMatch() throws Exception {
        java.nio.file.Path doc = java.nio.file.Path.of("..", "docs", "protocol", "dht.md");
        String text = java.nio.file.Files.readString(doc);
        java.util.regex.Matcher mt = java.util.regex.Pattern.compile("(?m)^vector ([A-Z_]+): ?([0-9a-f]*)$").matcher(text);
        java.util.Map<String, String> documented = new java.util.HashMap<>();
        while (mt.find()) {
            documented.put(mt.group(1), mt.group(2));
        }
        java.util.Map<String, byte[]> actual = vectors();
        StringBuilder expectedText = new StringBuilder();
        actual.forEach((k, b) -> expectedText.append("vector ").append(k).append(": ").append(Hex.encode(b)).append('\n'));
        assertThat(documented).as("vectors in docs/protocol/dht.md; expected:\n" + expectedText).hasSize(actual.size());
        actual.forEach((k, b) -> assertThat(documented.get(k)).as(k).isEqualTo(Hex.encode(b)));
    }
}
