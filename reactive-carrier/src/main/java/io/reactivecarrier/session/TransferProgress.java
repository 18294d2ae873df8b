package io.reactivecarrier.session;

import java.time.Duration;

/**
 * How far a file transfer is.
 *
 * @param bytes bytes of the file the receiver has (sender: bytes sent so far, counting the resumed part)
 * @param total the file's size
 * @param resumedFrom the offset this attempt started from (0 for a fresh transfer)
 * @param bytesPerSecond the recent rate
 * @param eta the estimated time left ({@link Duration#ZERO} when done, null while unknown)
 * @param done whether the file is complete and verified
 *
 * <pre>{@code
 * node.files().send(friend, Path.of("video.mkv"))
 *         .subscribe(p -> System.out.printf("%d of %d bytes, %.0f B/s, eta %s%s%n",
 *                 p.bytes(), p.total(), p.bytesPerSecond(), p.eta(), p.done() ? " (verified)" : ""));
 * }</pre>
 */
public record TransferProgress(long bytes, long total, long resumedFrom, double bytesPerSecond, Duration eta,
        boolean done) {
}
