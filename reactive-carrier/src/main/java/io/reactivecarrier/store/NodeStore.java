package io.reactivecarrier.store;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The node's durable state in its data directory: identity keys, nospam, profile, friends,
 * pending friend requests, the message outbox, the set of received message ids and named
 * key-value maps for the layers above.
 *
 * <p><b>Durability.</b> Every write is committed and forced to disk ({@code fsync}) before its
 * Mono completes; a process killed at any moment loses nothing that was reported done. One
 * {@link #transaction(Function)} is one commit: all of its changes survive a crash, or none.
 *
 * <p><b>Threads.</b> All file work runs on one dedicated thread per store, so writes are
 * serialized without locks and never block an event loop. Results are emitted on that thread:
 * hop to another scheduler before doing slow work, and never block on it.
 *
 * <p><b>Exclusion and safety.</b> {@link #open(Path)} takes an exclusive OS lock on
 * {@code carrier.lock}; a directory held by another node fails with {@link StoreLockedException}.
 * A store file that does not read fails with {@link StoreCorruptedException}, one that is not ours
 * with {@link ForeignStoreException}; the file is never replaced or modified in either case.
 *
 * <pre>{@code
 * NodeStore store = NodeStore.open(Path.of("carrier-data")).block(Duration.ofSeconds(10));
 * store.setProfile(new StoredProfile("Alice", "hello")).block();
 * store.transaction(tx -> {                       // one durable commit: both or neither
 *     tx.outbox(bobId).forEach(e -> tx.removeOutbox(e.messageId()));
 *     return tx.removeFriend(bobId);
 * }).subscribe();
 * store.close().block();
 * }</pre>
 */
public final class NodeStore {

    /** The lock file in the data directory. */
    public static final String LOCK_FILE = "carrier.lock";
    /** The store file in the data directory. */
    public static final String STORE_FILE = "node.mv.db";
    /** Bound of {@link #map(String)}. */
    public static final int DEFAULT_MAX_ENTRIES = 65_536;

    static final String MAGIC = "reactive-carrier node store";
    /** 2: binary keys for the outbox, received ids and key-value maps (1: hex String keys, migrated on open). */
    static final int SCHEMA_VERSION = 2;

    private static final Logger log = LoggerFactory.getLogger(NodeStore.class);
    private static final Pattern MAP_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Path dataDir;
    private final StoreMaps maps;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ExecutorService executor;
    private final Scheduler scheduler;
    private final Outbox outbox;
    private final Mono<Void> closing;
    private final Wal wal;
    private final long checkpointBytes = checkpointBytes();
    /** When the MVStore file was last committed (store thread). */
    private long lastCheckpointNanos = System.nanoTime();
    private volatile boolean closed;

    private NodeStore(Path dataDir, StoreMaps maps, FileChannel lockChannel, FileLock lock,
            ExecutorService executor, Scheduler scheduler, Wal wal) {
        this.wal = wal;
        this.dataDir = dataDir;
        this.maps = maps;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.executor = executor;
        this.scheduler = scheduler;
        this.outbox = new Outbox(this);
        this.closing = Mono.<Void>fromRunnable(this::closeOnStoreThread).subscribeOn(scheduler).cache();
    }

    /** Opens (creating if needed) the store in {@code dataDir}, with the system clock. */
    public static Mono<NodeStore> open(Path dataDir) {
        return open(dataDir, System::currentTimeMillis);
    }

    /**
     * Opens (creating if needed) the store in {@code dataDir}; expiry of received ids and map
     * entries is judged by {@code clock.now(MILLISECONDS)} (a virtual-time scheduler in tests).
     */
    public static Mono<NodeStore> open(Path dataDir, Scheduler clock) {
        return open(dataDir, () -> clock.now(TimeUnit.MILLISECONDS));
    }

    private static Mono<NodeStore> open(Path dataDir, LongSupplier clock) {
        return Mono.<NodeStore>create(sink -> {
            ExecutorService executor = new StoreExecutor("carrier-store-" + THREADS.incrementAndGet());
            Scheduler scheduler = Schedulers.fromExecutorService(executor, "carrier-store");
            AtomicBoolean cancelled = new AtomicBoolean();
            sink.onCancel(() -> cancelled.set(true));
            executor.execute(() -> {
                NodeStore store;
                try {
                    store = openOnStoreThread(dataDir, clock, executor, scheduler);
                } catch (Throwable t) {
                    executor.shutdown();
                    sink.error(t);
                    return;
                }
                if (cancelled.get()) {
                    store.closeOnStoreThread(); // nobody will ever close it
                } else {
                    sink.success(store);
                }
            });
        }).doOnDiscard(NodeStore.class, s -> s.close().subscribe(null, e -> log.warn("closing {}", s, e)));
    }

    /**
     * The store's single thread. A cancelled call never interrupts it: an interrupt in the middle
     * of a write closes the file channel and leaves MVStore unusable. A task already running
     * finishes (its commit happens, its result is dropped); a queued one is skipped.
     */
    private static final class StoreExecutor extends ThreadPoolExecutor {

        StoreExecutor(String name) {
            // handing a task over takes no lock: a LinkedBlockingQueue locks to wake the store thread, and
            // BlockHound's error on that lock, contended on a parallel worker or an event loop, lost the
            // wake-up and left the store asleep with tasks queued (a node start stuck for 60 s in tests)
            super(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedTransferQueue<>(), r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
            return new NonInterruptingTask<>(callable);
        }

        @Override
        protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
            return new NonInterruptingTask<>(Executors.callable(runnable, value));
        }
    }

    private static final class NonInterruptingTask<T> extends FutureTask<T> {

        NonInterruptingTask(Callable<T> callable) {
            super(callable);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return super.cancel(false);
        }
    }

    private static NodeStore openOnStoreThread(Path dataDir, LongSupplier clock, ExecutorService executor,
            Scheduler scheduler) throws IOException {
        Files.createDirectories(dataDir);
        Path dir = dataDir.toRealPath();
        if (!HELD.add(dir)) {
            throw locked(dir, "a node in this process");
        }
        FileChannel channel = null;
        FileLock lock = null;
        MVStore store = null;
        Wal wal = null;
        try {
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw locked(dir, holder(channel));
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.US_ASCII)), 0);

            Path file = dir.resolve(STORE_FILE);
            boolean existed = Files.exists(file) && Files.size(file) > 0;
            if (existed) {
                checkReadOnly(file);
            }
            store = openStore(file);
            int version = checkFormat(store, file);
            boolean fresh = version == 0;
            if (version == 1) {
                migrate(store, file);
            }
            StoreMaps maps = new StoreMaps(file, store, clock);
            Wal.Replayed replayed = fresh ? new Wal.Replayed(0, 0)
                    : Wal.replay(dir, maps.checkpointedRecord(), maps::replay);
            maps.checkpointedRecord(replayed.lastRecord());
            if (fresh) {
                maps.meta.put("magic", MAGIC);
                maps.meta.put("schema", Integer.toString(SCHEMA_VERSION));
                maps.meta.put("createdAtMillis", Long.toString(System.currentTimeMillis()));
            }
            long now = clock.getAsLong();
            int purged = maps.purgeReceived(now);
            for (String mapName : store.getMapNames()) {
                if (mapName.startsWith(StoreMaps.KV_PREFIX)) {
                    purged += maps.purgeKv(maps.kv(mapName.substring(StoreMaps.KV_PREFIX.length())), now);
                }
            }
            durableCommit(store);
            maps.journal.clear(); // the purge above is in the file now
            for (Path segment : Wal.segments(dir)) { // replayed and committed, or left by a crash before any record
                Files.delete(segment);
            }
            syncDirectory(dir); // before any new record: none of the old ones may come back beside them
            wal = Wal.start(dir, replayed.lastRecord() + 1, checkpointBytes(),
                    Thread.currentThread().getName().replace("carrier-store-", "carrier-store-sync-"));
            log.debug("opened store {} ({}; {} log records replayed; purged {} expired entries)", file,
                    fresh ? "new" : "existing", replayed.records(), purged);
            return new NodeStore(dir, maps, channel, lock, executor, scheduler, wal);
        } catch (Throwable t) {
            if (wal != null) {
                try {
                    wal.close(false);
                } catch (IOException | RuntimeException e) {
                    t.addSuppressed(e);
                }
            }
            if (store != null) {
                try {
                    store.closeImmediately();
                } catch (RuntimeException e) {
                    t.addSuppressed(e);
                }
            }
            if (channel != null) {
                try {
                    channel.close(); // releases the lock if we took it
                } catch (IOException e) {
                    t.addSuppressed(e);
                }
            }
            HELD.remove(dir);
            throw t;
        }
    }

    private static StoreLockedException locked(Path dir, String holder) {
        return new StoreLockedException("data directory " + dir + " is in use: another running node (" + holder
                + ") holds its lock file " + LOCK_FILE + "; stop that node or use another data directory");
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(64);
            channel.read(buf, 0);
            String s = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
            return s.isEmpty() ? "another process" : s;
        } catch (IOException e) {
            return "another process";
        }
    }

    private static void checkReadOnly(Path file) {
        MVStore ro;
        try {
            ro = new MVStore.Builder().fileName(file.toString()).readOnly().open();
        } catch (RuntimeException e) {
            throw corrupted(file, e);
        }
        try {
            checkFormat(ro, file);
        } finally {
            try {
                ro.closeImmediately();
            } catch (RuntimeException e) {
                log.debug("closing read-only view of {}", file, e);
            }
        }
    }

    private static MVStore openStore(Path file) {
        try {
            MVStore store = new MVStore.Builder()
                    .fileName(file.toString())
                    .autoCommitDisabled()      // no background writer: commits happen when we say
                    .autoCommitBufferSize(0)   // and never half-way through a transaction
                    .cacheSize(cacheMegabytes())
                    .open();
            // a delay that never passes: MVStore starts its serialization threads, so a checkpoint's
            // tryCommit() takes the snapshot here and writes it there, but it never commits by itself
            store.setAutoCommitDelay(Integer.MAX_VALUE);
            return store;
        } catch (RuntimeException e) {
            throw corrupted(file, e);
        }
    }

    private static void migrate(MVStore store, Path file) {
        long t0 = System.nanoTime();
        long copied;
        try {
            copied = SchemaV1.migrate(store);
        } catch (RuntimeException e) {
            throw new StoreCorruptedException("store file " + file + " (schema 1) could not be migrated to schema "
                    + SCHEMA_VERSION + " (" + e + "); its schema-1 maps were kept. Move the file away or restore it"
                    + " from a backup, then start again.", e);
        }
        log.info("migrated store {} from schema 1 to {} ({} entries, {} ms)", file, SCHEMA_VERSION, copied,
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** The schema version, 0 if the store is new (no maps at all); throws if it is not ours. */
    private static int checkFormat(MVStore store, Path file) {
        Set<String> names;
        try {
            names = store.getMapNames();
        } catch (RuntimeException e) {
            throw corrupted(file, e);
        }
        if (names.isEmpty()) {
            return 0;
        }
        if (!names.contains(StoreMaps.META)) {
            throw foreign(file, "it has no reactive-carrier header");
        }
        String magic;
        String schema;
        try {
            MVMap<String, String> meta = store.openMap(StoreMaps.META);
            magic = meta.get("magic");
            schema = meta.get("schema");
        } catch (MVStoreException e) {
            throw corrupted(file, e);
        } catch (RuntimeException e) {
            throw foreign(file, "its header is not a reactive-carrier header (" + e + ")");
        }
        if (!MAGIC.equals(magic)) {
            throw foreign(file, "its header has magic " + magic + ", not '" + MAGIC + "'");
        }
        int version;
        try {
            version = Integer.parseInt(schema);
        } catch (NumberFormatException e) {
            throw foreign(file, "its schema version '" + schema + "' is not a number");
        }
        if (version > SCHEMA_VERSION) {
            throw foreign(file, "it was written by a newer version (schema " + version + ", this one reads up to "
                    + SCHEMA_VERSION + "); upgrade reactive-carrier");
        }
        if (version < 1) {
            throw foreign(file, "its schema version " + version + " is not one this code knows");
        }
        return version;
    }

    private static StoreCorruptedException corrupted(Path file, Throwable cause) {
        return new StoreCorruptedException("store file " + file + " is corrupted or not a store file (" + cause
                + "). It was left untouched: move it away or restore it from a backup, then start again"
                + " (a node started without it gets a new identity and no friends).", cause);
    }

    private static ForeignStoreException foreign(Path file, String why) {
        return new ForeignStoreException("store file " + file + " is not a reactive-carrier node store: " + why
                + ". It was left untouched: move it away or point the node at its own data directory.");
    }

    private static void durableCommit(MVStore store) {
        if (store.hasUnsavedChanges()) {
            store.commit();
            store.sync();
        }
    }

    private static void syncDirectory(Path dir) {
        try {
            Wal.syncDirectory(dir);
        } catch (IOException e) {
            log.debug("cannot sync directory {}", dir, e); // not supported everywhere; best effort
        }
    }

    // ---- running work on the store thread

    /**
     * Runs {@code work} on the store's thread and commits everything it changed as one durable
     * commit before the Mono completes. If {@code work} throws, nothing it did is kept and the Mono
     * fails with that error. A null result completes the Mono empty. Only the store's own methods
     * may be used inside (through {@link Tx}); no blocking or slow work.
     */
    public <T> Mono<T> transaction(Function<Tx, T> work) {
        return run(work, true, null);
    }

    /**
     * {@link #transaction(Function)}, and {@code applied} gets the result as soon as the changes
     * are made and in the write-ahead log, before they are durable: on the store's thread, before
     * any later transaction runs, so it must be quick and must not block. Later transactions see the
     * changes; if the node crashes before the Mono completes they may be gone. For work that needs
     * only the order of commits, such as a sequence number handed out (see
     * {@link Tx#outboxSequenceReserved}). Not called if {@code work} throws.
     */
    public <T> Mono<T> transaction(Function<Tx, T> work, Consumer<? super T> applied) {
        return run(work, true, Objects.requireNonNull(applied, "applied"));
    }

    /**
     * {@link #transaction(Function, Consumer)} whose fsync may wait up to {@code syncWithin}: the
     * Mono still completes only once the changes are durable, but the log is not forced for this
     * transaction alone. Another transaction's force covers it, or the store forces once
     * {@code syncWithin} has passed, for every transaction waiting so. For commits nobody waits on
     * at once, such as a busy sender's outbox appends: many share one {@code fdatasync}, which
     * leaves the disk to the commits someone does wait for. {@code Duration.ZERO} is
     * {@link #transaction(Function, Consumer)}.
     */
    public <T> Mono<T> transaction(Function<Tx, T> work, Consumer<? super T> applied, Duration syncWithin) {
        checkSyncDelay(syncWithin, "syncWithin");
        return run(work, true, Objects.requireNonNull(applied, "applied"), syncWithin.toNanos());
    }

    /** The longest a transaction's fsync may be put off. */
    public static final Duration MAX_SYNC_DELAY = Duration.ofSeconds(1);

    /**
     * {@code delay} if it is a valid {@code syncWithin} (0 to {@link #MAX_SYNC_DELAY}), else an
     * {@link IllegalArgumentException} naming the setting {@code what}: for options checked ahead.
     */
    public static Duration checkSyncDelay(Duration delay, String what) {
        Objects.requireNonNull(delay, what);
        if (delay.isNegative() || delay.compareTo(MAX_SYNC_DELAY) > 0) {
            throw new IllegalArgumentException(what + " must be between 0 and " + MAX_SYNC_DELAY + ", got " + delay);
        }
        return delay;
    }

    <T> Mono<T> read(Function<Tx, T> work) {
        return run(work, false, null);
    }

    private <T> Mono<T> run(Function<Tx, T> work, boolean write, Consumer<? super T> applied) {
        return run(work, write, applied, 0);
    }

    private <T> Mono<T> run(Function<Tx, T> work, boolean write, Consumer<? super T> applied, long syncWithinNanos) {
        return Mono.<T>create(sink -> {
            if (closed) {
                sink.error(closedError());
                return;
            }
            AtomicBoolean cancelled = new AtomicBoolean();
            sink.onCancel(() -> cancelled.set(true));
            try {
                executor.execute(() -> {
                    if (!cancelled.get()) { // a transaction cancelled before it started does not run
                        execute(work, write, applied, syncWithinNanos, sink);
                    }
                });
            } catch (RejectedExecutionException e) {
                sink.error(closedError());
            }
        });
    }

    /**
     * Runs {@code work} and logs what it changed as one record of the write-ahead log; the sink
     * completes once that record (and every one before it) is on disk. If {@code work} throws,
     * its changes are undone and nothing is logged.
     */
    private <T> void execute(Function<Tx, T> work, boolean write, Consumer<? super T> applied, long syncWithinNanos,
            reactor.core.publisher.MonoSink<T> sink) {
        if (closed) {
            sink.error(closedError());
            return;
        }
        Journal journal = maps.journal;
        Tx tx = new Tx(maps, write);
        T result;
        try {
            result = work.apply(tx);
            tx.flush();
            tx.end();
            if (!journal.isEmpty()) {
                wal.append(journal.buffer(), journal.length());
            }
            journal.clear();
            tx.ended(true);
        } catch (Throwable t) {
            tx.end();
            tx.ended(false);
            try {
                journal.undo();
            } catch (RuntimeException e) {
                t.addSuppressed(e);
            }
            sink.error(mapError(t));
            return;
        }
        if (applied != null) {
            try {
                applied.accept(result);
            } catch (RuntimeException | Error e) {
                // an Error escaping here would leave the transaction's Mono incomplete for ever
                log.error("store {}: a transaction's applied callback failed", maps.file, e);
            }
        }
        Wal.Completion durable = new Wal.Completion() {
            @Override
            public void complete() {
                if (result == null) {
                    sink.success();
                } else {
                    sink.success(result);
                }
            }

            @Override
            public void fail(Throwable cause) {
                sink.error(new StoreException("store " + maps.file + ": the write-ahead log could not be synced ("
                        + cause + "); stop the node and start it again", cause));
            }
        };
        if (syncWithinNanos > 0) {
            wal.afterNextForce(durable);
            forceWithin(syncWithinNanos);
        } else {
            // nothing queued: the store thread forces the log itself, no wake-up of the sync thread and back
            wal.afterDurable(durable, nothingQueued());
        }
        maybeCheckpoint();
    }

    /** When the log is forced next for the transactions that allow a delay (store thread; MAX_VALUE: none waits). */
    private long deferredForceAt = Long.MAX_VALUE;

    /** Makes sure the log is forced within {@code nanos} (store thread). */
    private void forceWithin(long nanos) {
        long at = System.nanoTime() + nanos;
        if (at - deferredForceAt >= 0) {
            return; // a force is due before then
        }
        deferredForceAt = at;
        DeferredForces.TIMER.schedule(() -> {
            try {
                executor.execute(() -> forceDeferred(at));
            } catch (RejectedExecutionException e) {
                // closed: the close forced the log
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }

    /** The timer for {@code at} ran out (store thread): forces the log unless an earlier timer took its place. */
    private void forceDeferred(long at) {
        if (closed || deferredForceAt != at) {
            return; // a timer set for an earlier time since then has forced, or will
        }
        deferredForceAt = Long.MAX_VALUE;
        wal.forceDeferred(false); // on the sync thread: the store thread goes on with the next transactions
    }

    /** Checkpoints started (store thread writes; metrics read). */
    private volatile long checkpoints;

    /**
     * Registers this store's meters in {@code registry}, tagged {@code node}: {@code carrier.store.fsync}
     * (a timer of every {@code fdatasync} of the write-ahead log, with buckets at 1, 3 and 10 ms: the
     * time a durable commit waits for the disk), {@code carrier.store.checkpoints} and
     * {@code carrier.store.log.bytes} (the log since the last checkpoint). The node calls this once
     * it knows its id; meters are registered once per store.
     */
    public void bindMetrics(MeterRegistry registry, String node) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(node, "node");
        wal.forceTimer = Timer.builder("carrier.store.fsync").tag("node", node)
                .description("fdatasync of the store's write-ahead log")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(3), Duration.ofMillis(10))
                .register(registry);
        FunctionCounter.builder("carrier.store.checkpoints", this, s -> s.checkpoints).tag("node", node)
                .description("checkpoints of the store (a snapshot of the maps, then a new log segment)")
                .register(registry);
        Gauge.builder("carrier.store.log.bytes", wal, Wal::size).tag("node", node)
                .description("bytes of write-ahead log since the last checkpoint").baseUnit("bytes")
                .register(registry);
    }

    /** One timer thread for every store's deferred forces: it only hands them to their store's thread. */
    private static final class DeferredForces {
        static final ScheduledThreadPoolExecutor TIMER = timer();

        private static ScheduledThreadPoolExecutor timer() {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
                Thread th = new Thread(r, "carrier-store-timer");
                th.setDaemon(true);
                return th;
            });
            t.setRemoveOnCancelPolicy(true);
            return t;
        }
    }

    /** The log's {@code fdatasync}s so far (tests). */
    long logForces() {
        return wal.forces();
    }

    /** Whether no transaction waits for the store thread (see {@link Wal}, "Durability and order"). */
    private boolean nothingQueued() {
        return executor instanceof ThreadPoolExecutor t && t.getQueue().isEmpty();
    }

    private Throwable mapError(Throwable t) {
        if (t instanceof Codec.Malformed) {
            return new StoreCorruptedException("store file " + maps.file + " holds a record that does not decode ("
                    + t.getMessage() + "); move the file away or restore it from a backup", t);
        }
        if (t instanceof MVStoreException) {
            return new StoreException("store file " + maps.file + " failed: " + t.getMessage(), t);
        }
        if (t instanceof IOException) {
            return new StoreException("store " + maps.file + ": the write-ahead log could not be written (" + t
                    + "); nothing of this transaction was kept", t);
        }
        return t;
    }

    /**
     * System property: log bytes after which a checkpoint is taken and a new log segment started
     * (default 16 MiB; 4 MiB until session 8). Smaller means more checkpoints: each one syncs the
     * MVStore file beside the log's own syncs, and without a page cache each one makes the next
     * writes read the pages they touch back from the file. Larger means more log to replay after a
     * crash (measured: 74 ms for 4 MiB of 1 KiB values, 166 ms for 16 MiB, 360 ms for 64 MiB) and
     * more disk: up to four segments (the current one, the one opened ahead, two spares). In three
     * alternating pairs of messages benchmark runs (128 in flight) 64 MiB beat 4 MiB in every pair
     * (67,931 / 35,790 / 59,078 against 49,240 / 20,745 / 38,004 msgs/s; p99 5.6 / 9.6 / 5.5 against
     * 7.3 / 18.1 / 11.7 ms); 16 MiB against 64 MiB was a draw in three more.
     */
    static final String CHECKPOINT_BYTES_PROPERTY = "reactivecarrier.store.checkpointBytes";

    /**
     * System property: MVStore's page cache per store in MiB (default 0, none; MVStore's own default
     * is 16). MVStore puts every page it writes at a checkpoint into the cache, so on a busy node
     * the cache turns over all the time, full of pages nobody reads again, and what it holds lives
     * long enough to be copied by young collections again and again. In the messages benchmark
     * (128 in flight) the young collections copied 7.5-9 MB of survivors and paused 3.1-5.8 ms with
     * 4 MiB, 3-4 MB and 2.3-5 ms with 1 MiB, 0.6-0.8 MB and 1.4-2.5 ms with none, the file reads the
     * same in steady state. (Session 6 had measured GC pauses per 100,000 messages of 36-55 ms with
     * 16 MiB and 18-34 ms with 4 MiB.) Without a cache a point read of a page already on disk reads
     * the file again: bulk reads go through {@link Tx#getAll}, which reads each page once. A node
     * that does many random reads of large maps may want a cache.
     */
    static final String CACHE_MB_PROPERTY = "reactivecarrier.store.cacheMb";

    private static int cacheMegabytes() {
        return Math.max(0, Integer.getInteger(CACHE_MB_PROPERTY, 0));
    }

    private static long checkpointBytes() {
        return Math.max(1, Long.getLong(CHECKPOINT_BYTES_PROPERTY, 16L << 20));
    }
    /** Age after which a non-empty log is checkpointed (at the next transaction). */
    static final long CHECKPOINT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Takes a checkpoint when the log has grown (or aged): a snapshot of the maps between two
     * transactions, written by MVStore's serialization thread while transactions go on; then a new
     * log segment. The checkpoint thread waits for the snapshot's chunk, syncs the file and recycles
     * or deletes the segments the snapshot covers. The store thread stops only for the snapshot of the map
     * roots (MVStore's {@code tryCommit}); a synchronous commit held all transactions up for about
     * 0.5 ms per MiB of log.
     */
    private void maybeCheckpoint() {
        long size = wal.size();
        if (size == 0 || (size < checkpointBytes && System.nanoTime() - lastCheckpointNanos < CHECKPOINT_NANOS)) {
            return;
        }
        MVStore store = maps.store;
        try {
            // the snapshot says which records it holds: replay skips them, so the snapshot may reach the
            // disk before they do, and segments recycled later hold no record that could be taken for a new one
            maps.checkpointedRecord(wal.lastRecord());
            long version = store.tryCommit();
            if (version < 0) {
                return; // the last snapshot is still being taken: try again after the next transaction
            }
            lastCheckpointNanos = System.nanoTime();
            checkpoints++;
            wal.rotate(() -> {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
                while (store.getFileStore().lastChunkVersion() < version) {
                    if (store.isClosed() || System.nanoTime() > deadline) {
                        throw new StoreException("the checkpoint of version " + version + " was not written");
                    }
                    Thread.sleep(1);
                }
                store.sync();
            });
        } catch (IOException | RuntimeException e) {
            log.warn("checkpoint of {} failed (the log keeps everything; it is retried later): {}", maps.file,
                    e.toString());
        }
    }

    private StoreException closedError() {
        return new StoreException("the store of " + dataDir + " is closed");
    }

    // ---- identity and profile

    /** The data directory (absolute, symbolic links resolved). */
    public Path dataDir() {
        return dataDir;
    }

    /** The stored identity, if one was created. */
    public Mono<Optional<StoredIdentity>> identity() {
        return read(Tx::identity);
    }

    /** The stored identity, or the one {@code create} makes, stored durably: created at most once. */
    public Mono<StoredIdentity> identityOrCreate(Supplier<StoredIdentity> create) {
        return transaction(tx -> tx.identityOrCreate(create));
    }

    /** Changes the nospam of the stored identity; fails with IllegalStateException if there is none. */
    public Mono<Void> setNospam(int nospam) {
        return transaction(tx -> {
            tx.setNospam(nospam);
            return null;
        });
    }

    /** The node's profile ({@link StoredProfile#EMPTY} until set). */
    public Mono<StoredProfile> profile() {
        return read(Tx::profile);
    }

    /** Replaces the node's profile. */
    public Mono<Void> setProfile(StoredProfile profile) {
        return transaction(tx -> {
            tx.setProfile(profile);
            return null;
        });
    }

    // ---- friends

    /** Adds or replaces a friend. */
    public Mono<Void> putFriend(FriendRecord friend) {
        return transaction(tx -> {
            tx.putFriend(friend);
            return null;
        });
    }

    /** Removes a friend; false if it was not one. */
    public Mono<Boolean> removeFriend(byte[] userId) {
        return transaction(tx -> tx.removeFriend(userId));
    }

    /** One friend. */
    public Mono<Optional<FriendRecord>> friend(byte[] userId) {
        return read(tx -> tx.friend(userId));
    }

    /** All friends, ordered by user id. */
    public Flux<FriendRecord> friends() {
        return read(Tx::friends).flatMapIterable(l -> l);
    }

    /** Sets when a friend was last seen; false if it is not a friend. */
    public Mono<Boolean> updateLastSeen(byte[] userId, long lastSeenMillis) {
        return transaction(tx -> tx.updateLastSeen(userId, lastSeenMillis));
    }

    /** Sets a friend's label; false if it is not a friend. */
    public Mono<Boolean> updateLabel(byte[] userId, String label) {
        return transaction(tx -> tx.updateLabel(userId, label));
    }

    // ---- friend requests

    /** Stores a request, replacing one for the same user id and direction. */
    public Mono<Void> putFriendRequest(FriendRequestRecord request) {
        return transaction(tx -> {
            tx.putFriendRequest(request);
            return null;
        });
    }

    /** Removes a request; false if there was none. */
    public Mono<Boolean> removeFriendRequest(byte[] userId, boolean incoming) {
        return transaction(tx -> tx.removeFriendRequest(userId, incoming));
    }

    /** One request. */
    public Mono<Optional<FriendRequestRecord>> friendRequest(byte[] userId, boolean incoming) {
        return read(tx -> tx.friendRequest(userId, incoming));
    }

    /** The requests received ({@code incoming}) or sent, ordered by user id. */
    public Flux<FriendRequestRecord> friendRequests(boolean incoming) {
        return read(tx -> tx.friendRequests(incoming)).flatMapIterable(l -> l);
    }

    /**
     * Accepts an incoming request in one commit: removes the request and stores {@code friend}.
     * True if there was a request; the friend is stored either way.
     */
    public Mono<Boolean> acceptFriendRequest(FriendRecord friend) {
        return transaction(tx -> tx.acceptFriendRequest(friend));
    }

    // ---- outbox, received ids, maps

    /** The durable message outbox. */
    public Outbox outbox() {
        return outbox;
    }

    /**
     * Records a received message id. True if it is new, false if it was seen before (and its record
     * has not expired). Records are kept until {@code expiresAtMillis}; expired ones are purged on
     * open, on {@link #purgeExpired()} and, a slice of the records at a time, every
     * {@value StoreMaps#PURGE_EVERY} new ids.
     */
    public Mono<Boolean> markReceived(byte[] senderId, byte[] messageId, long expiresAtMillis) {
        return transaction(tx -> tx.markReceived(senderId, messageId, expiresAtMillis));
    }

    /** Removes expired received-message ids now; returns how many. */
    public Mono<Integer> purgeExpired() {
        return transaction(tx -> maps.purgeReceived(tx.now()));
    }

    /** The named key-value map, bounded to {@link #DEFAULT_MAX_ENTRIES}. */
    public KeyValueMap map(String name) {
        return map(name, DEFAULT_MAX_ENTRIES);
    }

    /**
     * The named key-value map (created on first write), holding at most {@code maxEntries} entries.
     * Names are 1 to 64 characters of {@code [a-z0-9._-]}, starting with a letter or digit. The
     * bound is not stored: pass the same one each time.
     */
    public KeyValueMap map(String name, int maxEntries) {
        if (name == null || !MAP_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("map name must match " + MAP_NAME + ": " + name);
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
        }
        return new KeyValueMap(this, name, maxEntries);
    }

    // ---- close

    /**
     * Closes the store and releases the data directory's lock. Idempotent; operations after it
     * fail with a {@link StoreException}.
     */
    public Mono<Void> close() {
        return closing;
    }

    private void closeOnStoreThread() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        boolean checkpointed = false;
        wal.forceDeferred(nothingQueued()); // the transactions that allowed a delay complete now
        try {
            // a clean close gives back the sequences reserved and not handed out (the reservation is
            // for crashes), so after it the outbox numbers on without a gap
            maps.outboxSequences.values().forEach(s -> {
                if (s.logged > s.last) {
                    maps.outboxSeq.put(s.recipient, StoreMaps.longValue(s.last));
                }
            });
            maps.checkpointedRecord(wal.lastRecord());
            maps.store.commit(); // everything the log holds is in the file after this and the sync
            maps.store.sync();
            checkpointed = true;
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            wal.close(checkpointed);
        } catch (IOException e) {
            UncheckedIOException u = new UncheckedIOException("closing the write-ahead log of " + dataDir, e);
            if (failure == null) {
                failure = u;
            } else {
                failure.addSuppressed(u);
            }
        }
        try {
            maps.store.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            UncheckedIOException u = new UncheckedIOException("releasing " + dataDir.resolve(LOCK_FILE), e);
            if (failure == null) {
                failure = u;
            } else {
                failure.addSuppressed(u);
            }
        } finally {
            HELD.remove(dataDir);
            executor.shutdown();
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "NodeStore[" + dataDir + (closed ? ", closed" : "") + "]";
    }
}
