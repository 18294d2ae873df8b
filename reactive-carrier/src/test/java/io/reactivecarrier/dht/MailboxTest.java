package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.IdentityAgreement;
import io.reactivecarrier.crypto.SealedBox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The mailbox envelope: sealed to the recipient, signed by the sender, bound to both. */
class MailboxTest {

    private static final Duration T = Duration.ofSeconds(10);

    private final Ed25519KeyPair alice = Ed25519KeyPair.generate();
    private final Ed25519KeyPair bob = Ed25519KeyPair.generate();
    private final Ed25519KeyPair carol = Ed25519KeyPair.generate();
    private final MemoryDht dht = new MemoryDht();

    @Test
    void anItemArrivesWithItsTypeAndVerifiedSender() {
        Mailbox.of(dht, alice).deposit(bob.publicKey(), 0x10, bytes("hello bob"), Duration.ofHours(1)).block(T);
        List<Mailbox.Item> items = Mailbox.of(dht, bob).fetch().collectList().block(T);
        assertThat(items).singleElement().satisfies(i -> {
            assertThat(i.type()).isEqualTo(0x10);
            assertThat(i.sender()).isEqualTo(alice.publicKey());
            assertThat(new String(i.body(), StandardCharsets.UTF_8)).isEqualTo("hello bob");
        });
        // carol's mailbox is another key; nothing of bob's opens there
        assertThat(Mailbox.of(dht, carol).fetch().collectList().block(T)).isEmpty();
    }

    @Test
    void aForgedSenderIsDropped() {
        // mallory seals to bob an item that claims to come from alice, signed with mallory's key
        Ed25519KeyPair mallory = Ed25519KeyPair.generate();
        byte[] body = bytes("send money");
        byte[] plain = new byte[34 + body.length + 64];
        plain[0] = 1;
        plain[1] = 0x10;
        System.arraycopy(alice.publicKey(), 0, plain, 2, 32);
        System.arraycopy(body, 0, plain, 34, body.length);
        System.arraycopy(mallory.sign(body), 0, plain, 34 + body.length, 64);
        dht.put(DhtValue.sealed(Mailbox.keyOf(bob.publicKey()), bob.publicKey(), System.currentTimeMillis() + 60_000,
                SealedBox.seal(IdentityAgreement.publicKey(bob.publicKey()), plain,
                        "carrier-mailbox-item-v1".getBytes(StandardCharsets.US_ASCII))));
        assertThat(Mailbox.of(dht, bob).fetch().collectList().block(T)).isEmpty();
    }

    @Test
    void anItemReplayedIntoAnotherMailboxIsDropped() {
        // carol receives an item from alice and re-seals its signed plaintext to bob: the signature
        // names carol as the recipient, so bob rejects it
        Mailbox.of(dht, alice).deposit(carol.publicKey(), 0x10, bytes("for carol"), Duration.ofHours(1)).block(T);
        DhtValue.Sealed toCarol = dht.values.get(0);
        byte[] plain = SealedBox.open(IdentityAgreement.keyPair(carol), toCarol.data(),
                "carrier-mailbox-item-v1".getBytes(StandardCharsets.US_ASCII));
        dht.put(DhtValue.sealed(Mailbox.keyOf(bob.publicKey()), bob.publicKey(), System.currentTimeMillis() + 60_000,
                SealedBox.seal(IdentityAgreement.publicKey(bob.publicKey()), plain,
                        "carrier-mailbox-item-v1".getBytes(StandardCharsets.US_ASCII))));
        assertThat(Mailbox.of(dht, bob).fetch().collectList().block(T)).isEmpty();
        assertThat(Mailbox.of(dht, carol).fetch().collectList().block(T)).hasSize(1);
    }

    @Test
    void anOversizedBodyOrBadTypeFailsBeforeTheNetwork() {
        Mailbox box = Mailbox.of(dht, alice);
        assertThatThrownBy(() -> box.deposit(bob.publicKey(), 1, new byte[Mailbox.MAX_ITEM_BYTES + 1],
                Duration.ofHours(1)).block(T)).isInstanceOf(ValueTooLargeException.class)
                .hasMessageContaining("Mailbox.MAX_ITEM_BYTES");
        assertThatThrownBy(() -> box.deposit(bob.publicKey(), 256, new byte[1], Duration.ofHours(1)).block(T))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..255");
        assertThat(dht.values).isEmpty();
        // the largest body fits in one DHT value
        box.deposit(bob.publicKey(), 1, new byte[Mailbox.MAX_ITEM_BYTES], Duration.ofHours(1)).block(T);
        assertThat(Mailbox.of(dht, bob).fetch().collectList().block(T)).singleElement()
                .satisfies(i -> assertThat(i.body()).hasSize(Mailbox.MAX_ITEM_BYTES));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Sealed values in memory; everything else unsupported. */
    private static final class MemoryDht implements Dht {
        final List<DhtValue.Sealed> values = new CopyOnWriteArrayList<>();

        void put(DhtValue.Sealed v) {
            values.add(v);
        }

        @Override
        public NodeId id() {
            return NodeId.random(new java.util.Random(1));
        }

        @Override
        public Mono<List<NodeInfo>> findNode(NodeId target) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<List<DhtValue>> findValue(NodeId key) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Flux<DhtValue.Sealed> sealedEntries(NodeId key) {
            return Flux.fromIterable(values).filter(v -> v.key().equals(key));
        }

        @Override
        public Mono<Integer> storeValue(DhtValue value) {
            values.add((DhtValue.Sealed) value);
            return Mono.just(1);
        }

        @Override
        public Mono<Integer> storeValue(DhtValue.Mutable value, long expectedSeq) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<Integer> deleteSealed(NodeId key, NodeId entryId, Ed25519KeyPair recipient) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<Integer> announcePeer(PeerRecord record) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<PeerRecord> findPeer(byte[] userId) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Flux<RoutingTableEvent> events() {
            return Flux.empty();
        }
    }
}
