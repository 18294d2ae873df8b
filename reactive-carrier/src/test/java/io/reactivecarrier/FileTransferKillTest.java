package io.reactivecarrier;

import static io.reactivecarrier.testing.TestFiles.randomFile;
import static io.reactivecarrier.testing.TestFiles.sha;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.session.FileTransferException;
import io.reactivecarrier.session.TransferProgress;
import io.reactivecarrier.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * A file transfer to a node in another JVM that is killed (SIGKILL) mid-way: a new process on the
 * same data directory accepts the file again, the transfer resumes from the length of the partial
 * file, and the result is byte-exact, with nothing ever under the final name before it is verified.
 */
class FileTransferKillTest {

    private static final Duration T = Duration.ofSeconds(120);

    @RegisterExtension
    final TestNodes nodes = new TestNodes(T, b -> b
            .friendOptions(FriendOptions.create().reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4))));

    @TempDir
    Path dir;

    @Test
    void killDashNineOfTheReceiverThenAResumeFromThePartialFile() throws Exception {
        long size = Long.getLong("files.kill.bytes", 128L << 20);
        long killAt = Math.min(16L << 20, size / 4);
        // a bootstrap node holds the peer records, as in any network of more than two
        CarrierNode bootNode = nodes.start("boot");
        CarrierNode alice = nodes.start("alice", bootNode);
        Path src = randomFile(dir.resolve("movie.bin"), size, 42);
        Path data = dir.resolve("bob");
        Path target = dir.resolve("downloads").resolve("movie.bin");
        Path part = target.resolveSibling("movie.bin.part");
        Path meta = target.resolveSibling("movie.bin.part.meta");
        String boot = bootNode.bootstrapInfo().toString();

        long had;
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        UserId bob;
        try (ChildJvm child = receiver(1, data.toString(), boot, target.toString(), alice.userId().toString())) {
            Address address = Address.parse(child.await("READY ", 120, FileTransferKillTest::failOnChildError).substring("READY ".length()));
            bob = address.userId();
            alice.friends().request(address, "files for you").block(T);
            child.await("ONLINE", 120, FileTransferKillTest::failOnChildError);
            awaitOnline(alice, bob);
            Mono<TransferProgress> first = alice.files().send(bob, src).last()
                    .doOnError(firstError::set).cache();
            first.subscribe(null, e -> { });
            // watched every millisecond: SIGKILL once the receiver's partial file holds killAt bytes
            Awaitility.await().atMost(T).pollInterval(Duration.ofMillis(1))
                    .until(() -> Files.exists(part) && Files.size(part) >= killAt);
            List<String> rest = child.kill();
            assertThat(rest).as("the receiver was killed before it finished").noneMatch(l -> l.startsWith("DONE "));
        }
        had = Files.size(part); // the process is gone: nothing writes to it any more
        assertThat(had).isGreaterThanOrEqualTo(killAt).isLessThan(size);
        assertThat(meta).exists();
        assertThat(target).as("nothing under the final name before verification").doesNotExist();

        // the receiver's process restarts at once, as a supervisor would restart it
        try (ChildJvm child = receiver(2, data.toString(), boot, target.toString(), alice.userId().toString())) {
            Address again = Address.parse(child.await("READY ", 120, FileTransferKillTest::failOnChildError).substring("READY ".length()));
            assertThat(again.userId()).as("the same identity from the same data directory").isEqualTo(bob);
            // the sender's attempt fails as interrupted (once its link to the killed process died or was replaced)
            Awaitility.await().atMost(T).until(() -> firstError.get() != null);
            assertThat(firstError.get()).isInstanceOf(FileTransferException.class)
                    .matches(e -> ((FileTransferException) e).reason() == FileTransferException.Reason.INTERRUPTED,
                            "INTERRUPTED");
            child.await("ONLINE", 120, FileTransferKillTest::failOnChildError); // the friendship came from its store; the link is up again
            awaitOnline(alice, bob);
            // the application sends again; the receiver accepts to the same path and answers with what it has
            TransferProgress last = alice.files().send(bob, src).blockLast(T.multipliedBy(3));
            assertThat(last.done()).isTrue();
            assertThat(last.bytes()).isEqualTo(size);
            assertThat(last.resumedFrom()).as("resumed from the partial file, not from 0")
                    .isPositive().isEqualTo(had);
            String started = child.await("STARTED ", 120, FileTransferKillTest::failOnChildError);
            assertThat(started).isEqualTo("STARTED " + had);
            assertThat(child.await("DONE ", 120, FileTransferKillTest::failOnChildError)).isEqualTo("DONE " + had + " " + size);
        }
        assertThat(Files.size(target)).isEqualTo(size);
        assertThat(sha(target)).isEqualTo(sha(src));
        assertThat(part).doesNotExist();
        assertThat(meta).doesNotExist();
    }

    /** The child's stderr, kept under target/ for a failed run. */
    private static Path errFile(int run) throws IOException {
        return Files.createDirectories(Path.of("target", "file-kill-child")).resolve("child-" + run + ".err");
    }

    private static void awaitOnline(CarrierNode node, UserId friend) {
        Awaitility.await().atMost(T).until(() -> node.friends().isFriend(friend)
                && node.friends().presence(friend).isOnline());
    }

    /** A {@link FileReceiverChild} in another JVM; its stdout is kept beside its stderr under target/. */
    private static ChildJvm receiver(int run, String... args) throws IOException {
        Path err = errFile(run);
        return new ChildJvm(FileReceiverChild.class, List.of("-XX:+UseSerialGC", "-Xmx256m"), err,
                err.resolveSibling("child-" + run + ".out"), args);
    }

    /** Fails at once on a line where the child reports a failure (log lines share stdout and are skipped). */
    private static void failOnChildError(String line) {
        if (line.startsWith("FAILED ") || line.startsWith("ACCEPT-FAILED ")) {
            throw new AssertionError("the child: " + line);
        }
    }
}
