package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.dht.DhtValue;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.PeerRecord;
import io.reactivecarrier.store.StoreLockedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/** Whole nodes on real UDP sockets on loopback. */
class CarrierNodeTest {

    private static final Duration T = Duration.ofSeconds(30);

    @RegisterExtension
    final TestNodes nodes = new TestNodes(T);

    private CarrierNode start(String name, CarrierNode... bootstrap) {
        return nodes.start(name, bootstrap);
    }

    @Test
    void nodesJoinFindEachOtherAndShareValues() {
        CarrierNode boot = start("boot");
        List<CarrierNode> peers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            peers.add(start("n" + i, boot));
        }
        CarrierNode a = peers.get(0);
        CarrierNode b = peers.get(5);

        List<NodeInfo> found = a.dht().findNode(b.nodeId()).block(T);
        assertThat(found).extracting(NodeInfo::id).contains(b.nodeId());

        DhtValue.Immutable value = DhtValue.immutable("hello, DHT".getBytes(StandardCharsets.UTF_8),
                System.currentTimeMillis() + 600_000);
        assertThat(a.dht().storeValue(value).block(T)).isPositive();
        List<DhtValue> got = b.dht().findValue(value.key()).block(T);
        assertThat(got).hasSize(1);

        PeerRecord record = b.dht().findPeer(a.userId().toBytes()).block(T);
        assertThat(record).isNotNull();
        assertThat(record.nodeId()).isEqualTo(a.nodeId());
        assertThat(record.endpoints()).contains(a.localAddress());
    }

    @Test
    void aWholeSealedSetIsReadPageByPage() {
        CarrierNode boot = start("boot");
        CarrierNode a = start("a", boot);
        CarrierNode b = start("b", boot);
        io.reactivecarrier.dht.NodeId mailbox = io.reactivecarrier.dht.NodeId.sha256("mailbox".getBytes());
        byte[] recipient = b.userId().toBytes();
        int count = 40; // about 40 KB: far more than one datagram
        Flux.range(0, count)
                .concatMap(i -> {
                    byte[] data = new byte[900];
                    data[0] = (byte) (int) i;
                    return a.dht().storeValue(DhtValue.sealed(mailbox, recipient,
                            System.currentTimeMillis() + 600_000, data));
                })
                .then().block(T);
        List<DhtValue.Sealed> all = b.dht().sealedEntries(mailbox).collectList().block(T);
        assertThat(all).hasSize(count);
        assertThat(all).extracting(v -> (int) v.data()[0]).containsExactlyInAnyOrderElementsOf(
                java.util.stream.IntStream.range(0, count).boxed().toList());
    }

    @Test
    void mailboxItemsAreSealedToTheRecipientAndDeletedByThem() throws Exception {
        CarrierNode boot = start("boot");
        CarrierNode a = start("a", boot);
        CarrierNode b = start("b", boot);
        CarrierNode c = start("c", boot);
        io.reactivecarrier.dht.Mailbox fromA = io.reactivecarrier.dht.Mailbox.of(a.dht(), identity(a));
        for (int i = 0; i < 3; i++) {
            assertThat(fromA.deposit(b.userId().toBytes(), 0x42, ("item " + i).getBytes(StandardCharsets.UTF_8),
                    Duration.ofMinutes(5)).block(T)).isPositive();
        }
        io.reactivecarrier.dht.Mailbox bobs = io.reactivecarrier.dht.Mailbox.of(b.dht(), identity(b));
        List<io.reactivecarrier.dht.Mailbox.Item> items = bobs.fetch().collectList().block(T);
        assertThat(items).extracting(i -> new String(i.body(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder("item 0", "item 1", "item 2");
        assertThat(items).allSatisfy(i -> {
            assertThat(i.type()).isEqualTo(0x42);
            assertThat(i.sender()).isEqualTo(a.userId().toBytes());
        });
        // the storing nodes hold only ciphertext: no plaintext in what they return
        List<DhtValue.Sealed> raw = c.dht().sealedEntries(io.reactivecarrier.dht.Mailbox.keyOf(b.userId().toBytes()))
                .collectList().block(T);
        assertThat(raw).hasSize(3).allSatisfy(v -> assertThat(new String(v.data(), StandardCharsets.ISO_8859_1))
                .doesNotContain("item"));
        assertThat(bobs.delete(items.get(0).entryId()).block(T)).isPositive();
        assertThat(bobs.fetch().collectList().block(T)).hasSize(2);
    }

    /** The identity of a started node, read from its store (tests only: the API never exposes it). */
    private static io.reactivecarrier.crypto.Ed25519KeyPair identity(CarrierNode node) throws Exception {
        java.lang.reflect.Method m = node.getClass().getDeclaredMethod("identityForTests");
        m.setAccessible(true);
        return (io.reactivecarrier.crypto.Ed25519KeyPair) m.invoke(node);
    }

    @Test
    void identityAndAddressSurviveARestart() {
        CarrierNode first = start("alice");
        String address = first.address().toString();
        String nodeId = first.nodeId().toHex();
        first.stop().block(T);
        CarrierNode again = start("alice");
        assertThat(again.address().toString()).isEqualTo(address);
        assertThat(again.nodeId().toHex()).isEqualTo(nodeId);
    }

    @Test
    void stopSavesTheRoutingTableBeforeClosingTheStore() throws Exception {
        CarrierNode boot = start("boot");
        CarrierNode a = start("a", boot);
        start("b", boot);
        org.awaitility.Awaitility.await().atMost(T).until(() -> a.dht().findNode(boot.nodeId()).block(T).size() >= 2);
        a.stop().block(T);
        // every step of stop runs in order: the snapshot is written while the store is still open
        io.reactivecarrier.store.NodeStore store = io.reactivecarrier.store.NodeStore.open(nodes.dir().resolve("a")).block(T);
        try {
            byte[] snapshot = store.map("node").get("dht.snapshot".getBytes(StandardCharsets.US_ASCII)).block(T)
                    .orElseThrow(() -> new AssertionError("no routing-table snapshot after stop"));
            assertThat(io.reactivecarrier.dht.RoutingSnapshot.decode(snapshot)).isNotEmpty();
        } finally {
            store.close().block(T);
        }
    }

    @Test
    void stopDuringStartStopsWhatTheStartStartedAndReleasesTheDataDirectory() {
        CarrierNode node = Carrier.builder().dataDir(nodes.dir().resolve("early")).bindHost("127.0.0.1").build();
        node.start().subscribe(v -> { }, e -> { });
        node.stop().block(T); // right after the start was subscribed: the start is still under way
        assertThat(node.isRunning()).isFalse();
        io.reactivecarrier.store.NodeStore store = io.reactivecarrier.store.NodeStore.open(nodes.dir().resolve("early"))
                .block(T); // StoreLockedException if the start's store were left open
        store.close().block(T);
    }

    @Test
    void aDataDirectoryHeldByARunningNodeIsRefused() {
        start("held");
        CarrierNode second = Carrier.builder().dataDir(nodes.dir().resolve("held")).bindHost("127.0.0.1").build();
        assertThatThrownBy(() -> second.start().block(T))
                .isInstanceOf(StoreLockedException.class)
                .hasMessageContaining("held");
    }

    @Test
    void apiMisuseFailsFastWithAnExplanation() {
        CarrierNode node = Carrier.builder().dataDir(nodes.dir().resolve("x")).build();
        assertThatThrownBy(node::address).hasMessageContaining("start()");
        assertThatThrownBy(() -> Carrier.builder().bootstrap("127.0.0.1:1"))
                .hasMessageContaining("host:port/nodeIdHex");
        assertThatThrownBy(() -> Carrier.builder().bindPort(70000)).hasMessageContaining("0..65535");
    }
}
