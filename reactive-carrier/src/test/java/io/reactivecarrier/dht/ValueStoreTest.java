package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.dht.DhtCodec.Status;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ValueStoreTest {

    long now = 1_000_000;
    final ValueStorePersistence persistence = ValueStorePersistence.inMemory();
    final Ed25519KeyPair owner = Ed25519KeyPair.fromSeed(new byte[32]);

    ValueStore store(long maxBytes, int perSource) {
        return new ValueStore(maxBytes, perSource, 3_600_000, () -> now, persistence);
    }

    DhtValue imm(String s, long ttl) {
        return DhtValue.immutable(s.getBytes(), now + ttl);
    }

    @Test
    void expiresOnTheDhtClockAndIsCappedByMaxTtl() {
        ValueStore s = store(1 << 20, 100);
        DhtValue v = imm("a", 10_000);
        assertThat(s.put(v, "1.2.3.4", false, 0).status()).isEqualTo(Status.OK);
        assertThat(s.get(v.key())).hasSize(1);
        now += 10_001;
        assertThat(s.get(v.key())).isEmpty();
        DhtValue forever = DhtValue.immutable("b".getBytes(), Long.MAX_VALUE);
        s.put(forever, "1.2.3.4", false, 0);
        now += 3_600_001;
        assertThat(s.get(forever.key())).isEmpty();
        assertThat(s.put(imm("c", -1), "1.2.3.4", false, 0).status()).isEqualTo(Status.EXPIRED);
    }

    @Test
    void boundedByBytes() {
        ValueStore s = store(20_000, 1000);
        Random r = new Random(1);
        for (int i = 0; i < 100; i++) {
            byte[] d = new byte[900];
            r.nextBytes(d);
            s.put(DhtValue.immutable(d, now + 60_000), "10.0.0." + (i % 200), false, 0);
        }
        s.cleanUp();
        assertThat(s.bytes()).isLessThanOrEqualTo(20_000);
        assertThat(s.count()).isBetween(1L, 20L);
    }

    @Test
    void boundedPerSource() {
        ValueStore s = store(1 << 20, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(s.put(imm("x" + i, 60_000), "10.0.0.1", false, 0).status()).isEqualTo(Status.OK);
        }
        assertThat(s.put(imm("x3", 60_000), "10.0.0.1", false, 0).status()).isEqualTo(Status.FULL);
        assertThat(s.put(imm("x3", 60_000), "10.0.0.2", false, 0).status()).isEqualTo(Status.OK);
        // re-storing what it already holds is not a new entry
        assertThat(s.put(imm("x0", 90_000), "10.0.0.1", false, 0).status()).isEqualTo(Status.OK);
    }

    @Test
    void mutableRules() {
        ValueStore s = store(1 << 20, 100);
        byte[] salt = "s".getBytes();
        long exp = now + 60_000;
        assertThat(s.put(DhtValue.mutable(owner, salt, 5, exp, "a".getBytes()), "h", false, 0).status()).isEqualTo(Status.OK);
        assertThat(s.put(DhtValue.mutable(owner, salt, 5, exp, "a".getBytes()), "h", false, 0).status()).isEqualTo(Status.OK);
        assertThat(s.put(DhtValue.mutable(owner, salt, 5, exp, "b".getBytes()), "h", false, 0).status()).isEqualTo(Status.STALE_SEQ);
        assertThat(s.put(DhtValue.mutable(owner, salt, 4, exp, "b".getBytes()), "h", false, 0).status()).isEqualTo(Status.STALE_SEQ);
        assertThat(s.put(DhtValue.mutable(owner, salt, 7, exp, "c".getBytes()), "h", true, 4)).isEqualTo(new ValueStore.Result(Status.CAS_MISMATCH, 5));
        assertThat(s.put(DhtValue.mutable(owner, salt, 7, exp, "c".getBytes()), "h", true, 5).status()).isEqualTo(Status.OK);
        DhtValue.Mutable good = DhtValue.mutable(owner, salt, 8, exp, "d".getBytes());
        DhtValue.Mutable forged = new DhtValue.Mutable(good.owner(), salt, 9, exp, good.content(), good.signature());
        assertThat(s.put(forged, "h", false, 0).status()).isEqualTo(Status.BAD_SIGNATURE);
        assertThat(((DhtValue.Mutable) s.get(good.key()).get(0)).seq()).isEqualTo(7);
        // CAS on a key this node does not hold: "nothing" is seq 0
        DhtValue.Mutable other = DhtValue.mutable(owner, "t".getBytes(), 1, exp, "x".getBytes());
        assertThat(s.put(other, "h", true, 3).status()).isEqualTo(Status.CAS_MISMATCH);
        assertThat(s.put(other, "h", true, 0).status()).isEqualTo(Status.OK);
    }

    @Test
    void sealedSetAndSignedDelete() {
        ValueStore s = store(1 << 20, 100);
        Ed25519KeyPair recipient = Ed25519KeyPair.fromSeed(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
        NodeId box = NodeId.sha256("box".getBytes());
        DhtValue.Sealed a = DhtValue.sealed(box, recipient.publicKey(), now + 60_000, "a".getBytes());
        DhtValue.Sealed b = DhtValue.sealed(box, recipient.publicKey(), now + 60_000, "b".getBytes());
        s.put(a, "h", false, 0);
        s.put(b, "h", false, 0);
        assertThat(s.get(box)).hasSize(2);
        assertThat(s.deleteSealed(box, a.entryId(), owner.sign(DhtValue.deleteMessage(box, a.entryId())))).isEqualTo(Status.BAD_SIGNATURE);
        // a signature for another entry does not delete this one
        assertThat(s.deleteSealed(box, a.entryId(), recipient.sign(DhtValue.deleteMessage(box, b.entryId())))).isEqualTo(Status.BAD_SIGNATURE);
        assertThat(s.deleteSealed(box, a.entryId(), recipient.sign(DhtValue.deleteMessage(box, a.entryId())))).isEqualTo(Status.OK);
        assertThat(s.get(box)).hasSize(1);
        assertThat(s.deleteSealed(box, a.entryId(), recipient.sign(DhtValue.deleteMessage(box, a.entryId())))).isEqualTo(Status.NOT_FOUND);
    }

    @Test
    void peerRecordsHighestSeqWins() {
        ValueStore s = store(1 << 20, 100);
        NodeId node = NodeId.sha256("n".getBytes());
        List<InetSocketAddress> eps = List.of(SimNetwork.address(192, 0, 2, 1));
        assertThat(s.putRecord(PeerRecord.create(owner, node, eps, 2, now + 60_000), "h").status()).isEqualTo(Status.OK);
        assertThat(s.putRecord(PeerRecord.create(owner, node, eps, 1, now + 60_000), "h").status()).isEqualTo(Status.STALE_SEQ);
        assertThat(s.putRecord(PeerRecord.create(owner, node, eps, 3, now + 60_000), "h").status()).isEqualTo(Status.OK);
        assertThat(s.records(PeerRecord.keyOf(owner.publicKey()))).singleElement().extracting(PeerRecord::seq).isEqualTo(3L);
        assertThat(s.get(PeerRecord.keyOf(owner.publicKey()))).isEmpty();
    }

    @Test
    void persistedEntriesSurviveARestartAndExpiredOnesAreDropped() {
        ValueStore s = store(1 << 20, 100);
        DhtValue shortLived = imm("short", 1_000);
        DhtValue longLived = imm("long", 100_000);
        DhtValue.Mutable m = DhtValue.mutable(owner, new byte[0], 1, now + 100_000, "m".getBytes());
        s.put(shortLived, "h", false, 0);
        s.put(longLived, "h", false, 0);
        s.put(m, "h", false, 0);
        s.putRecord(PeerRecord.create(owner, m.key(), List.of(SimNetwork.address(192, 0, 2, 1)), 1, now + 100_000), "h");
        now += 5_000;
        ValueStore restarted = store(1 << 20, 100);
        assertThat(restarted.get(longLived.key())).hasSize(1);
        assertThat(restarted.get(m.key())).hasSize(1);
        assertThat(restarted.get(shortLived.key())).isEmpty();
        assertThat(restarted.records(PeerRecord.keyOf(owner.publicKey()))).hasSize(1);
        assertThat(persistence.loadAll()).hasSize(3);
        assertThat(restarted.count()).isEqualTo(3);
    }

    @Test
    void tokensAreBoundToTheAddressAndRotate() {
        StoreTokens t = new StoreTokens(new Random(3), 300_000, 0);
        InetSocketAddress a = SimNetwork.address(192, 0, 2, 1);
        InetSocketAddress b = new InetSocketAddress(a.getAddress(), 1234);
        byte[] tok = t.issue(a, 0);
        assertThat(t.valid(tok, a, 1)).isTrue();
        assertThat(t.valid(tok, b, 1)).isFalse();
        assertThat(t.valid(tok, a, 300_000)).isTrue(); // previous secret still accepted
        assertThat(t.valid(tok, a, 600_000)).isFalse();
        assertThat(t.valid(t.issue(a, 600_000), a, 700_000)).isTrue();
        assertThat(t.valid(tok, a, 10_000_000)).isFalse();
    }
}
