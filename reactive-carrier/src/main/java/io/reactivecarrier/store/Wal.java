package io.reactivecarrier.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's write-ahead log: what makes a transaction durable between two checkpoints of the
 * MVStore file.
 *
 * <p><b>Why.</b> An MVStore commit serializes every page a transaction touched, the paths above
 * them and the store's layout map, then writes a chunk: about 150 µs of CPU and a chunk per commit
 * however small the transaction (a group commit of 25 messages, say). Here a transaction is one
 * appended record of the values it wrote (a few µs), made durable by one {@code fdatasync} that
 * covers every record written before it; the MVStore file is committed only at a
 * checkpoint, when the log has grown (or aged), and whatever was put and removed again between two
 * checkpoints (most of a busy outbox and inbox) is never written to it at all.
 *
 * <p><b>Files.</b> Segments {@code node.wal.<16 hex digits>} in the data directory, numbered
 * upwards, never reused. Record: {@code body length (4, big-endian) | CRC-32C of the rest (4) |
 * record number (8) | body}, the body being a {@link Journal}'s ops. Record numbers run on
 * across segments without a gap.
 *
 * <p><b>Durability and order.</b> One thread ({@code carrier-store-sync-N}) forces the segments,
 * in order, and only then runs the completions handed to {@link #afterDurable}: a transaction's
 * Mono completes when its record, and every record before it, is on disk. A checkpoint takes a
 * snapshot of the MVStore maps on the store thread between two transactions (MVStore's
 * copy-on-write versions: whole transactions only) and starts a new segment; MVStore serializes
 * and writes the snapshot on its own thread while transactions go on, and a checkpoint thread
 * ({@code carrier-store-checkpoint-N}) waits for that, syncs the MVStore file and deletes the
 * segments it covers.
 *
 * <p><b>Recovery.</b> On open, the segments are replayed in order onto the MVStore file's last
 * synced state, which is the state at some checkpoint, i.e. after a prefix of the log: since each
 * record holds the values written, not operations on old values, replaying from any earlier
 * point over it ends in the same state. Replay stops at the first record that is incomplete,
 * fails its CRC or does not carry the next record number (a write torn by a crash, or a later
 * segment that reached the disk before the end of an earlier one): records after it were never
 * forced, so no caller was told they were durable, and a transaction is never replayed without
 * all those before it. Then the store is checkpointed and the segments deleted.
 */
final class Wal {

    static final String PREFIX = "node.wal.";
    /**
     * Largest record: appended and replayed (the message service's batches stay under 8 MiB; a larger
     * transaction fails before anything of it is logged).
     */
    static final int MAX_RECORD = 512 << 20;

    private static final Logger log = LoggerFactory.getLogger(Wal.class);

    /** What runs after the records before it are durable, or fails if they cannot be made so. */
    interface Completion {
        void complete();

        void fail(Throwable cause);
    }

    /** One segment file: written on the store thread, forced on the sync thread. */
    private static final class Segment {
        final long number;
        final Path path;
        final FileChannel channel;
        /** Bytes written (store thread writes, sync thread reads). */
        volatile long written;
        /** Bytes known to be on disk (written by whichever thread forced: the sync thread, or the store thread at a checkpoint). */
        volatile long forced;

        Segment(long number, Path path, FileChannel channel) {
            this.number = number;
            this.path = path;
            this.channel = channel;
        }
    }

    private final Path dir;
    private final ThreadPoolExecutor syncer;
    private final ThreadPoolExecutor checkpointer;
    private final CRC32C crc = new CRC32C();
    static final int HEADER = 16;
    private final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.BIG_ENDIAN);
    /** The number of the next record (store thread). */
    private long nextRecord = 1;
    private Segment current;
    /** Completions handed to the sync thread and not run yet. */
    private final java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();
    /** Set by the sync thread when a force failed: the log cannot promise anything after it. */
    private volatile Throwable failure;

    private Wal(Path dir, long firstSegment, String threadName) throws IOException {
        this.dir = dir;
        this.syncer = thread(threadName);
        this.checkpointer = thread(threadName.replace("-sync-", "-checkpoint-"));
        this.current = open(firstSegment);
    }

    private static ThreadPoolExecutor thread(String name) {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts a log in {@code dir} whose first segment is numbered after every existing one. */
    static Wal start(Path dir, String threadName) throws IOException {
        long last = 0;
        for (Path p : segments(dir)) {
            last = Math.max(last, number(p));
        }
        return new Wal(dir, last + 1, threadName);
    }

    private Segment open(long number) throws IOException {
        Path p = dir.resolve(String.format("%s%016x", PREFIX, number));
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new Segment(number, p, ch);
    }

    /** The segment files in {@code dir}, in order. */
    static List<Path> segments(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path p : s) {
                if (number(p) >= 0) {
                    out.add(p);
                }
            }
        }
        out.sort((a, b) -> Long.compare(number(a), number(b)));
        return out;
    }

    private static long number(Path p) {
        String n = p.getFileName().toString().substring(PREFIX.length());
        if (n.length() != 16) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(n, 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Bytes in the current segment. */
    long size() {
        return current.written;
    }

    /** Appends one record (not durable until {@link #afterDurable} says so). On failure the segment is cut back. */
    void append(byte[] body, int length) throws IOException {
        Throwable f = failure;
        if (f != null) {
            throw new IOException("the write-ahead log failed earlier: " + f, f);
        }
        if (length > MAX_RECORD) { // replay would refuse it: never log what could not be read back
            throw new IOException("a transaction of " + length + " bytes is over the log's limit of " + MAX_RECORD
                    + " bytes; split it into smaller transactions");
        }
        header.clear();
        header.putInt(length).putInt(0).putLong(nextRecord);
        crc.reset();
        crc.update(header.array(), 8, 8);
        crc.update(body, 0, length);
        header.putInt(4, (int) crc.getValue()).flip();
        Segment s = current;
        long at = s.written;
        try {
            ByteBuffer[] out = {header, ByteBuffer.wrap(body, 0, length)};
            long n = 0;
            while (n < HEADER + (long) length) {
                n += s.channel.write(out);
            }
        } catch (IOException | RuntimeException e) {
            try {
                s.channel.truncate(at); // never leave half a record before the next one
                s.channel.position(at);
            } catch (IOException | RuntimeException x) {
                e.addSuppressed(x);
                failure = e;
            }
            throw e;
        }
        s.written = at + HEADER + length;
        nextRecord++;
    }

    /**
     * Runs {@code c} once every record appended so far is on disk: at once on this thread if it
     * already is, else on the sync thread after its next force.
     */
    void afterDurable(Completion c) {
        Segment s = current;
        long target = s.written;
        if (queued.get() == 0 && s.forced >= target && failure == null) {
            c.complete(); // nothing earlier is still waiting: completions stay in order
            return;
        }
        queued.incrementAndGet();
        syncer.execute(() -> {
            try {
                force(s, target);
            } catch (Throwable t) {
                try {
                    c.fail(t);
                } finally {
                    queued.decrementAndGet();
                }
                return;
            }
            try {
                c.complete();
            } finally {
                queued.decrementAndGet(); // only now may a later completion run on the store thread
            }
        });
    }

    /**
     * Forces everything written so far, on the calling thread. A checkpoint does this before it
     * takes its snapshot: the snapshot may reach the disk at any moment after that (MVStore
     * writes it, the OS writes pages back), and a snapshot on disk ahead of the log on disk would
     * be rolled back in part by the replay of the shorter log.
     */
    void forceAll() throws IOException {
        force(current, current.written);
    }

    private void force(Segment s, long target) throws IOException {
        Throwable f = failure;
        if (f != null) {
            throw new IOException("the write-ahead log failed: " + f, f);
        }
        if (s.forced >= target) {
            return; // an earlier force covered it
        }
        long upTo = s.written; // everything written before the force starts is covered by it
        try {
            s.channel.force(false);
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        }
        synchronized (s) { // the store thread (forceAll) and the sync thread both force
            if (upTo > s.forced) {
                s.forced = upTo;
            }
        }
    }

    /**
     * Starts a new segment. The old one is forced and closed on the sync thread; then, on the
     * checkpoint thread, {@code afterOld} runs (wait for the checkpoint to be written, sync the
     * MVStore file) and, if it succeeds, the segments up to the old one are deleted. The sync
     * thread never waits for a checkpoint: the log's fsyncs go on meanwhile.
     */
    void rotate(ThrowingRunnable afterOld) throws IOException {
        Segment old = current;
        current = open(old.number + 1);
        syncer.execute(() -> {
            try {
                force(old, old.written);
                old.channel.close();
            } catch (Throwable t) {
                log.warn("log segment {} could not be closed: {}", old.path, t.toString());
                return;
            }
            checkpointer.execute(() -> {
                try {
                    afterOld.run();
                    for (Path p : segments(dir)) {
                        if (number(p) <= old.number) {
                            Files.deleteIfExists(p);
                        }
                    }
                } catch (Throwable t) {
                    log.warn("checkpoint of {} not finished (its log segments are kept and replayed on the next"
                            + " open): {}", dir, t.toString());
                }
            });
        });
    }

    /** Work that may throw, run on the checkpoint thread. */
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * Waits for the sync and checkpoint threads to finish what they were given, closes the
     * current segment and, if {@code deleteAll}, deletes every segment (the caller has just
     * checkpointed and synced).
     */
    void close(boolean deleteAll) throws IOException {
        syncer.shutdown();
        try {
            if (!syncer.awaitTermination(60, TimeUnit.SECONDS)) {
                log.warn("the write-ahead log of {} did not finish syncing within 60 s", dir);
            }
            checkpointer.shutdown();
            if (!checkpointer.awaitTermination(60, TimeUnit.SECONDS)) {
                log.warn("the last checkpoint of {} did not finish within 60 s", dir);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        current.channel.close();
        if (deleteAll && failure == null) {
            for (Path p : segments(dir)) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** One change read back from the log: a put, or a removal when {@code value} is null. */
    interface Replay {
        void apply(String map, boolean stringKey, byte[] key, byte[] value);
    }

    /**
     * Replays the segments in {@code dir}, in order, up to the first incomplete or damaged
     * record; returns the number of records applied.
     */
    static long replay(Path dir, Replay to) throws IOException {
        long records = 0;
        long expected = -1; // the number the next record must carry (-1: the first one sets it)
        List<Path> segments = segments(dir);
        for (int i = 0; i < segments.size(); i++) {
            Path p = segments.get(i);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                long size = ch.size();
                long pos = 0;
                ByteBuffer head = ByteBuffer.allocate(HEADER);
                CRC32C c = new CRC32C();
                while (pos < size) {
                    if (size - pos < HEADER) {
                        stopped(p, pos, size, i, segments.size(), "a cut header");
                        return records;
                    }
                    head.clear();
                    readFully(ch, head, pos);
                    int len = head.getInt(0);
                    int sum = head.getInt(4);
                    long number = head.getLong(8);
                    if (len <= 0 || len > MAX_RECORD || len > size - pos - HEADER) {
                        stopped(p, pos, size, i, segments.size(), "a record length of " + len);
                        return records;
                    }
                    ByteBuffer body = ByteBuffer.allocate(len);
                    readFully(ch, body, pos + HEADER);
                    c.reset();
                    c.update(head.array(), 8, 8);
                    c.update(body.array(), 0, len);
                    if ((int) c.getValue() != sum) {
                        stopped(p, pos, size, i, segments.size(), "a CRC mismatch");
                        return records;
                    }
                    if (expected != -1 && number != expected) {
                        stopped(p, pos, size, i, segments.size(), "record " + number + " where " + expected
                                + " was next");
                        return records;
                    }
                    expected = number + 1;
                    apply(body.array(), len, to, p, pos);
                    records++;
                    pos += HEADER + len;
                }
            }
        }
        return records;
    }

    private static void stopped(Path p, long pos, long size, int index, int count, String why) {
        if (index < count - 1 || size - pos > 64 * 1024 || why.startsWith("record ")) {
            log.warn("write-ahead log {}: replay stopped at byte {} of {} ({}); later records were never reported"
                    + " durable and are dropped", p, pos, size, why);
        } else {
            log.debug("write-ahead log {}: a record cut by a crash at byte {} of {} ({}), dropped", p, pos, size, why);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new IOException("unexpected end of " + ch);
            }
        }
        b.flip();
    }

    private static void apply(byte[] b, int len, Replay to, Path p, long at) {
        int i = 0;
        while (i < len) {
            int kind = b[i++];
            int nameLen = b[i++] & 0xff;
            String name = new String(b, i, nameLen, java.nio.charset.StandardCharsets.US_ASCII);
            i += nameLen;
            int[] pos = {i};
            int keyLen = varint(b, pos, len);
            i = pos[0];
            byte[] key = java.util.Arrays.copyOfRange(b, i, i + keyLen);
            i += keyLen;
            boolean stringKey = kind == Journal.PUT_STRING || kind == Journal.REMOVE_STRING;
            if (kind == Journal.PUT_BYTES || kind == Journal.PUT_STRING) {
                pos[0] = i;
                int valueLen = varint(b, pos, len);
                i = pos[0];
                if (valueLen > len - i) {
                    throw new StoreCorruptedException("write-ahead log " + p + ": a value runs past its record at byte "
                            + at + "; move the data directory's node.wal.* files away to start without them", null);
                }
                to.apply(name, stringKey, key, java.util.Arrays.copyOfRange(b, i, i + valueLen));
                i += valueLen;
            } else if (kind == Journal.REMOVE_BYTES || kind == Journal.REMOVE_STRING) {
                to.apply(name, stringKey, key, null);
            } else {
                throw new StoreCorruptedException("write-ahead log " + p + ": unknown change kind " + kind + " at byte "
                        + at + "; move the data directory's node.wal.* files away to start without them", null);
            }
        }
    }

    private static int varint(byte[] b, int[] pos, int len) {
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (pos[0] >= len) {
                break;
            }
            int x = b[pos[0]++];
            v |= (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                if (v < 0 || v > len - pos[0]) {
                    break;
                }
                return v;
            }
        }
        throw new StoreCorruptedException("write-ahead log: a length that does not fit its record", null);
    }
}
