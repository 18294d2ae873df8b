package io.reactivecarrier.session;

import static io.reactivecarrier.testing.TestFiles.randomFile;
import static io.reactivecarrier.testing.TestFiles.sha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** File transfers between two friends on real loopback UDP. */
class FileTransfersUdpTest {

    static final Duration TIMEOUT = Friends.TIMEOUT;

    @TempDir
    Path dir;

    final Friends friends = new Friends();

    @AfterEach
    void tearDown() {
        friends.close();
    }

    /** Waits, looking every millisecond, until the partial file {@code part} holds {@code bytes}. */
    static void awaitPartFile(Path part, long bytes) {
        Awaitility.await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(1))
                .until(() -> Files.exists(part) && Files.size(part) >= bytes);
    }

    static FileTransferException.Reason reasonOf(Throwable e) {
        return e instanceof FileTransferException f ? f.reason() : null;
    }

    @Test
    void aLargeFileArrivesByteExact() throws Exception {
        long size = Long.getLong("files.bytes", 1L << 30); // the issue asks for 1 GiB; -Dfiles.bytes=268435456 for a quicker run
        Friends.Node[] n = friends.pair();
        FileTransfers sender = FileTransfers.create(n[0].sessions);
        FileTransfers receiver = FileTransfers.create(n[1].sessions);
        Path src = randomFile(dir.resolve("big.bin"), size, 1);
        Path dst = dir.resolve("in").resolve("big.bin");
        List<TransferProgress> seen = new ArrayList<>();
        Mono<TransferProgress> received = receiver.incoming().next()
                .doOnNext(f -> {
                    assertThat(f.name()).isEqualTo("big.bin");
                    assertThat(f.size()).isEqualTo(size);
                })
                .flatMap(f -> f.accept(dst).last())
                .cache();
        received.subscribe();
        TransferProgress last = sender.send(n[1].id(), src).doOnNext(seen::add).blockLast(TIMEOUT.multipliedBy(3));
        assertThat(last.done()).isTrue();
        assertThat(last.bytes()).isEqualTo(size);
        assertThat(last.total()).isEqualTo(size);
        assertThat(seen).hasSizeGreaterThan(1);
        assertThat(received.block(TIMEOUT).done()).isTrue();
        assertThat(Files.size(dst)).isEqualTo(size);
        assertThat(sha(dst)).isEqualTo(sha(src));
        assertThat(dst.resolveSibling("big.bin.part")).doesNotExist();
        assertThat(dst.resolveSibling("big.bin.part.meta")).doesNotExist();
    }

    @Test
    void anInterruptedTransferResumesFromTheReceivedOffsetAfterARestart() throws Exception {
        long size = 64L << 20;
        Friends.Node[] n = friends.pair();
        FileTransfers sender = FileTransfers.create(n[0].sessions);
        FileTransfers receiver = FileTransfers.create(n[1].sessions);
        Path src = randomFile(dir.resolve("movie.bin"), size, 2);
        Path dst = dir.resolve("movie.bin.received");
        AtomicReference<Throwable> receiverError = new AtomicReference<>();
        AtomicReference<FileTransfers.IncomingFile> offer = new AtomicReference<>();
        receiver.incoming().next()
                .doOnNext(offer::set)
                .flatMapMany(f -> f.accept(dst))
                .subscribe(null, receiverError::set);
        Mono<TransferProgress> sent = sender.send(n[1].id(), src).last().cache();
        sent.subscribe(null, e -> { });
        // once 8 MiB are on disk the receiver pauses (nothing more is written, credit stops the
        // sender), so the transfer is cut mid-way however fast this machine moves 64 MiB
        Path part = dst.resolveSibling("movie.bin.received.part");
        awaitPartFile(part, 8 << 20);
        offer.get().pause();
        // the receiving node stops mid-transfer, in the order a CarrierNode stops: its file
        // transfers first (they fail INTERRUPTED), then its sessions, links and socket
        receiver.close().block(TIMEOUT);
        n[1].stop();
        assertThatThrownBy(() -> sent.block(TIMEOUT))
                .matches(e -> reasonOf(e) == FileTransferException.Reason.INTERRUPTED, "interrupted");
        assertThat(part).exists();
        assertThat(dst.resolveSibling("movie.bin.received.part.meta")).exists();
        Awaitility.await().atMost(TIMEOUT).until(() -> receiverError.get() != null);
        // a write already under way when the transfer broke off may still land: wait until the part stops growing
        long[] size1 = {-1};
        Awaitility.await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(300))
                .until(() -> size1[0] == (size1[0] = Files.size(part)));
        long had = size1[0];
        assertThat(reasonOf(receiverError.get())).isEqualTo(FileTransferException.Reason.INTERRUPTED);
        assertThat(had).isGreaterThanOrEqualTo(8 << 20).isLessThan(size);

        Friends.Node b2 = n[1].restart();
        FileTransfers receiver2 = FileTransfers.create(b2.sessions);
        b2.links.connect(n[0].id()).block(TIMEOUT); // a restarted node links up with its friends again
        Mono<TransferProgress> resumed = receiver2.incoming().next().flatMap(f -> f.accept(dst).last()).cache();
        resumed.subscribe();
        TransferProgress last = sender.send(b2.id(), src).blockLast(TIMEOUT);
        assertThat(last.done()).isTrue();
        assertThat(last.resumedFrom()).isPositive().isLessThanOrEqualTo(had);
        assertThat(resumed.block(TIMEOUT).resumedFrom()).isEqualTo(last.resumedFrom());
        assertThat(sha(dst)).isEqualTo(sha(src));
        assertThat(part).doesNotExist();
    }

    @Test
    void pausedOnBothSidesAndResumedStillCompletes() throws Exception {
        long size = 24L << 20;
        Friends.Node[] n = friends.pair();
        FileTransfers sender = FileTransfers.create(n[0].sessions);
        FileTransfers receiver = FileTransfers.create(n[1].sessions);
        Path src = randomFile(dir.resolve("p.bin"), size, 3);
        Path dst = dir.resolve("p.out");
        AtomicReference<FileTransfers.IncomingFile> in = new AtomicReference<>();
        Mono<TransferProgress> received = receiver.incoming().next().doOnNext(in::set)
                .flatMap(f -> f.accept(dst).last()).cache();
        received.subscribe();
        FileTransfers.FileTransfer out = sender.transfer(n[1].id(), src);
        out.pause(); // paused before it starts: nothing is read until resumed
        Mono<TransferProgress> sent = out.progress().last().cache();
        sent.subscribe();
        Awaitility.await().atMost(TIMEOUT).until(() -> in.get() != null);
        in.get().pause();
        out.resume();
        Awaitility.await().pollDelay(Duration.ofMillis(500)).atMost(TIMEOUT).until(() -> true);
        assertThat(Files.exists(dst)).isFalse();
        in.get().resume();
        assertThat(sent.block(TIMEOUT).done()).isTrue();
        assertThat(received.block(TIMEOUT).done()).isTrue();
        assertThat(sha(dst)).isEqualTo(sha(src));
    }

    @Test
    void theSenderCancels() throws Exception {
        Friends.Node[] n = friends.pair();
        FileTransfers sender = FileTransfers.create(n[0].sessions);
        FileTransfers receiver = FileTransfers.create(n[1].sessions);
        Path src = randomFile(dir.resolve("c.bin"), 64L << 20, 4);
        Path dst = dir.resolve("c.out");
        Mono<TransferProgress> received = receiver.incoming().next().flatMap(f -> f.accept(dst).last()).cache();
        received.subscribe(null, e -> { });
        FileTransfers.FileTransfer out = sender.transfer(n[1].id(), src);
        out.progress().subscribe(null, e -> { });
        // cancelled once 4 MiB are on the receiver's disk (watched closely: progress samples come every
        // 250 ms, and a fast machine moves all 64 MiB in less)
        awaitPartFile(dst.resolveSibling("c.out.part"), 4 << 20);
        out.cancel();
        assertThatThrownBy(() -> received.block(TIMEOUT))
                .matches(e -> reasonOf(e) == FileTransferException.Reason.CANCELLED, "cancelled")
                .hasMessageContaining("cancelled by the sender");
        Awaitility.await().atMost(TIMEOUT).until(() -> !Files.exists(dst.resolveSibling("c.out.part")));
        assertThat(dst).doesNotExist();
    }

    @Test
    void theReceiverCancels() throws Exception {
        Friends.Node[] n = friends.pair();
        FileTransfers sender = FileTransfers.create(n[0].sessions);
        FileTransfers receiver = FileTransfers.create(n[1].sessions);
        Path src = randomFile(dir.resolve("r.bin"), 64L << 20, 5);
        Path dst = dir.resolve("r.out");
        AtomicReference<FileTransfers.IncomingFile> offer = new AtomicReference<>();
        receiver.incoming().next().doOnNext(offer::set).flatMapMany(f -> f.accept(dst)).subscribe(null, e -> { });
        Mono<TransferProgress> sent = sender.send(n[1].id(), src).last().cache();
        sent.subscribe(null, e -> { });
        awaitPartFile(dst.resolveSibling("r.out.part"), 4 << 20);
        offer.get().cancel();
        assertThatThrownBy(() -> sent.block(TIMEOUT))
                .matches(e -> reasonOf(e) == FileTransferException.Reason.CANCELLED, "cancelled")
                .hasMessageContaining("cancelled by the receiver");
        Awaitility.await().atMost(TIMEOUT).until(() -> !Files.exists(dst.resolveSibling("r.out.part")));
        assertThat(dst).doesNotExist();
    }

    @Test
    void aRefusedTransferFailsWithTheReason() throws Exception {
        Friends.Node[] n = friends.pair();
        FileTransfers sender = FileTransfers.create(n[0].sessions);
        FileTransfers receiver = FileTransfers.create(n[1].sessions);
        Path src = randomFile(dir.resolve("x.bin"), 1 << 20, 6);
        receiver.incoming().flatMap(f -> f.refuse("no thanks")).subscribe();
        assertThatThrownBy(() -> sender.send(n[1].id(), src).blockLast(TIMEOUT))
                .matches(e -> reasonOf(e) == FileTransferException.Reason.REFUSED, "refused")
                .hasMessageContaining("no thanks");
    }

    @Test
    void aHashMismatchFailsAndKeepsNothingUnderTheFinalName() throws Exception {
        long size = 4L << 20;
        Friends.Node[] n = friends.pair();
        FileTransfers sender = FileTransfers.create(n[0].sessions);
        FileTransfers receiver = FileTransfers.create(n[1].sessions);
        Path src = randomFile(dir.resolve("h.bin"), size, 7);
        Path dst = dir.resolve("h.out");
        // a partial file that claims to be this file but holds other bytes
        randomFile(dst.resolveSibling("h.out.part"), 1 << 20, 99);
        Properties p = new Properties();
        p.setProperty("sha256", HexFormat.of().formatHex(sha(src)));
        p.setProperty("size", String.valueOf(size));
        try (var w = Files.newBufferedWriter(dst.resolveSibling("h.out.part.meta"))) {
            p.store(w, null);
        }
        Mono<TransferProgress> received = receiver.incoming().next().flatMap(f -> f.accept(dst).last()).cache();
        received.subscribe(null, e -> { });
        assertThatThrownBy(() -> sender.send(n[1].id(), src).blockLast(TIMEOUT))
                .matches(e -> reasonOf(e) == FileTransferException.Reason.CORRUPTED, "corrupted");
        assertThatThrownBy(() -> received.block(TIMEOUT))
                .matches(e -> reasonOf(e) == FileTransferException.Reason.CORRUPTED, "corrupted");
        assertThat(dst).doesNotExist();
        assertThat(dst.resolveSibling("h.out.part")).doesNotExist();
    }

    @Test
    void severalTransfersAtOnce() throws Exception {
        Friends.Node[] n = friends.pair();
        FileTransfers sender = FileTransfers.create(n[0].sessions);
        FileTransfers receiver = FileTransfers.create(n[1].sessions);
        int count = 4;
        List<Path> srcs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            srcs.add(randomFile(dir.resolve("m" + i + ".bin"), (3L << 20) + i * 12_345, 10 + i));
        }
        Path out = Files.createDirectories(dir.resolve("out"));
        Mono<List<TransferProgress>> received = receiver.incoming().take(count)
                .flatMap(f -> f.accept(out.resolve(f.name())).last()).collectList().cache();
        received.subscribe();
        List<TransferProgress> sent = Flux.fromIterable(srcs).flatMap(s -> sender.send(n[1].id(), s).last())
                .collectList().block(TIMEOUT);
        assertThat(sent).hasSize(count).allMatch(TransferProgress::done);
        assertThat(received.block(TIMEOUT)).hasSize(count).allMatch(TransferProgress::done);
        for (Path s : srcs) {
            assertThat(sha(out.resolve(s.getFileName()))).isEqualTo(sha(s));
        }
    }
}
