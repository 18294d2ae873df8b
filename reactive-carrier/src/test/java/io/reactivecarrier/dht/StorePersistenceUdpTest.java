package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.store.NodeStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * Values a node agreed to hold survive its restart: a holder on real UDP persists through
 * {@link StorePersistence} into its {@link NodeStore} (writes from the event loop, which
 * BlockHound watches in this suite), is stopped and its store closed right after the last STORE
 * was answered, then restarts from the same store and serves every value again.
 */
class StorePersistenceUdpTest {

    static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    final List<UdpDhtNode> nodes = new ArrayList<>();
    final List<NodeStore> stores = new ArrayList<>();

    @AfterEach
    void closeAll() {
        Flux.fromIterable(nodes).flatMap(UdpDhtNode::close).then().block(T);
        Flux.fromIterable(stores).flatMap(NodeStore::close).then().block(T);
    }

    UdpDhtNode start(X25519KeyPair key, int port, DhtOptions options) {
        UdpDhtNode n = UdpDhtNode.create(key, port, options).block(T);
        nodes.add(n);
        n.dht().start().block(T);
        return n;
    }

    @Test
    void heldValuesSurviveARestart() {
        NodeStore store = NodeStore.open(dir).block(T);
        stores.add(store);
        X25519KeyPair holderKey = X25519KeyPair.generate();
        UdpDhtNode holder = start(holderKey, 0, DhtOptions.defaults().persistence(StorePersistence.load(store).block(T)));
        UdpDhtNode client = start(X25519KeyPair.generate(), 0, DhtOptions.defaults().bootstrap(List.of(holder.info())));

        long exp = System.currentTimeMillis() + 600_000;
        List<DhtValue.Immutable> values = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            DhtValue.Immutable v = DhtValue.immutable(("value " + i).getBytes(StandardCharsets.UTF_8), exp);
            values.add(v);
            assertThat(client.dht().storeValue(v).block(T)).as("holders of value %d", i).isEqualTo(1);
        }
        Ed25519KeyPair owner = Ed25519KeyPair.generate();
        byte[] salt = "s".getBytes(StandardCharsets.UTF_8);
        for (int seq = 1; seq <= 5; seq++) {
            assertThat(client.dht().storeValue(DhtValue.mutable(owner, salt, seq, exp, ("m" + seq).getBytes())).block(T))
                    .isEqualTo(1);
        }

        // stop the holder and close its store at once: the writes queued before the close still land
        holder.close().block(T);
        nodes.remove(holder);
        store.close().block(T);
        stores.remove(store);

        NodeStore reopened = NodeStore.open(dir).block(T);
        stores.add(reopened);
        StorePersistence loaded = StorePersistence.load(reopened).block(T);
        List<StoredEntry> entries = new ArrayList<>();
        loaded.loadAll().forEach(entries::add);
        assertThat(entries).hasSize(41); // 40 immutable + the latest mutable (each newer seq replaced the older)

        int port = holder.transport().localAddress().getPort();
        start(holderKey, port, DhtOptions.defaults().persistence(loaded));
        for (DhtValue.Immutable v : values) {
            List<DhtValue> found = client.dht().findValue(v.key()).block(T);
            assertThat(found).extracting(DhtValue::data).containsExactly(v.data());
        }
        List<DhtValue> mutable = client.dht().findValue(DhtValue.Mutable.keyOf(owner.publicKey(), salt)).block(T);
        assertThat(mutable).hasSize(1);
        assertThat(((DhtValue.Mutable) mutable.get(0)).seq()).isEqualTo(5);
    }
}
