package io.reactivecarrier.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema 1 (hex String keys) to schema 2 (binary keys). The fixture {@code store/schema1-node.mv.db}
 * was written by the schema-1 code of main (commit ba7b943) with the program in
 * {@code store/schema1-fixture-generator.java.txt}: identity, two friends, a request, an outbox of
 * five messages of which one was removed and one marked offline, three received ids (one expired),
 * a key-value map and an inbox entry.
 */
class NodeStoreMigrationTest {

    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The generator's ids: n bytes of v, the last one v + 1. */
    private static byte[] filled(int n, int v) {
        byte[] x = new byte[n];
        Arrays.fill(x, (byte) v);
        x[n - 1] = (byte) (v + 1);
        return x;
    }

    private void copyFixture() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/store/schema1-node.mv.db")) {
            assertThat(in).as("test resource store/schema1-node.mv.db").isNotNull();
            Files.copy(in, dir.resolve(NodeStore.STORE_FILE));
        }
    }

    private String schema() {
        MVStore raw = new MVStore.Builder().fileName(dir.resolve(NodeStore.STORE_FILE).toString()).readOnly().open();
        try {
            return raw.<String, String>openMap(StoreMaps.META).get("schema");
        } finally {
            raw.close();
        }
    }

    @Test
    void aSchemaOneStoreIsMigratedOnOpenAndKeepsEverything() throws Exception {
        copyFixture();
        assertThat(schema()).isEqualTo("1");
        NodeStore store = NodeStore.open(dir).block(T);
        try {
            checkContents(store);
            // a new message to bob continues bob's sequence (4 was the last, 2 was removed): never reused
            OutboxEntry e = store.outbox().append(filled(16, 0x50), filled(32, 0xb0), 7000, b("new")).block(T);
            assertThat(e.sequence()).isEqualTo(5);
        } finally {
            store.close().block(T);
        }
        assertThat(schema()).isEqualTo("2");
        NodeStore again = NodeStore.open(dir).block(T); // schema 2 now: opened as is
        try {
            assertThat(again.outbox().pending(filled(32, 0xb0)).map(OutboxEntry::sequence).collectList().block(T))
                    .containsExactly(1L, 3L, 4L, 5L);
            assertThat(again.markReceived(filled(32, 0xb0), filled(16, 0x40), Long.MAX_VALUE).block(T)).isFalse();
        } finally {
            again.close().block(T);
        }
    }

    @Test
    void anInterruptedMigrationIsRedoneFromTheSchemaOneMaps() throws Exception {
        copyFixture();
        // what a crash half-way through a migration leaves: new maps partly filled, schema still 1
        MVStore raw = MVStore.open(dir.resolve(NodeStore.STORE_FILE).toString());
        MVMap<byte[], byte[]> half = StoreMaps.bytesMap(raw, StoreMaps.OUTBOX);
        half.put(new byte[] {1, 2, 3}, new byte[] {4, 5, 6});
        StoreMaps.bytesMap(raw, StoreMaps.KV_PREFIX + "dht.values").put(new byte[] {9}, new byte[] {9});
        raw.close();
        assertThat(schema()).isEqualTo("1");

        NodeStore store = NodeStore.open(dir).block(T);
        try {
            checkContents(store);
        } finally {
            store.close().block(T);
        }
        assertThat(schema()).isEqualTo("2");
    }

    private static void checkContents(NodeStore store) {
        byte[] bob = filled(32, 0xb0);
        assertThat(store.identity().block(T)).hasValueSatisfying(id -> assertThat(id.nospam()).isEqualTo(42));
        assertThat(store.friends().map(FriendRecord::name).collectList().block(T)).containsExactlyInAnyOrder("Bob", "Carol");
        assertThat(store.friend(bob).block(T)).hasValueSatisfying(f -> assertThat(f.label()).isEqualTo("Bobby"));
        assertThat(store.friendRequest(b("dave"), true).block(T))
                .hasValueSatisfying(r -> assertThat(r.hello()).isEqualTo("hello"));

        List<OutboxEntry> bobs = store.outbox().pending(bob).collectList().block(T);
        assertThat(bobs).extracting(OutboxEntry::sequence).containsExactly(1L, 3L, 4L);
        assertThat(bobs).extracting(e -> new String(e.payload(), StandardCharsets.UTF_8))
                .containsExactly("message 1", "message 3", "message 4");
        assertThat(bobs.get(1).state()).isEqualTo("OFFLINE:123");
        assertThat(bobs.get(1).messageId()).isEqualTo(filled(16, 0x13));
        assertThat(store.outbox().pending(b("carol")).collectList().block(T)).singleElement()
                .satisfies(e -> assertThat(e.payload()).isEqualTo(b("to carol")));
        assertThat(store.outbox().pending().count().block(T)).isEqualTo(4);
        assertThat(store.outbox().entry(filled(16, 0x14)).block(T))
                .hasValueSatisfying(e -> assertThat(e.sequence()).isEqualTo(4));
        assertThat(store.outbox().entry(filled(16, 0x12)).block(T)).isEmpty();

        assertThat(store.markReceived(bob, filled(16, 0x40), Long.MAX_VALUE).block(T)).isFalse();
        assertThat(store.markReceived(b("carol"), filled(16, 0x41), Long.MAX_VALUE).block(T)).isFalse();
        assertThat(store.markReceived(b("carol"), filled(16, 0x42), Long.MAX_VALUE).block(T)).isTrue(); // had expired

        KeyValueMap values = store.map("dht.values");
        assertThat(values.scan().map(e -> new String(e.value(), StandardCharsets.UTF_8)).collectList().block(T))
                .containsExactly("v123", "v12ff", "v80"); // unsigned byte order; the expired entry is gone
        assertThat(values.scan(new byte[] {1, 2}).count().block(T)).isEqualTo(2);
        assertThat(values.get(new byte[] {(byte) 0x80}).block(T)).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("v80")));
        assertThat(store.map("message.inbox").get(filled(40, 0xb0)).block(T))
                .hasValueSatisfying(v -> assertThat(v).isEqualTo(b("inbox entry")));
    }
}
