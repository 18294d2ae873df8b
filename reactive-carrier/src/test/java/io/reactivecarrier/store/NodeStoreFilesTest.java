package io.reactivecarrier.store;

import io.reactivecarrier.testing.ChildJvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data directory: its lock (in this JVM and across processes), corrupted and foreign files. */
class NodeStoreFilesTest {

    private static final Duration T = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @TempDir
    Path logs;

    @Test
    void aDirectoryHeldInThisJvmOrAnotherIsRefused() throws Exception {
        NodeStore store = NodeStore.open(dir).block(T);
        try {
            assertThatThrownBy(() -> NodeStore.open(dir).block(T))
                    .isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining(dir.toRealPath().toString())
                    .hasMessageContaining("another running node");
            // the refused attempt did not release our lock: another process is refused too
            try (ChildJvm child = new ChildJvm(StoreChildProcess.class, ChildJvm.LEAN, logs.resolve("child.err"), null, "probe",
                    dir.toString())) {
                String line = child.next(60);
                assertThat(line).startsWith("LOCKED ").contains(dir.toRealPath().toString());
            }
        } finally {
            store.close().block(T);
        }
        NodeStore.open(dir).flatMap(NodeStore::close).block(T);
    }

    @Test
    void aDirectoryHeldByAnotherProcessIsRefusedUntilItExits() throws Exception {
        try (ChildJvm child = new ChildJvm(StoreChildProcess.class, ChildJvm.LEAN, logs.resolve("child.err"), null, "hold", dir.toString())) {
            assertThat(child.next(60)).isEqualTo("READY");
            assertThatThrownBy(() -> NodeStore.open(dir).block(T))
                    .isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining(dir.toRealPath().toString())
                    .hasMessageContaining("pid " + child.process.pid());
            child.process.getOutputStream().close(); // the child closes its store and exits
            assertThat(child.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        NodeStore.open(dir).flatMap(NodeStore::close).block(T);
    }

    @Test
    void aFileOfRandomBytesIsRefusedAndLeftUntouched() throws Exception {
        Path file = dir.resolve(NodeStore.STORE_FILE);
        byte[] junk = new byte[64 * 1024];
        new Random(1).nextBytes(junk);
        Files.write(file, junk);
        String before = sha256(file);
        assertThatThrownBy(() -> NodeStore.open(dir).block(T))
                .isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining(file.toRealPath().toString())
                .hasMessageContaining("move it away or restore it from a backup");
        assertThat(sha256(file)).isEqualTo(before);
        // the lock was released on failure
        Files.delete(file);
        NodeStore.open(dir).flatMap(NodeStore::close).block(T);
    }

    @Test
    void aStoreWithDamagedHeadersIsRefusedAndLeftUntouched() throws Exception {
        NodeStore.open(dir).flatMap(s -> s.setProfile(new StoredProfile("me", "")).then(s.close())).block(T);
        Path file = dir.resolve(NodeStore.STORE_FILE);
        byte[] data = Files.readAllBytes(file);
        byte[] junk = new byte[8192];
        new Random(3).nextBytes(junk);
        System.arraycopy(junk, 0, data, 0, Math.min(junk.length, data.length));
        Files.write(file, data);
        String before = sha256(file);
        assertThatThrownBy(() -> NodeStore.open(dir).block(T)).isInstanceOf(StoreCorruptedException.class);
        assertThat(sha256(file)).isEqualTo(before);
    }

    @Test
    void aForeignStoreIsRefusedAndLeftUntouched() throws Exception {
        Path file = dir.resolve(NodeStore.STORE_FILE);
        MVStore other = MVStore.open(file.toString());
        other.openMap("data").put("x", "y");
        other.close();
        String before = sha256(file);
        assertThatThrownBy(() -> NodeStore.open(dir).block(T))
                .isInstanceOf(ForeignStoreException.class)
                .hasMessageContaining(file.toRealPath().toString())
                .hasMessageContaining("not a reactive-carrier node store");
        assertThat(sha256(file)).isEqualTo(before);
    }

    @Test
    void aStoreWithAnotherMagicOrANewerSchemaIsRefused() throws Exception {
        Path file = dir.resolve(NodeStore.STORE_FILE);
        MVStore other = MVStore.open(file.toString());
        other.<String, String>openMap("meta").put("magic", "something else");
        other.close();
        assertThatThrownBy(() -> NodeStore.open(dir).block(T)).isInstanceOf(ForeignStoreException.class)
                .hasMessageContaining("something else");

        Files.delete(file);
        NodeStore.open(dir).flatMap(NodeStore::close).block(T);
        MVStore ours = MVStore.open(file.toString());
        ours.<String, String>openMap("meta").put("schema", "99");
        ours.close();
        assertThatThrownBy(() -> NodeStore.open(dir).block(T)).isInstanceOf(ForeignStoreException.class)
                .hasMessageContaining("newer version");
    }

    @Test
    void anEmptyFileIsTreatedAsNew() throws Exception {
        Files.createFile(dir.resolve(NodeStore.STORE_FILE));
        NodeStore.open(dir).flatMap(s -> s.setProfile(new StoredProfile("me", "")).then(s.close())).block(T);
        assertThat(NodeStore.open(dir).flatMap(s -> s.profile().flatMap(p -> s.close().thenReturn(p))).block(T))
                .isEqualTo(new StoredProfile("me", ""));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
