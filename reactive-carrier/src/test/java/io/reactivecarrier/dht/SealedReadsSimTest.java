package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Repeated reads of one sealed set (a mailbox poll, the relay directory) reuse the closest nodes
 * the first read's lookup found: no FIND_NODE for the key until they are {@link
 * DhtNode#SEALED_CLOSEST_TTL_MS} old or most of them stop answering.
 */
class SealedReadsSimTest {

    final SimNetwork net = new SimNetwork(3, 0, 10, 30);
    final Random random = new Random(5);
    final List<DhtNode> nodes = new ArrayList<>();
    final List<SimNetwork.Transport> transports = new ArrayList<>();

    DhtNode start(int i) {
        SimNetwork.Transport t = net.join(NodeId.random(random), SimNetwork.address(10, 1 + i, 0, 1));
        List<NodeInfo> seeds = transports.isEmpty() ? List.of() : List.of(transports.get(0).info);
        DhtNode n = DhtNode.create(t, DhtOptions.defaults().bootstrap(seeds), new Random(random.nextLong()));
        n.start().subscribe(v -> { }, e -> { });
        net.advance(2_000);
        nodes.add(n);
        transports.add(t);
        return n;
    }

    <T> T await(Mono<T> mono) {
        AtomicReference<T> out = new AtomicReference<>();
        AtomicReference<Throwable> err = new AtomicReference<>();
        mono.subscribe(out::set, err::set);
        net.advance(30_000);
        assertThat(err.get()).isNull();
        return out.get();
    }

    List<String> read(DhtNode reader, NodeId key) {
        List<DhtValue.Sealed> got = await(reader.sealedEntries(key).collectList());
        return got.stream().map(v -> new String(v.data(), StandardCharsets.UTF_8)).sorted().toList();
    }

    int lookupsOf(SimNetwork.Transport reader, NodeId key) {
        return reader.findNodeByTarget.getOrDefault(key, 0);
    }

    @Test
    void fewerThanKClosestNodesAreNotReused() {
        for (int i = 0; i < 8; i++) {
            start(i);
        }
        net.advance(60_000);
        NodeId key = NodeId.random(random);
        SimNetwork.Transport readerT = transports.get(5);
        read(nodes.get(5), key);
        int first = lookupsOf(readerT, key);
        read(nodes.get(5), key);
        assertThat(lookupsOf(readerT, key)).as("a thin set is looked up again (later nodes may be closer)")
                .isGreaterThan(first);
    }

    @Test
    void aRepeatedReadAsksTheClosestNodesWithoutALookupUntilTheyAreOldOrGone() {
        for (int i = 0; i < 40; i++) {
            start(i);
        }
        net.advance(60_000);
        NodeId key = NodeId.random(random);
        DhtNode writer = nodes.get(3);
        DhtNode reader = nodes.get(17);
        SimNetwork.Transport readerT = transports.get(17);
        byte[] deleteKey = Ed25519KeyPair.generate().publicKey();
        long expires = net.scheduler.now(java.util.concurrent.TimeUnit.MILLISECONDS) + 3_600_000;
        assertThat(await(writer.storeValue(DhtValue.sealed(key, deleteKey, expires, "one".getBytes(StandardCharsets.UTF_8)))))
                .isPositive();

        assertThat(read(reader, key)).containsExactly("one");
        int first = lookupsOf(readerT, key);
        assertThat(first).as("the first read looks the key up").isPositive();

        // a second entry, written later: the next read finds it on the remembered nodes, with no lookup
        assertThat(await(writer.storeValue(DhtValue.sealed(key, Ed25519KeyPair.generate().publicKey(), expires,
                "two".getBytes(StandardCharsets.UTF_8))))).isPositive();
        long sentBefore = readerT.sent;
        assertThat(read(reader, key)).containsExactly("one", "two");
        assertThat(lookupsOf(readerT, key)).as("no FIND_NODE for a repeated read").isEqualTo(first);
        assertThat(readerT.sent - sentBefore).as("the repeated read asks the k remembered nodes").isGreaterThanOrEqualTo(15);

        // after the time to live the key is looked up again
        net.advance(DhtNode.SEALED_CLOSEST_TTL_MS);
        assertThat(read(reader, key)).containsExactly("one", "two");
        int second = lookupsOf(readerT, key);
        assertThat(second).as("looked up again once the remembered nodes are old").isGreaterThan(first);

        // most of the remembered nodes leave: that read forgets them, the next one looks the key up
        List<SimNetwork.Transport> closest = new ArrayList<>(transports);
        closest.remove(readerT);
        closest.sort((a, b) -> key.compareDistance(a.id, b.id));
        for (SimNetwork.Transport t : closest.subList(0, 15)) {
            net.leave(t);
        }
        read(reader, key);
        assertThat(lookupsOf(readerT, key)).as("the read with most nodes gone still used them").isEqualTo(second);
        read(reader, key);
        assertThat(lookupsOf(readerT, key)).as("then the key is looked up again").isGreaterThan(second);
    }
}
