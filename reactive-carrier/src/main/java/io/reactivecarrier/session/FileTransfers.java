package io.reactivecarrier.session;

import io.reactivecarrier.core.UserId;
import java.nio.file.Path;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Files between friends over streams. The receiver pulls: it reads from its stream only as fast
 * as it writes to disk, and that demand is the credit the sender waits for. A transfer that is
 * interrupted (the link lost, either process restarted) resumes from what the receiver has when
 * it is sent again and accepted to the same path: the partial file sits at {@code <path>.part}
 * beside a small {@code <path>.part.meta}. The receiver checks SHA-256 at the end and only then
 * moves the file to its final name; a mismatch fails the transfer and deletes the partial file.
 * Disk I/O runs on {@code Schedulers.boundedElastic()}.
 *
 * <pre>{@code
 * FileTransfers files = FileTransfers.create(sessions);
 * files.incoming()
 *      .flatMap(f -> f.accept(downloads.resolve(f.name())))
 *      .subscribe(p -> log.info("{} of {} bytes", p.bytes(), p.total()));
 * friendFiles.send(me, Path.of("video.mkv")).subscribe(p -> log.info("eta {}", p.eta()));
 * }</pre>
 *
 * Create one {@code FileTransfers} per {@link Sessions}: it answers the {@value #SERVICE} streams.
 */
public interface FileTransfers {

    /** The {@link Sessions} service name of file streams. */
    String SERVICE = "files";

    /** File transfers over {@code sessions}. */
    static FileTransfers create(Sessions sessions) {
        return new StreamFileTransfers(sessions);
    }

    /**
     * Sends a file to a friend: subscribing starts the transfer (hash, offer, wait for the friend's
     * answer, send from the offset the friend already has); progress is sampled a few times a
     * second and completes when the friend verified the file. Cancelling the subscription cancels
     * the transfer. Fails with {@link FileTransferException}.
     */
    default Flux<TransferProgress> send(UserId friend, Path file) {
        return transfer(friend, file).progress();
    }

    /** A handle on a transfer to {@code friend} that can also be paused and resumed; nothing happens until {@link FileTransfer#progress()} is subscribed. */
    FileTransfer transfer(UserId friend, Path file);

    /** Files friends offer. Hot; up to 32 offers wait for a subscriber, more are refused. */
    Flux<IncomingFile> incoming();

    /** Cancels every running transfer (partial files are kept for a resume) and stops answering. */
    Mono<Void> close();

    /** A running transfer, seen from either side. */
    interface FileTransfer {

        /** Progress, from the start of this attempt to the verified end. Subscribe once. */
        Flux<TransferProgress> progress();

        /** Pauses the transfer: the sender stops reading the file, the receiver stops reading its stream (so the sender waits). */
        void pause();

        /** Resumes a paused transfer. */
        void resume();

        /** Cancels: the peer sees {@link FileTransferException.Reason#CANCELLED}; the receiver deletes its partial file. */
        void cancel();
    }

    /** A file a friend offers: {@link #accept(Path)} it or {@link #refuse(String)} it. */
    interface IncomingFile extends FileTransfer {

        /** Who offers the file. */
        UserId peer();

        /** The name the sender gave (informational: the receiver chooses the path). */
        String name();

        /** The file's size in bytes. */
        long size();

        /** The file's SHA-256 as the sender computed it. */
        byte[] sha256();

        /**
         * Accepts into {@code target} (resuming from {@code target.part} when it holds a part of
         * this same file): progress as with {@link #progress()}; subscribing starts the transfer.
         */
        Flux<TransferProgress> accept(Path target);

        /** Refuses with a reason the sender sees. */
        Mono<Void> refuse(String reason);
    }
}
