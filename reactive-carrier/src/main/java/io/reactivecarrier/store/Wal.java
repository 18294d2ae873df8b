package io.reactivecarrier.store;

import io.micrometer.core.instrument.Timer;
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
 * upwards. Record: {@code body length (4, big-endian) | CRC-32C of the rest (4) | record number
 * (8) | body}, the body being a {@link Journal}'s ops. Record numbers run on across segments,
 * and across restarts, without a gap; each checkpoint stores the number of the last record it
 * holds ({@link #CHECKPOINTED}).
 *
 * <p><b>Recycled segments.</b> A full segment that a checkpoint covers is not deleted but kept
 * as a spare (at most {@link #SPARES}), and the next segment is a spare renamed: its records
 * overwrite blocks the file already has. An {@code fdatasync} after an overwrite changes no file
 * metadata, so it needs no ext4 journal commit, which an append's does, and it does not wait for
 * the journal to write other files' data (the MVStore file's checkpoints, the other stores of the
 * process): 190 µs against 500 µs at the median here, 300-440 µs against 740-950 µs at p99, with
 * two stores syncing at once. Behind the new records a recycled file still holds old ones: their
 * numbers are at most the checkpointed one, so replay skips them, and a damaged or cut record
 * only ends its segment.
 *
 * <p><b>Durability and order.</b> The segments are forced in order, and only then do the
 * completions handed to {@link #afterDurable} run: a transaction's Mono completes when its record,
 * and every record before it, is on disk. When nothing else waits (no force or rotation queued or
 * running, and the caller says no transaction is queued behind this one) the store thread forces
 * the segment itself, at once: a hand-off to the sync thread and back costs a thread wake-up each
 * way, about as long as the {@code fdatasync} of a small group commit on this VM. Otherwise one
 * thread ({@code carrier-store-sync-N}) forces, while the store thread goes on with the next
 * transactions (their records join the next force). A transaction that allows its fsync to be
 * put off ({@link #afterNextForce}) forces nothing itself: whichever force comes next completes it,
 * in order with the others, and its store has the sync thread force within the delay allowed. A checkpoint takes a
 * snapshot of the MVStore maps on the store thread between two transactions (MVStore's
 * copy-on-write versions: whole transactions only) and starts a new segment (opened ahead);
 * MVStore serializes and writes the snapshot on its own thread while transactions go on, and a
 * checkpoint thread ({@code carrier-store-checkpoint-N}) waits for that, syncs the MVStore file,
 * turns the segments it covers into spares or deletes them, and opens the next segment.
 *
 * <p><b>Recovery.</b> On open, the records after the checkpointed one are replayed in order onto
 * the MVStore file's last synced state; records numbered lower are skipped (in the file already,
 * or old ones behind a recycled segment's new ones), and since each record holds the values
 * written, not operations on old values, a record the snapshot already holds changes nothing. A
 * cut or damaged record ends its segment; a record that does not carry the next number ends the
 * replay (a later segment that reached the disk before the end of an earlier one): records after
 * it were never forced, so no caller was told they were durable, and a transaction is never
 * replayed without all those before it. Then the store is checkpointed and the segments deleted.
 */
final class Wal {

    static final String PREFIX = "node.wal.";
    /**
     * Largest record: appended and replayed (the message service's batches stay under 8 MiB; a larger
     * transaction fails before anything of it is logged).
     */
    static final int MAX_RECORD = 512 << 20;
    /** The key, in the store's meta map, of the number of the last log record a checkpoint holds. */
    static final String CHECKPOINTED = "walCheckpointedRecord";
    /** Full segments kept for reuse after a checkpoint covered them. */
    static final int SPARES = 2;

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
        /** Bytes known to be on disk (written by the sync thread). */
        volatile long forced;
        /** Whether its name is known to be on disk (a segment prepared ahead, the directory synced since). */
        volatile boolean named;

        Segment(long number, Path path, FileChannel channel) {
            this.number = number;
            this.path = path;
            this.channel = channel;
        }
    }

    private final Path dir;
    /** Size from which a covered segment is kept as a spare (smaller ones would be appended to again). */
    private final long spareBytes;
    /** Covered segments ready to be renamed into the next segment (checkpoint thread adds, store thread takes). */
    private final java.util.concurrent.ConcurrentLinkedDeque<Path> spares = new java.util.concurrent.ConcurrentLinkedDeque<>();
    /**
     * The next segment, opened ahead on the checkpoint thread with its name synced to disk: at a
     * rotation the store thread only swaps it in. (A rename or create on the store thread waits for
     * whatever ext4 journal commit is running: 25-30 ms now and then in the messages benchmark, with
     * every transaction of the store queued behind it.)
     */
    private final java.util.concurrent.atomic.AtomicReference<Segment> prepared =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** Segment numbers not used yet: numbers only grow (replay reads segments in number order). */
    private final java.util.concurrent.atomic.AtomicLong segmentNumbers;
    private final ThreadPoolExecutor syncer;
    private final ThreadPoolExecutor checkpointer;
    private final CRC32C crc = new CRC32C();
    static final int HEADER = 16;
    private final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.BIG_ENDIAN);
    /** The number of the next record (store thread). */
    private long nextRecord;
    /** The segment records are appended to (store thread). */
    private Segment current;
    /** Completions handed to the sync thread and not run yet. */
    private final java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();
    /** Set by the sync thread when a force failed: the log cannot promise anything after it. */
    private volatile Throwable failure;

    /** A completion that waits for a later force (see {@link #afterNextForce}): its record ends at {@code target}. */
    private record Deferred(Segment segment, long target, Completion completion) {
    }

    /**
     * Completions waiting for whichever force comes next, in the order of their records: the store
     * thread adds, the thread that forces (the store thread or the sync thread, never both at once:
     * see {@link #afterDurable}) takes.
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<Deferred> deferred =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    private static final Completion NOTHING = new Completion() {
        @Override
        public void complete() {
        }

        @Override
        public void fail(Throwable cause) {
        }
    };

    private Wal(Path dir, long firstSegment, long nextRecord, long spareBytes, String threadName) throws IOException {
        this.dir = dir;
        this.nextRecord = nextRecord;
        this.spareBytes = spareBytes;
        this.syncer = thread(threadName);
        this.checkpointer = thread(threadName.replace("-sync-", "-checkpoint-"));
        this.segmentNumbers = new java.util.concurrent.atomic.AtomicLong(firstSegment + 1);
        this.current = open(firstSegment);
        checkpointer.execute(this::prepareNext);
    }

    private static ThreadPoolExecutor thread(String name) {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts a log in {@code dir} whose first record is numbered {@code nextRecord}, after every
     * record the store file holds, and whose first segment is numbered after every existing one.
     * Covered segments of at least {@code spareBytes} are reused once a checkpoint covers them.
     *
     * <p>The caller has deleted the segments of the last run (and synced the directory): a
     * spare's old records must all be numbered below {@code nextRecord}, and records of the last
     * run after a gap may carry any number.
     */
    static Wal start(Path dir, long nextRecord, long spareBytes, String threadName) throws IOException {
        long last = 0;
        for (Path p : segments(dir)) {
            last = Math.max(last, number(p));
        }
        return new Wal(dir, last + 1, nextRecord, spareBytes, threadName);
    }

    /** Opens segment {@code number}: a spare renamed, if there is one, else a new file. */
    private Segment open(long number) throws IOException {
        Path p = dir.resolve(String.format("%s%016x", PREFIX, number));
        for (Path spare; (spare = spares.pollFirst()) != null; ) {
            try {
                Files.move(spare, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                log.debug("spare log segment {} not reused: {}", spare, e.toString());
                continue;
            }
            // written from the start over the old records; the directory is synced before its first record is durable
            return new Segment(number, p, FileChannel.open(p, StandardOpenOption.WRITE));
        }
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new Segment(number, p, ch);
    }

    /**
     * Opens the next segment ahead, a spare renamed if there is one, and syncs the directory
     * (checkpoint thread). Left for the store thread to take at its next rotation.
     */
    private void prepareNext() {
        if (prepared.get() != null || failure != null) {
            return;
        }
        Segment s = null;
        try {
            s = open(segmentNumbers.getAndIncrement());
            syncDirectory(dir);
            s.named = true;
            if (prepared.compareAndSet(null, s)) {
                return;
            }
        } catch (IOException | RuntimeException e) {
            log.debug("next log segment of {} not prepared (opened at the rotation instead): {}", dir, e.toString());
        }
        discard(s);
    }

    /** Closes and deletes a prepared segment that was not used (no record was written to it). */
    private static void discard(Segment s) {
        if (s == null) {
            return;
        }
        try {
            s.channel.close();
            Files.deleteIfExists(s.path);
        } catch (IOException | RuntimeException e) {
            log.debug("unused log segment {} not deleted: {}", s.path, e.toString());
        }
    }

    /** Spares ready for the next segment (tests). */
    int spares() {
        return spares.size();
    }

    /** Runs {@code task} on the sync thread, after what was handed to it so far (tests). */
    void onSyncThread(Runnable task) {
        syncer.execute(task);
    }

    /** Waits until the checkpoint thread has done what it was given (tests). */
    void awaitCheckpointThread() throws Exception {
        checkpointer.submit(() -> { }).get(10, TimeUnit.SECONDS);
    }

    /** The number of the last record appended (store thread): a checkpoint taken now holds it. */
    long lastRecord() {
        return nextRecord - 1;
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
     * already is; else, when {@code forceHere} and no force or rotation is queued or running, after
     * forcing on this thread; else on the sync thread after its next force.
     */
    void afterDurable(Completion c, boolean forceHere) {
        Segment s = current;
        long target = s.written;
        // with nothing earlier still waiting, completions stay in order (force() returns at once if it is on disk)
        if (queued.get() == 0 && failure == null && (forceHere || s.forced >= target)) {
            forceAndComplete(s, target, c);
            return;
        }
        queued.incrementAndGet();
        syncer.execute(() -> {
            try {
                forceAndComplete(s, target, c);
            } finally {
                queued.decrementAndGet(); // only now may a later completion run on the store thread
            }
        });
    }

    /**
     * Runs {@code c} once every record appended so far is on disk, without forcing for it: the next
     * force covers it, whether another transaction's or {@link #forceDeferred}'s, which the caller
     * arranges within the delay it allows. So commits nobody waits for at once share one
     * {@code fdatasync} (store thread).
     */
    void afterNextForce(Completion c) {
        Segment s = current;
        deferred.add(new Deferred(s, s.written, c));
    }

    /**
     * Forces the log for the completions waiting in {@link #afterNextForce}, if there are any: as
     * {@link #afterDurable} would for a transaction of its own (store thread).
     */
    void forceDeferred(boolean forceHere) {
        if (!deferred.isEmpty()) {
            afterDurable(NOTHING, forceHere);
        }
    }

    /** Completions waiting for a force (tests). */
    int deferred() {
        return deferred.size();
    }

    /** {@code fdatasync}s of the log so far (tests). */
    long forces() {
        return forces;
    }

    private volatile long forces;

    /** Where the time of each {@code fdatasync} goes, once the node binds its metrics (else null). */
    volatile Timer forceTimer;

    private void forceAndComplete(Segment s, long target, Completion c) {
        try {
            force(s, target);
        } catch (Throwable t) {
            for (Deferred d; (d = deferred.poll()) != null; ) {
                d.completion.fail(t); // the log promises nothing after a failed force
            }
            c.fail(t);
            return;
        }
        completeDeferred(s, target); // the records before c's,
        c.complete();
        completeDeferred(s, s.forced); // and those after it that the force covered, stay in order
    }

    /**
     * Completes the deferred completions, in order, whose records end in a segment before {@code s}
     * or in {@code s} up to {@code upTo}, and are on disk.
     */
    private void completeDeferred(Segment s, long upTo) {
        for (Deferred d; (d = deferred.peek()) != null; ) {
            boolean before = d.segment == s ? d.target <= upTo : d.segment.number < s.number;
            if (!before || d.segment.forced < d.target) {
                return;
            }
            deferred.poll();
            d.completion.complete();
        }
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
        long started = System.nanoTime();
        try {
            s.channel.force(false);
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        }
        forces++; // forces never run on two threads at once (see afterDurable)
        Timer timer = forceTimer;
        if (timer != null) {
            timer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
        if (upTo > s.forced) {
            s.forced = upTo;
        }
    }

    /**
     * Starts a new segment, after a checkpoint that holds every record so far. The old segment is
     * forced and closed on the sync thread, which then syncs the directory (the new segment's
     * name must be on disk before any of its records is reported durable); then, on the
     * checkpoint thread, {@code afterOld} runs (wait for the checkpoint to be written, sync the
     * MVStore file) and, if it succeeds, the segments up to the old one become spares or are
     * deleted. The sync thread never waits for a checkpoint: the log's fsyncs go on meanwhile.
     */
    void rotate(ThrowingRunnable afterOld) throws IOException {
        Segment old = current;
        Segment next = prepared.getAndSet(null);
        if (next != null && next.number < old.number) { // prepared while the last rotation opened one itself
            Segment stale = next;
            checkpointer.execute(() -> discard(stale));
            next = null;
        }
        if (next == null) {
            next = open(segmentNumbers.getAndIncrement());
        }
        Segment opened = next;
        current = opened;
        // counted like a force: until the old segment is forced and the new one's name is on disk, no
        // record of the new one may be reported durable, so none is forced on the store thread meanwhile
        queued.incrementAndGet();
        syncer.execute(() -> {
            try {
                try {
                    force(old, old.written);
                    old.channel.close();
                } catch (Throwable t) {
                    log.warn("log segment {} could not be closed: {}", old.path, t.toString());
                }
                try {
                    if (!opened.named) {
                        syncDirectory(dir);
                    }
                } catch (Throwable t) {
                    failure = t; // the new segment's records cannot be promised: every later force fails
                    log.warn("the directory of log segment {} could not be synced: {}", opened.path, t.toString());
                    return;
                }
            } finally {
                queued.decrementAndGet();
            }
            checkpointer.execute(() -> {
                try {
                    afterOld.run();
                } catch (Throwable t) {
                    log.warn("checkpoint of {} not finished (its log segments are kept and replayed on the next"
                            + " open): {}", dir, t.toString());
                    return;
                }
                recycle(old.number);
                prepareNext();
            });
        });
    }

    /** Makes the names in {@code dir} durable (creations, renames, deletions). */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** Keeps the full segments up to {@code upTo} (covered by a checkpoint) as spares, deletes the rest (checkpoint thread). */
    private void recycle(long upTo) {
        List<Path> covered;
        try {
            covered = segments(dir);
        } catch (IOException e) {
            log.warn("log segments of {} not listed: {}", dir, e.toString());
            return;
        }
        for (Path p : covered) {
            if (number(p) > upTo || spares.contains(p)) {
                continue;
            }
            try {
                if (spares.size() < SPARES && Files.size(p) >= spareBytes) {
                    spares.addLast(p);
                } else {
                    Files.deleteIfExists(p);
                }
            } catch (java.nio.file.NoSuchFileException gone) {
                // a spare the store thread has just renamed into a new segment
            } catch (IOException e) {
                log.warn("covered log segment {} not deleted: {}", p, e.toString());
            }
        }
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
        for (Deferred d; (d = deferred.poll()) != null; ) { // the caller forced them first, unless that failed
            if (deleteAll || d.segment.forced >= d.target) { // deleteAll: the store file holds every record
                d.completion.complete();
            } else {
                d.completion.fail(new IOException("the write-ahead log was closed before the record was forced"));
            }
        }
        current.channel.close();
        Segment unused = prepared.getAndSet(null);
        if (unused != null) {
            unused.channel.close();
        }
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

    /** What a replay did: records applied, and the number of the last record the store now holds. */
    record Replayed(long records, long lastRecord) {
    }

    /**
     * Replays the records after {@code checkpointed} (the last record the store file holds; -1 for
     * a file from before checkpoints stored it: then the first record found starts) from the
     * segments in {@code dir}, in order: the records numbered on from it without a gap. Records
     * numbered lower are skipped (a recycled segment's old ones); a cut or damaged record ends its
     * segment; a gap in the numbers ends the replay.
     */
    static Replayed replay(Path dir, long checkpointed, Replay to) throws IOException {
        long records = 0;
        long expected = checkpointed < 0 ? -1 : checkpointed + 1; // the number the next record must carry
        List<Path> segments = segments(dir);
        for (int i = 0; i < segments.size(); i++) {
            Path p = segments.get(i);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                long size = ch.size();
                long pos = 0;
                ByteBuffer head = ByteBuffer.allocate(HEADER);
                CRC32C c = new CRC32C();
                boolean applied = false; // whether this segment has given a record yet
                while (pos < size) {
                    if (size - pos < HEADER) {
                        stopped(p, pos, size, applied, "a cut header");
                        break;
                    }
                    head.clear();
                    readFully(ch, head, pos);
                    int len = head.getInt(0);
                    int sum = head.getInt(4);
                    long number = head.getLong(8);
                    if (len <= 0 || len > MAX_RECORD || len > size - pos - HEADER) {
                        stopped(p, pos, size, applied, "a record length of " + len);
                        break;
                    }
                    ByteBuffer body = ByteBuffer.allocate(len);
                    readFully(ch, body, pos + HEADER);
                    c.reset();
                    c.update(head.array(), 8, 8);
                    c.update(body.array(), 0, len);
                    if ((int) c.getValue() != sum) {
                        stopped(p, pos, size, applied, "a CRC mismatch");
                        break;
                    }
                    pos += HEADER + len;
                    if (checkpointed >= 0 && number < expected) {
                        continue; // in the store file already, or an old record behind a recycled segment's new ones
                    }
                    if (expected != -1 && number != expected) {
                        log.warn("write-ahead log {}: replay stopped at record {} where {} was next (records after a"
                                + " gap were never reported durable; they are dropped)", p, number, expected);
                        return new Replayed(records, expected - 1);
                    }
                    expected = number + 1;
                    apply(body.array(), len, to, p, pos - HEADER - len);
                    applied = true;
                    records++;
                }
            }
        }
        return new Replayed(records, expected == -1 ? 0 : expected - 1);
    }

    private static void stopped(Path p, long pos, long size, boolean applied, String why) {
        // where the records written last end: in a recycled segment old bytes (or zeros) follow them
        log.debug("write-ahead log {}: records end at byte {} of {} ({}{})", p, pos, size, why,
                applied ? "" : ", none of them replayed");
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
