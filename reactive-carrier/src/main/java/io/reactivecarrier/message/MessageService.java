package io.reactivecarrier.message;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivecarrier.core.MessageTooLargeException;
import io.reactivecarrier.core.UnknownFriendException;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.Mailbox;
import io.reactivecarrier.link.Link;
import io.reactivecarrier.link.LinkEvent;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.store.KeyValueMap;
import io.reactivecarrier.store.NodeStore;
import io.reactivecarrier.store.OutboxEntry;
import io.reactivecarrier.wire.DecodeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The message layer of a node: the durable outbox, delivery over friend links with receipts,
 * the offline path through the DHT mailbox, and the deduplicating hand-out behind
 * {@link #incoming()}: on arrival under each friend's cursor record's lease, or through the durable
 * inbox. See docs/messages.md for the design and docs/protocol/messages.md for the wire format.
 *
 * <pre>{@code
 * MessageService messages = MessageService.create(store, links, mailbox, friends, MessageOptions.create());
 * messages.start().then(messages.send(friend, "hi")) ...      // Mono<Receipt>: DELIVERED or STORED_OFFLINE
 * }</pre>
 *
 * <h2>Threading</h2>
 * All state lives on the links' scheduler ({@link LinkManager#scheduler()}, the node's event
 * loop), as the links' own state does: a frame is handled, and the frames it causes are sent,
 * on the thread that read it. Enqueues from other threads and store results hop onto it through
 * one task queue ({@link #run}). Disk work runs on the store's own thread; nothing here blocks.
 */
public final class MessageService implements Messages {

    private static final Logger log = LoggerFactory.getLogger(MessageService.class);
    static final String INBOX = "message.inbox";
    static final String CURSORS = "message.cursor";
    static final String OFFLINE_STATE = "OFFLINE:";
    private static final int BATCH = 2048;
    private static final int APPENDS_IN_FLIGHT = 2;
    /** Messages handed out per commit: also the most that are handed out again after a crash. */
    private static final int HAND_OUT_BATCH = BATCH;
    private static final int PACE_FRAMES = 256;
    private static final int RECENT = 65_536;
    /**
     * How far past its cursor a friend's messages may be handed out before a commit records them
     * (the cursor record's lease): four times as far as the cursor moved since the last record, at
     * least {@code LEASE_MIN} and at most {@code LEASE_MAX}. After a crash, the copies up to the lease
     * that the sender had sent before are taken again flagged: the lease bounds the flags, and it
     * runs out only when the flow quadruples between two commits (then messages wait for a commit).
     */
    static final int LEASE_MIN = 128;
    static final int LEASE_MAX = 2048;
    private static final int MAX_DEPOSITS = 16;
    /** Tasks run per scheduled drain before the timers get a turn. */
    private static final int DRAIN_BATCH = 1024;

    private final NodeStore store;
    private final LinkManager links;
    private final Mailbox mailbox;
    private final FriendDirectory friends;
    private final MessageOptions o;
    private final Scheduler loop;
    private final KeyValueMap inbox;
    private final KeyValueMap cursors;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final Sinks.Many<Receipt> receipts = Sinks.many().multicast().directBestEffort();
    /** send() Monos waiting for their first receipt (any thread puts; the loop completes). */
    private final Map<MessageId, MonoSink<Receipt>> waiters = new ConcurrentHashMap<>();
    private final Disposable.Composite timers = Disposables.composite();
    /** Tasks for the service's scheduler (see run). */
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean drainScheduled = new java.util.concurrent.atomic.AtomicBoolean();

    // ---- sending (loop-confined unless noted)
    private final Map<UserId, Peer> peers = new HashMap<>();
    /** The peers by {@link Peer#index}. */
    private final List<Peer> peerList = new ArrayList<>();
    private final Queue<Append> appendQueue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedSends = new AtomicInteger();
    /**
     * Outbox commits submitted and not applied yet (at most {@link #APPENDS_IN_FLIGHT}): the next
     * batch forms while the store works on the last one. Their fsyncs are not waited for here: they
     * are put off up to {@link MessageOptions#outboxSyncDelay()} and shared (the sends waiting for
     * them are bounded by the options' {@code maxQueuedSends}).
     */
    private int appending;
    private final List<byte[]> removals = new ArrayList<>();
    private boolean removing;
    private long lastAppendCommit = Long.MIN_VALUE / 2;
    private final ArrayDeque<Paced> paced = new ArrayDeque<>();
    private boolean pacerArmed;
    private int deposits;
    /** Ids of the last messages delivered, by the peer they went to. */
    private final RecentIds recentDelivered = new RecentIds(RECENT);
    private long outboxSize;

    // ---- receiving
    private final Map<PartialKey, Partial> partials = new HashMap<>();
    private long reassemblyBytes;
    private final List<Incoming> persistQueue = new ArrayList<>();
    private boolean persisting;
    private int persistingCount;
    private long lastPersistCommit = Long.MIN_VALUE / 2;
    private int inboxCount;
    /** Messages in the peers' {@link Peer#held}. */
    private int heldCount;
    private long inboxBytes;
    private FluxSink<Message> subscriber;
    private long demand;
    private boolean pumping;

    private volatile boolean started;
    private volatile boolean closed;
    private final Mono<Void> startOnce;

    // ---- metrics
    private final Counter sentCounter;
    private final Counter deliveredCounter;
    private final Counter storedOfflineCounter;
    private final Counter duplicatesCounter;
    private final Counter receivedCounter;
    private final Counter droppedFull;
    private final Counter droppedMalformed;
    private final Counter retransmits;
    private final Timer latency;
    private final Timer appendCommits;
    private final Timer persistCommits;
    private final Timer handOutCommits;
    private final Timer removeCommits;

    private MessageService(NodeStore store, LinkManager links, Mailbox mailbox, FriendDirectory friends,
            MessageOptions options) {
        this.store = store;
        this.links = links;
        this.mailbox = mailbox;
        this.friends = friends;
        this.o = options;
        // the links' event loop, not a thread of its own: that one's hand-overs (frames in, frames out)
        // cost a wake-up each way on both nodes (docs/messages.md, "Session 15")
        this.loop = links.scheduler();
        this.inbox = store.map(INBOX, Math.max(NodeStore.DEFAULT_MAX_ENTRIES, options.inboxMaxMessages * 2 + BATCH));
        this.cursors = store.map(CURSORS);
        MeterRegistry r = options.meterRegistry != null ? options.meterRegistry : new SimpleMeterRegistry();
        String node = links.userId().shortString();
        sentCounter = Counter.builder("carrier.messages.sent").tag("node", node)
                .description("messages accepted into the outbox").register(r);
        deliveredCounter = Counter.builder("carrier.messages.delivered").tag("node", node)
                .description("messages acknowledged by their recipient").register(r);
        storedOfflineCounter = Counter.builder("carrier.messages.stored.offline").tag("node", node)
                .description("messages stored in a friend's DHT mailbox").register(r);
        duplicatesCounter = Counter.builder("carrier.messages.duplicates").tag("node", node)
                .description("received messages dropped as duplicates").register(r);
        receivedCounter = Counter.builder("carrier.messages.received").tag("node", node)
                .description("new messages stored in the inbox").register(r);
        droppedFull = Counter.builder("carrier.messages.dropped").tag("node", node).tag("reason", "inbox_full")
                .description("received messages not acknowledged because the inbox is full").register(r);
        droppedMalformed = Counter.builder("carrier.messages.dropped").tag("node", node).tag("reason", "malformed")
                .register(r);
        retransmits = Counter.builder("carrier.messages.retransmits").tag("node", node).register(r);
        latency = Timer.builder("carrier.messages.delivery.latency").tag("node", node)
                .description("from send to the recipient's receipt").register(r);
        appendCommits = Timer.builder("carrier.messages.commits").tag("node", node).tag("stage", "outbox").register(r);
        persistCommits = Timer.builder("carrier.messages.commits").tag("node", node).tag("stage", "inbox").register(r);
        handOutCommits = Timer.builder("carrier.messages.commits").tag("node", node).tag("stage", "hand_out").register(r);
        removeCommits = Timer.builder("carrier.messages.commits").tag("node", node).tag("stage", "delivered").register(r);
        Gauge.builder("carrier.messages.outbox.size", this, s -> s.outboxSize).tag("node", node)
                .description("messages in the outbox").register(r);
        this.startOnce = Mono.defer(this::doStart).cache();
        receipts.asFlux().subscribe(this::completeWaiter, e -> failWaiters(), this::failWaiters);
    }

    /** Completes the send() Mono of a message with its first receipt (STORED_OFFLINE or DELIVERED). */
    private void completeWaiter(Receipt r) {
        MonoSink<Receipt> w = waiters.remove(r.id());
        if (w != null) {
            w.success(r);
        }
    }

    private void failWaiters() {
        for (MessageId id : new ArrayList<>(waiters.keySet())) {
            MonoSink<Receipt> w = waiters.remove(id);
            if (w != null) {
                w.error(new IllegalStateException("the message service closed before message " + id
                        + " was delivered or stored offline; it stays in the outbox and is sent after a restart"
                        + " (its receipt then comes on receipts())"));
            }
        }
    }

    /**
     * A message service over a node's store, links and mailbox. {@code mailbox} may be null (no
     * offline path). Call {@link #start()} before use; sends made earlier wait for it.
     */
    public static MessageService create(NodeStore store, LinkManager links, Mailbox mailbox, FriendDirectory friends,
            MessageOptions options) {
        return new MessageService(Objects.requireNonNull(store, "store"), Objects.requireNonNull(links, "links"),
                mailbox, Objects.requireNonNull(friends, "friends"), Objects.requireNonNull(options, "options"));
    }

    // =====================================================================================
    // lifecycle

    /**
     * Loads the outbox and the inbox, registers the link frame handlers, starts the timers and
     * fetches the mailbox once. Subscribing twice starts once.
     */
    public Mono<Void> start() {
        return startOnce;
    }

    private Mono<Void> doStart() {
        if (closed) {
            return Mono.error(new IllegalStateException("this message service was closed; create a new one"));
        }
        return store.transaction(tx -> new Loaded(tx.outbox(), tx.scan(inbox, new byte[0]), tx.scan(cursors, new byte[0])))
                .publishOn(loop)
                .doOnNext(this::load)
                .then(Mono.fromRunnable(() -> {
                    links.handle(MessageCodec.FRAME_MSG, (l, b) -> onMsgFrame(l, b, false));
                    links.handle(MessageCodec.FRAME_MSG_AGAIN, (l, b) -> onMsgFrame(l, b, true));
                    links.handle(MessageCodec.FRAME_RECEIPT, this::onReceiptFrame);
                    timers.add(links.events().subscribe(e -> run(() -> onLinkEvent(e))));
                    timers.add(friends.online().onErrorResume(e -> Flux.empty())
                            .subscribe(u -> run(() -> onFriendOnline(u))));
                    long tick = o.tick.toMillis();
                    timers.add(loop.schedulePeriodically(this::tick, tick, tick, TimeUnit.MILLISECONDS));
                    if (mailbox != null && !o.mailboxPoll.isZero()) {
                        long poll = o.mailboxPoll.toMillis();
                        timers.add(loop.schedulePeriodically(this::pollMailbox, 0, poll, TimeUnit.MILLISECONDS));
                    }
                    started = true;
                    drainAppends();
                    peers.values().forEach(p -> {
                        flush(p);
                        maybeConnect(p);
                    });
                    pump();
                }).subscribeOn(loop))
                .then();
    }

    private record Loaded(List<OutboxEntry> outbox, List<KeyValueMap.Entry> inbox, List<KeyValueMap.Entry> cursors) {
    }

    private void load(Loaded l) {
        long now = now();
        for (OutboxEntry e : l.outbox) {
            outboxSize++;
            Peer p = peer(UserId.of(e.recipient()));
            p.sendable = Math.max(p.sendable, e.sequence()); // loaded: durable
            if (!p.spilled && hasRoom(p, e.payload().length)) {
                Out m = new Out(MessageId.wrap(e.messageId()), e.sequence(), e.createdAtMillis(), e.payload(), now);
                m.sentBefore = true; // perhaps, before a crash
                if (e.state().startsWith(OFFLINE_STATE)) {
                    m.offline = true;
                    m.depositedAt = Long.parseLong(e.state().substring(OFFLINE_STATE.length()));
                }
                p.add(m);
            } else {
                p.spilled = true;
            }
        }
        // the cursor record is (cursor, handed out through). Up to the second value every message went to a
        // subscriber: inbox entries there are only waiting to be deleted. Between the two, the inbox entries
        // are owed again (flagged: the crash may have come after their hand-out), and the messages accepted
        // without an inbox record were not acknowledged unless handed out: the sender resends them, above
        // every inbox entry of that range (drainPersist), and the cursor stops below them to take them again.
        // A record of 8 bytes (before the second value) knows nothing handed out: its inbox entries are owed.
        // Messages handed out on arrival (handNow) have no inbox entry; up to the lease, a copy may be one of
        // them, so the copies taken again up to it are flagged.
        for (KeyValueMap.Entry c : l.cursors) {
            Peer p = peer(UserId.of(c.key()));
            long cursor = MessageCodec.longAt(c.value(), 0);
            boolean both = c.value().length >= 16;
            long h = both ? MessageCodec.longAt(c.value(), 8) : 0;
            long lease = c.value().length >= 24 ? MessageCodec.longAt(c.value(), 16) : cursor;
            p.cursor = both ? h : cursor;
            p.redeliverThrough = Math.max(cursor, lease); // up to the lease, hand-outs on arrival may have happened
            p.leaseDurable = lease;
            p.recordCursor = cursor;
            p.recordHanded = h;
            p.recordLease = lease;
        }
        for (KeyValueMap.Entry e : l.inbox) {
            byte[] k = e.key();
            Peer p = peer(UserId.of(Arrays.copyOf(k, 32)));
            long seq = MessageCodec.longAt(k, 32);
            int size = e.value().length;
            p.inbox.put(seq, size);
            if (seq > p.recordHanded && seq <= p.recordCursor) {
                p.owed.put(seq, true);
                p.cursor = Math.max(p.cursor, seq);
            }
            inboxCount++;
            inboxBytes += size;
        }
        log.debug("{}: loaded {} outbox and {} inbox messages", links.userId().shortString(), outboxSize, inboxCount);
    }

    /** Stops the timers, fails sends still waiting for the disk and ends {@link #incoming()}. Idempotent. */
    public Mono<Void> close() {
        return Mono.<Void>fromRunnable(() -> {
            if (closed) {
                return;
            }
            closed = true;
            timers.dispose();
            for (Append a; (a = appendQueue.poll()) != null; ) {
                a.sink.error(new IllegalStateException("the message service closed before the message was stored"));
            }
            if (subscriber != null) {
                subscriber.complete();
                subscriber = null;
            }
            links.handle(MessageCodec.FRAME_MSG, (l, b) -> { });
            links.handle(MessageCodec.FRAME_MSG_AGAIN, (l, b) -> { });
            links.handle(MessageCodec.FRAME_RECEIPT, (l, b) -> { });
            receipts.tryEmitComplete();
        }).subscribeOn(loop)
                .then(Mono.defer(this::flushDeferredDeletes).subscribeOn(loop)); // the loop is the links': they stop it
    }

    /**
     * Commits the deletions that ride on later commits while messages flow (delivered outbox
     * entries, inbox entries already handed out), so that a graceful stop hands nothing out again
     * after a restart; only a crash can (flagged {@link Message#redelivered()}). Runs on the loop.
     */
    private Mono<Void> flushDeferredDeletes() {
        List<byte[]> outbox = new ArrayList<>(removals);
        removals.clear();
        List<byte[]> handedOut = new ArrayList<>();
        Map<byte[], byte[]> records = new LinkedHashMap<>();
        for (Peer p : peers.values()) {
            for (long seq : p.inbox.headMap(p.cursor, true).keySet()) {
                if (!p.owed.containsKey(seq)) {
                    handedOut.add(MessageCodec.inboxKey(p.userBytes, seq));
                }
            }
            // the record's second value catches up (a commit in flight writes its own: left to it)
            if (!persisting && !pumping) {
                long h = handedThrough(p);
                if (p.cursor != p.recordCursor || h != p.recordHanded || p.recordLease != p.cursor) {
                    // no lease: nothing more is handed out, so a restart flags nothing
                    records.put(p.userBytes, MessageCodec.cursorRecord(p.cursor, h, p.cursor));
                }
            }
        }
        if (outbox.isEmpty() && handedOut.isEmpty() && records.isEmpty()) {
            return Mono.empty();
        }
        return store.transaction(tx -> {
                    outbox.forEach(tx::removeOutbox);
                    handedOut.forEach(k -> tx.remove(inbox, k));
                    records.forEach((k, v) -> tx.put(cursors, k, v, Long.MAX_VALUE));
                    return true;
                })
                .doOnError(e -> log.warn("{}: could not commit {} deletions at close (after a restart the outbox"
                        + " resends them, deduplicated, and the inbox hands them out again, flagged redelivered): {}",
                        links.userId().shortString(), outbox.size() + handedOut.size(), e.toString()))
                .onErrorResume(e -> Mono.empty())
                .then();
    }

    // =====================================================================================
    // API

    @Override
    public Mono<Receipt> send(UserId friend, byte[] body) {
        return Mono.defer(() -> {
            MessageId id = MessageId.random();
            return Mono.<Receipt>create(sink -> {
                // registered before the message can reach the outbox: no receipt can slip past
                waiters.put(id, sink);
                sink.onDispose(() -> waiters.remove(id, sink));
                append(friend, body, id).subscribe(null, e -> {
                    waiters.remove(id, sink);
                    sink.error(e);
                });
            });
        });
    }

    @Override
    public Mono<MessageId> enqueue(UserId friend, byte[] body) {
        return Mono.defer(() -> append(friend, body, MessageId.random()));
    }

    private Mono<MessageId> append(UserId friend, byte[] body, MessageId id) {
        return Mono.defer(() -> {
            Objects.requireNonNull(friend, "friend");
            Objects.requireNonNull(body, "body");
            if (closed) {
                return Mono.error(new IllegalStateException("the message service is closed"));
            }
            if (!friends.isFriend(friend)) {
                return Mono.error(new UnknownFriendException(friend));
            }
            if (body.length > o.maxMessageBytes) {
                return Mono.error(new MessageTooLargeException(body.length, o.maxMessageBytes));
            }
            if (queuedSends.incrementAndGet() > o.maxQueuedSends) {
                queuedSends.decrementAndGet();
                return Mono.error(new IllegalStateException("more than " + o.maxQueuedSends
                        + " sends are waiting for the disk; wait for earlier send()/enqueue() Monos to complete"));
            }
            byte[] copy = body.clone();
            return Mono.<MessageId>create(sink -> {
                appendQueue.add(new Append(friend, id, copy, System.currentTimeMillis(), sink));
                run(this::drainAppends);
            });
        });
    }

    @Override
    public Mono<Receipt> delivered(MessageId id) {
        Objects.requireNonNull(id, "id");
        Mono<Receipt> later = receipts.asFlux()
                .filter(r -> r.id().equals(id) && r.status() == Receipt.Status.DELIVERED).next();
        Mono<Receipt> now = Mono.<Receipt>create(sink -> run(() -> checkDelivered(id, sink)))
                .flatMap(r -> r == PENDING_RECEIPT ? Mono.never() : Mono.just(r));
        return Mono.firstWithValue(later, now);
    }

    private static final Receipt PENDING_RECEIPT = new Receipt(MessageId.wrap(new byte[16]),
            UserId.of(new byte[32]), Receipt.Status.DELIVERED, 0);

    private UserId recentlyDelivered(MessageId id) {
        int p = recentDelivered.ownerOf(id.raw());
        return p < 0 ? null : peerList.get(p).user;
    }

    private void checkDelivered(MessageId id, MonoSink<Receipt> sink) {
        UserId f = recentlyDelivered(id);
        if (f != null) {
            sink.success(new Receipt(id, f, Receipt.Status.DELIVERED, System.currentTimeMillis()));
            return;
        }
        for (Peer p : peers.values()) {
            if (p.byId.containsKey(id)) {
                sink.success(PENDING_RECEIPT);
                return;
            }
        }
        for (Append a : appendQueue) {
            if (a.id.equals(id)) {
                sink.success(PENDING_RECEIPT);
                return;
            }
        }
        store.outbox().entry(id.raw()).subscribe(e -> run(() -> {
            UserId again = recentlyDelivered(id);
            if (again != null) {
                sink.success(new Receipt(id, again, Receipt.Status.DELIVERED, System.currentTimeMillis()));
            } else if (e.isPresent()) {
                sink.success(PENDING_RECEIPT);
            } else {
                sink.error(new NoSuchElementException("message " + id + " is not in the outbox: it was delivered"
                        + " before the last " + RECENT + " receipts, or this node never sent it"));
            }
        }), sink::error);
    }

    @Override
    public Flux<Receipt> receipts() {
        return receipts.asFlux();
    }

    @Override
    public Flux<Message> incoming() {
        return Flux.<Message>create(sink -> run(() -> attach(sink)), FluxSink.OverflowStrategy.ERROR);
    }

    private void attach(FluxSink<Message> sink) {
        if (closed) {
            sink.complete();
            return;
        }
        if (subscriber != null) {
            sink.error(new IllegalStateException("incoming() already has a subscriber; share one subscription"
                    + " (for example with publish()) or cancel the other first"));
            return;
        }
        subscriber = sink;
        demand = 0;
        sink.onRequest(n -> run(() -> {
            if (subscriber == sink) {
                demand = Operators.addCap(demand, n);
                pump();
            }
        }));
        sink.onDispose(() -> run(() -> {
            if (subscriber == sink) {
                subscriber = null;
                demand = 0;
            }
        }));
    }

    /**
     * Hands one item of this node's mailbox of type 0x10..0x1F (from the friends layer's mailbox
     * dispatcher). Completes when the item is stored (or known as a duplicate, or dropped as
     * malformed or not from a friend): then the caller may delete it. Fails when the inbox is full
     * (keep the item and try again later).
     */
    public Mono<Void> onMailboxItem(UserId sender, byte[] body) {
        return Mono.defer(() -> {
            if (!friends.isFriend(sender)) {
                log.debug("dropping a mailbox message from {}, who is not a friend", sender.shortString());
                return Mono.empty();
            }
            MessageCodec.Fragment f;
            try {
                f = MessageCodec.readFragment(body, o.maxMessageBytes);
            } catch (DecodeException e) {
                log.debug("dropping a malformed mailbox message: {}", e.getMessage());
                droppedMalformed.increment();
                return Mono.empty();
            }
            return Mono.<Void>create(sink -> run(() -> onFragment(sender, f, true, true, sink)));
        });
    }

    /**
     * Fetches this node's mailbox now: stores the messages in it, deletes the stored ones and
     * emits how many items were handled. Also runs on start and every {@code mailboxPoll}.
     */
    public Mono<Integer> fetchMailbox() {
        if (mailbox == null) {
            return Mono.just(0);
        }
        return mailbox.fetch()
                .filter(i -> i.type() >= 0x10 && i.type() <= 0x1f)
                .flatMap(i -> (i.type() == MessageCodec.MAILBOX_MSG ? onMailboxItem(UserId.of(i.sender()), i.body())
                        : Mono.<Void>empty())
                        .thenReturn(i.entryId())
                        .onErrorResume(e -> {
                            log.debug("mailbox item not handled yet: {}", e.toString());
                            return Mono.empty();
                        }), 16) // items are stored in group commits
                // stored items are deleted in batches, one DHT lookup per batch
                .buffer(64)
                .concatMap(stored -> mailbox.delete(stored).onErrorResume(e -> Mono.just(0)).thenReturn(stored.size()))
                .reduce(0, Integer::sum);
    }

    private void pollMailbox() {
        if (!fetching.compareAndSet(false, true)) {
            return; // the last fetch is still running: never pile fetches of the same items up
        }
        fetchMailbox().doFinally(s -> fetching.set(false)).subscribe(n -> log.debug("mailbox fetch handled {} items", n),
                e -> log.debug("mailbox fetch failed: {}", e.toString()));
    }

    private final java.util.concurrent.atomic.AtomicBoolean fetching = new java.util.concurrent.atomic.AtomicBoolean();

    // =====================================================================================
    // sending

    private void drainAppends() {
        if (!started || appending >= APPENDS_IN_FLIGHT || appendQueue.isEmpty() || closed) {
            return;
        }
        List<Append> batch = new ArrayList<>();
        long bytes = 0;
        for (Append a; batch.size() < BATCH && bytes < (8 << 20) && (a = appendQueue.poll()) != null; ) {
            batch.add(a);
            bytes += a.body.length;
        }
        // delivered messages leave the outbox in the same commit (one fsync for both)
        List<byte[]> delivered = removing || removals.isEmpty() ? List.of() : new ArrayList<>(removals);
        if (!delivered.isEmpty()) {
            removals.clear();
        }
        appending++;
        long t0 = System.nanoTime();
        AppendBatch b = number(batch);
        store.transaction(tx -> {
            delivered.forEach(tx::removeOutbox);
            long[] seqs = new long[batch.size()];
            long[] reserved = new long[batch.size()];
            for (int i = 0; i < seqs.length; i++) {
                Append a = batch.get(i);
                byte[] to = a.friend.toBytes();
                if (b.chosen[i] != 0) {
                    tx.appendOutboxAt(a.id.raw(), to, b.chosen[i], a.createdAt, a.body);
                    seqs[i] = b.chosen[i];
                } else {
                    seqs[i] = tx.appendOutboxSequence(a.id.raw(), to, a.createdAt, a.body);
                }
                if (i == seqs.length - 1 || !batch.get(i + 1).friend.equals(a.friend)) {
                    reserved[i] = tx.outboxSequenceReserved(to); // after the last append of a run: covers the run
                }
            }
            return new Appended(seqs, reserved);
        }, r -> run(() -> appendApplied(b, r)), o.outboxSyncDelay).subscribe(r -> run(() -> {
            appendCommits.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            appendDurable(batch, r);
        }), e -> run(() -> {
            if (!b.applied) {
                appending--; // else counted down when applied
            }
            queuedSends.addAndGet(-batch.size());
            forget(b);
            batch.forEach(a -> a.sink.error(e));
            drainAppends();
            drainRemovals();
        }));
        // numbered messages go out now, as far as a durable commit reserved their sequences, in
        // parallel with the commit that appends them (it runs before any that removes them)
        place(b, true);
    }

    /**
     * The sequence numbers of an append commit and, at the last message of each run of messages to
     * one recipient, that recipient's reservation ({@link io.reactivecarrier.store.Tx#outboxSequenceReserved});
     * 0 elsewhere.
     */
    private record Appended(long[] seqs, long[] reserved) {
    }

    /**
     * One append commit's messages: those numbered here ({@code chosen}, else 0: the store numbers
     * them), and the messages in memory ({@code outs}).
     */
    private static final class AppendBatch {
        final List<Append> batch;
        final long[] chosen;
        final Out[] outs;
        /** Peers with messages the store numbers: they count in {@link Peer#storeNumbering} until applied. */
        final Set<Peer> storeNumbered = new HashSet<>();
        /** The sequences of all the batch's messages, once applied. */
        long[] seqs;
        boolean applied;

        AppendBatch(List<Append> batch) {
            this.batch = batch;
            this.chosen = new long[batch.size()];
            this.outs = new Out[batch.size()];
        }
    }

    /**
     * Numbers the batch's messages to peers whose last sequence is known here (no commit in flight
     * lets the store number theirs); the others are numbered by the store, which tells this service
     * where their numbers stand once applied. So a message need not wait for the store thread before
     * it goes out.
     */
    private AppendBatch number(List<Append> batch) {
        AppendBatch b = new AppendBatch(batch);
        for (int i = 0; i < batch.size(); i++) {
            Peer p = peer(batch.get(i).friend);
            if (p.lastSeq > 0 && p.storeNumbering == 0) {
                b.chosen[i] = ++p.lastSeq;
            } else {
                b.storeNumbered.add(p); // p.lastSeq is known again once this commit is applied
            }
        }
        b.storeNumbered.forEach(p -> p.storeNumbering++);
        return b;
    }

    /**
     * Puts messages of {@code b} in memory and sends what their peers' windows and reservations
     * allow: the numbered ones ({@code numbered}) when the commit is submitted, the others once it is applied.
     */
    private void place(AppendBatch b, boolean numbered) {
        long now = now();
        Set<Peer> touched = new HashSet<>();
        for (int i = 0; i < b.outs.length; i++) {
            if ((b.chosen[i] != 0) != numbered) {
                continue;
            }
            Append a = b.batch.get(i);
            Peer p = peer(a.friend);
            if (!numbered) {
                p.lastSeq = Math.max(p.lastSeq, b.seqs[i]);
            }
            outboxSize++;
            sentCounter.increment();
            if (!p.spilled && hasRoom(p, a.body.length)) {
                b.outs[i] = new Out(a.id, numbered ? b.chosen[i] : b.seqs[i], a.createdAt, a.body, now);
                p.add(b.outs[i]);
            } else {
                p.spilled = true;
                if (p.reloading) {
                    p.appendedWhileReloading = true;
                }
            }
            touched.add(p);
        }
        for (Peer p : touched) {
            flush(p);
            maybeConnect(p);
        }
    }

    /**
     * An append commit is applied (not yet durable): the messages the store numbered join their
     * peers now, and those whose sequences a durable commit reserved go out at once, in parallel
     * with the fsync. After a crash before the fsync the outbox starts after the reservation, so no
     * sequence names two messages (see docs/messages.md "Sending before the outbox is durable").
     */
    private void appendApplied(AppendBatch b, Appended r) {
        b.seqs = r.seqs;
        place(b, false);
        release(b);
        appending--;
        lastAppendCommit = now();
        drainAppends();
        drainRemovals();
    }

    /** The store numbered {@code b}'s messages (or failed to): their peers may be numbered here again. */
    private void release(AppendBatch b) {
        if (!b.applied) {
            b.applied = true;
            b.storeNumbered.forEach(p -> p.storeNumbering--);
        }
    }

    /** An append commit is durable: its sends complete, and its reservations allow later sequences out. */
    private void appendDurable(List<Append> batch, Appended r) {
        queuedSends.addAndGet(-batch.size());
        Set<Peer> touched = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            Peer p = peer(batch.get(i).friend);
            p.sendable = Math.max(p.sendable, Math.max(r.seqs[i], r.reserved[i]));
            touched.add(p);
        }
        for (Append a : batch) {
            a.sink.success(a.id);
        }
        for (Peer p : touched) {
            flush(p);
        }
    }

    /**
     * An append commit failed (before or after it was applied): its messages leave memory (some may
     * have gone out), and its peers' numbers are asked from the store again.
     */
    private void forget(AppendBatch b) {
        for (int i = 0; i < b.outs.length; i++) {
            Append a = b.batch.get(i);
            Peer p = peer(a.friend);
            if (b.chosen[i] != 0 || b.storeNumbered.contains(p)) {
                p.lastSeq = 0;
            }
            Out m = b.outs[i];
            if (m != null && p.remove(m)) {
                outboxSize--;
            } else if (m == null && (b.chosen[i] != 0 || b.applied)) {
                outboxSize--; // counted when placed, but kept on disk only (spilled)
            }
        }
        release(b);
    }

    private boolean hasRoom(Peer p, int size) {
        return p.out.isEmpty() || (p.out.size() < o.maxInMemoryPerFriend && p.outBytes + size <= (64L << 20));
    }

    private Link upLink(UserId user) {
        Link l = links.link(user).orElse(null);
        return l != null && l.isUp() ? l : null;
    }

    /** Sends what the window allows. */
    private void flush(Peer p) {
        Link l = upLink(p.user);
        if (l == null) {
            return;
        }
        long now = now();
        // in sequence order, and only what a durable commit holds or reserved (see appendApplied)
        while (!p.unsent.isEmpty() && p.sent.size() < o.window && p.unsent.peek().seq <= p.sendable) {
            Out m = p.unsent.poll();
            p.sent.put(m.id, m);
            transmit(p, l, m, now);
        }
    }

    private void transmit(Peer p, Link l, Out m, long now) {
        m.lastSent = now;
        m.sends++;
        boolean again = m.sentBefore;
        m.sentBefore = true;
        long floor = p.out.isEmpty() ? m.seq : Math.min(p.out.firstKey(), m.seq);
        int chunk = l.maxPayload() - MessageCodec.HEADER;
        int frames = Math.max(1, (m.body.length + chunk - 1) / chunk);
        if (frames <= 8) {
            for (int off = 0, i = 0; i < frames; i++, off += chunk) {
                sendFragment(l, m, floor, off, Math.min(chunk, m.body.length - off), again);
            }
        } else {
            paced.add(new Paced(p, m, m.sends, floor, 0, again));
            armPacer();
        }
    }

    /** {@code again}: this node may have sent the message before ({@link MessageCodec#FRAME_MSG_AGAIN}). */
    private void sendFragment(Link l, Out m, long floor, int offset, int length, boolean again) {
        ByteBuf b = alloc.buffer(MessageCodec.HEADER + length);
        MessageCodec.writeFragment(b, m.id.raw(), m.seq, floor, m.createdAt, m.body, offset, length);
        l.send(again ? MessageCodec.FRAME_MSG_AGAIN : MessageCodec.FRAME_MSG, b);
    }

    private void armPacer() {
        if (!pacerArmed && !paced.isEmpty()) {
            pacerArmed = true;
            loop.schedule(this::pace, 1, TimeUnit.MILLISECONDS);
        }
    }

    private void pace() {
        pacerArmed = false;
        int budget = PACE_FRAMES;
        while (budget > 0 && !paced.isEmpty()) {
            Paced x = paced.peek();
            Link l = upLink(x.peer.user);
            if (l == null || x.sends != x.m.sends || !x.peer.byId.containsKey(x.m.id)) {
                paced.poll(); // link gone, superseded by a retransmission, or acknowledged
                continue;
            }
            int chunk = l.maxPayload() - MessageCodec.HEADER;
            while (budget > 0 && x.offset < x.m.body.length) {
                int len = Math.min(chunk, x.m.body.length - x.offset);
                sendFragment(l, x.m, x.floor, x.offset, len, x.again);
                x.offset += len;
                budget--;
            }
            if (x.offset >= x.m.body.length) {
                paced.poll();
                x.m.lastSent = now();
            }
        }
        armPacer();
    }

    private long rto(Peer p, Out m) {
        // at least retransmitTimeout; more when receipts take longer (a loaded receiver or a slow path)
        long base = Math.max(o.retransmitTimeout.toMillis(), 3 * p.srtt) + m.body.length / 20_000;
        return base << Math.min(2, Math.max(0, m.sends - 1));
    }

    private void onReceiptFrame(Link link, ByteBuf payload) {
        List<byte[]> ids;
        try {
            ids = MessageCodec.readReceipt(payload);
        } catch (DecodeException e) {
            droppedMalformed.increment();
            return;
        }
        UserId from = link.peer();
        run(() -> onReceipts(from, ids));
    }

    private void onReceipts(UserId from, List<byte[]> ids) {
        Peer p = peers.get(from);
        if (p == null) {
            return;
        }
        long now = System.currentTimeMillis();
        for (byte[] raw : ids) {
            MessageId id = MessageId.wrap(raw);
            Out m = p.byId.get(id);
            if (m == null || !p.remove(m)) {
                continue; // a duplicate receipt, or an entry not loaded (it is removed below all the same)
            }
            if (m.sends == 1 && m.lastSent > 0) {
                long sample = Math.max(0, now() - m.lastSent);
                p.srtt = p.srtt == 0 ? sample : (7 * p.srtt + sample) / 8;
            }
            outboxSize--;
            removals.add(raw);
            deliveredCounter.increment();
            latency.record(Math.max(0, now - m.createdAt), TimeUnit.MILLISECONDS);
            recentDelivered.add(p.index, raw);
            receipts.tryEmitNext(new Receipt(id, from, Receipt.Status.DELIVERED, now));
        }
        drainRemovals();
        flush(p);
        maybeReload(p);
    }

    private void drainRemovals() {
        if (removing || removals.isEmpty() || appending > 0) { // an append commit in flight takes them next
            return;
        }
        if (removals.size() < BATCH && (!appendQueue.isEmpty() || now() - lastAppendCommit < 2 * o.tick.toMillis())) {
            return; // sends are flowing: the next append commit takes them (else the tick does, soon)
        }
        List<byte[]> batch = new ArrayList<>(removals);
        removals.clear();
        removing = true;
        long t0 = System.nanoTime();
        boolean[] applied = {false}; // loop-confined
        // nobody waits for these to be durable (after a crash the messages go again, deduplicated): the fsync is shared
        store.transaction(tx -> {
            batch.forEach(tx::removeOutbox);
            return batch.size();
        }, n -> run(() -> {
            applied[0] = true;
            removing = false;
            drainRemovals();
        }), o.outboxSyncDelay).subscribe(n -> run(() -> removeCommits.record(System.nanoTime() - t0,
                TimeUnit.NANOSECONDS)), e -> run(() -> {
            log.warn("could not remove {} delivered messages from the outbox (they will be sent again and"
                    + " deduplicated): {}", batch.size(), e.toString());
            if (!applied[0]) {
                removing = false;
                drainRemovals();
            }
        }));
    }

    private void maybeReload(Peer p) {
        if (!p.spilled || p.reloading || p.out.size() >= o.maxInMemoryPerFriend / 2) {
            return;
        }
        p.reloading = true;
        p.appendedWhileReloading = false;
        long after = p.maxLoadedSeq;
        int room = o.maxInMemoryPerFriend - p.out.size();
        store.outbox().pending(p.userBytes).filter(e -> e.sequence() > after).take(room).collectList()
                .subscribe(list -> run(() -> {
                    p.reloading = false;
                    long now = now();
                    for (OutboxEntry e : list) {
                        MessageId id = MessageId.wrap(e.messageId());
                        if (!p.byId.containsKey(id) && e.sequence() > p.maxLoadedSeq) {
                            Out m = new Out(id, e.sequence(), e.createdAtMillis(), e.payload(), now);
                            m.sentBefore = true; // perhaps, before a crash
                            if (e.state().startsWith(OFFLINE_STATE)) {
                                m.offline = true;
                                m.depositedAt = Long.parseLong(e.state().substring(OFFLINE_STATE.length()));
                            }
                            p.add(m);
                        }
                    }
                    p.spilled = list.size() >= room || p.appendedWhileReloading;
                    flush(p);
                }), e -> run(() -> p.reloading = false));
    }

    private void onLinkEvent(LinkEvent e) {
        Peer p = peers.get(e.peer());
        if (p == null || e.type() != LinkEvent.Type.UP) {
            return;
        }
        p.connecting = false;
        Link l = upLink(p.user);
        if (l == null) {
            return;
        }
        // retransmit on reconnect: what was in flight goes again now, in sequence order
        long now = now();
        List<Out> again = new ArrayList<>(p.sent.values());
        again.sort((a, b) -> Long.compare(a.seq, b.seq));
        for (Out m : again) {
            m.sends = 0;
            transmit(p, l, m, now);
        }
        flush(p);
        flushReceipts(p);
    }

    private void onFriendOnline(UserId user) {
        Peer p = peers.get(user);
        if (p != null) {
            p.lastConnect = Long.MIN_VALUE / 2;
            maybeConnect(p);
            flush(p);
        }
    }

    private void maybeConnect(Peer p) {
        if (closed || p.connecting || (p.out.isEmpty() && !p.spilled && p.receiptsToSend.isEmpty())) {
            return;
        }
        if (upLink(p.user) != null) {
            return;
        }
        long now = now();
        if (now - p.lastConnect < o.connectRetry.toMillis()) {
            return;
        }
        p.lastConnect = now;
        p.connecting = true;
        links.connect(p.user).subscribe(l -> run(() -> {
            p.connecting = false;
            flush(p);
            flushReceipts(p);
        }), e -> run(() -> p.connecting = false));
    }

    private void tick() {
        if (closed) {
            return;
        }
        long now = now();
        for (Peer p : peers.values()) {
            Link l = upLink(p.user);
            if (l != null) {
                List<Out> due = null;
                for (Out m : p.sent.values()) {
                    if (now - m.lastSent >= rto(p, m)) {
                        (due == null ? due = new ArrayList<>() : due).add(m);
                    }
                }
                if (due != null) {
                    for (Out m : due) {
                        retransmits.increment();
                        p.sent.remove(m.id);
                        p.sent.put(m.id, m);
                        transmit(p, l, m, now);
                    }
                }
                flush(p);
                if (!p.receiptsToSend.isEmpty()) {
                    flushReceipts(p);
                }
            } else {
                maybeConnect(p);
                offline(p, now);
            }
            maybeReload(p);
        }
        expirePartials(now);
        if (demand > 0 || heldCount > 0) {
            pump();
        }
        drainRemovals();
    }

    // ---- offline path

    private void offline(Peer p, long now) {
        if (mailbox == null) {
            return;
        }
        long wall = System.currentTimeMillis();
        for (Out m : p.out.values()) {
            if (deposits >= MAX_DEPOSITS) {
                return;
            }
            if (m.depositing || m.body.length > o.maxOfflineMessageBytes || now < m.nextDepositTry
                    || m.seq > p.sendable) {
                continue;
            }
            boolean first = !m.offline && now - m.firstTry >= o.offlineAfter.toMillis();
            boolean again = m.offline && wall - m.depositedAt >= o.redepositAfter.toMillis();
            if (first || again) {
                deposit(p, m);
            }
        }
    }

    private void deposit(Peer p, Out m) {
        m.depositing = true;
        deposits++;
        long floor = p.out.isEmpty() ? m.seq : Math.min(p.out.firstKey(), m.seq);
        int chunk = Mailbox.MAX_ITEM_BYTES - MessageCodec.HEADER;
        List<byte[]> items = new ArrayList<>();
        int off = 0;
        do {
            int len = Math.min(chunk, m.body.length - off);
            items.add(MessageCodec.fragment(m.id.raw(), m.seq, floor, m.createdAt, m.body, off, len));
            off += len;
        } while (off < m.body.length);
        byte[] recipient = p.userBytes;
        long at = System.currentTimeMillis();
        Flux.fromIterable(items)
                .concatMap(item -> Mono.defer(() -> mailbox.deposit(recipient, MessageCodec.MAILBOX_MSG, item, o.offlineTtl))
                        .subscribeOn(Schedulers.boundedElastic()) // sealing and signing: CPU work off the loop
                        .onErrorResume(e -> {
                            log.info("mailbox deposit failed: {}", e.toString());
                            return Mono.just(0);
                        }))
                .reduce(Integer.MAX_VALUE, Math::min)
                .flatMap(min -> min >= o.offlineReplicas
                        ? store.outbox().markState(m.id.raw(), OFFLINE_STATE + at).thenReturn(true)
                        : Mono.just(false))
                .subscribe(ok -> run(() -> deposited(p, m, ok, at)), e -> run(() -> deposited(p, m, false, at)));
    }

    private void deposited(Peer p, Out m, boolean ok, long at) {
        m.depositing = false;
        deposits--;
        if (!ok) {
            m.nextDepositTry = now() + o.connectRetry.toMillis();
            return;
        }
        boolean first = !m.offline;
        m.offline = true;
        m.depositedAt = at;
        if (first && p.byId.containsKey(m.id)) {
            storedOfflineCounter.increment();
            receipts.tryEmitNext(new Receipt(m.id, p.user, Receipt.Status.STORED_OFFLINE, System.currentTimeMillis()));
        }
    }

    // =====================================================================================
    // receiving

    private void onMsgFrame(Link link, ByteBuf payload, boolean again) {
        MessageCodec.Fragment f;
        try {
            f = MessageCodec.readFragment(payload, o.maxMessageBytes);
        } catch (DecodeException e) {
            droppedMalformed.increment();
            return;
        }
        UserId from = link.peer();
        run(() -> onFragment(from, f, false, again, null));
    }

    /**
     * {@code again}: the sender may have sent this message before (a retransmission, or a mailbox
     * copy): after a crash, only such copies can be of a message handed out before it.
     */
    private void onFragment(UserId sender, MessageCodec.Fragment f, boolean offline, boolean again,
            MonoSink<Void> done) {
        if (closed) {
            if (done != null) {
                done.error(new IllegalStateException("the message service is closed"));
            }
            return;
        }
        if (!offline && !friends.isFriend(sender)) {
            return;
        }
        Peer p = peer(sender);
        p.floorSeen = Math.max(p.floorSeen, f.floor());
        MessageId id = MessageId.wrap(f.id());
        // handed out already (at or below the cursor) or stored and waiting in the inbox: the sender missed
        // the receipt. A sender never reuses a sequence number (its reservation survives crashes), so the
        // cursor and the inbox are the dedupe record, kept as long as the friend, without the store
        if (f.seq() <= p.cursor || p.inbox.containsKey(f.seq())) {
            duplicatesCounter.increment();
            if (p.held.containsKey(f.seq())) {
                notYet(done); // left behind by a subscriber, not stored yet: acknowledged once stored
                return;
            }
            queueReceipt(p, f.id());
            flushReceipts(p);
            if (done != null) {
                done.success();
            }
            return;
        }
        if (f.whole()) {
            complete(p, id, f.seq(), f.sentAt(), f.chunk(), offline, again, done);
            return;
        }
        PartialKey key = new PartialKey(sender, id, offline);
        Partial pa = partials.get(key);
        if (pa == null) {
            if (reassemblyBytes + f.total() > o.maxReassemblyBytes) {
                if (done != null) {
                    done.error(new IllegalStateException("reassembly buffers are full; try again later"));
                }
                return; // the sender retransmits later
            }
            pa = new Partial(f.total(), now());
            partials.put(key, pa);
            reassemblyBytes += f.total();
        }
        pa.again |= again;
        if (pa.offsets.add(f.offset())) {
            System.arraycopy(f.chunk(), 0, pa.buf, f.offset(), f.chunk().length);
            pa.received += f.chunk().length;
        }
        if (pa.received >= pa.buf.length) {
            partials.remove(key);
            reassemblyBytes -= pa.buf.length;
            complete(p, id, f.seq(), f.sentAt(), pa.buf, offline, pa.again, done);
        } else if (done != null) {
            done.success();
        }
    }

    private void expirePartials(long now) {
        if (partials.isEmpty()) {
            return;
        }
        long limit = o.reassemblyTimeout.toMillis();
        Iterator<Map.Entry<PartialKey, Partial>> it = partials.entrySet().iterator();
        while (it.hasNext()) {
            Partial pa = it.next().getValue();
            if (now - pa.startedAt > limit) {
                reassemblyBytes -= pa.buf.length;
                it.remove();
            }
        }
    }

    private void complete(Peer p, MessageId id, long seq, long sentAt, byte[] body, boolean offline, boolean again,
            MonoSink<Void> done) {
        if (handNow(p, seq, offline, done)) {
            // handed out on arrival, acknowledged at the end of the turn: the sender's outbox held it until
            // onNext. The turn's commit records the cursor (its lease made this one safe to hand out first)
            p.cursor = seq;
            p.recordDirty = true;
            recordsDirty = true;
            persistAfterDrain = true;
            demand--;
            receivedCounter.increment();
            subscriber.next(new Message(p.user, id, seq, sentAt, false, again && seq <= p.redeliverThrough, body));
            queueReceipt(p, id.raw());
            if (!p.receiptDue) {
                p.receiptDue = true;
                receiptsDue.add(p);
            }
            return;
        }
        int pending = persistQueue.size() + persistingCount;
        // a message before everything waiting in the inbox is always admitted: it fills the gap that
        // holds the others back (otherwise a full inbox of later messages would wait for it for ever)
        Long firstWaiting = p.inbox.higherKey(p.cursor);
        boolean fillsGap = firstWaiting != null && seq < firstWaiting && pending < o.inboxMaxMessages;
        if (!fillsGap && (inboxCount + pending >= o.inboxMaxMessages || inboxBytes + body.length > o.inboxMaxBytes)) {
            droppedFull.increment();
            if (done != null) {
                done.error(new IllegalStateException("the inbox is full; keep the item and try again later"));
            }
            return; // not acknowledged: the sender keeps it and retransmits
        }
        persistQueue.add(new Incoming(p, id, seq, sentAt, body, offline, again, done));
        p.pendingStore++;
        persistAfterDrain = true; // with the other frames of this read, at the end of the turn (drainTasks)
    }

    /**
     * Messages joined the store queue during this turn of {@link #drainTasks}: the turn ends by
     * starting their commit, so that the frames of one read of the socket (a GRO batch: up to 64
     * datagrams) share it. Started at the first of them, a commit often took one message, and the
     * rest of the burst waited for its fsync (a quarter of the commits carried five or fewer).
     */
    private boolean persistAfterDrain;

    /** Some peer's {@link Peer#recordDirty}. */
    private boolean recordsDirty;

    /** Peers with receipts of messages handed out on arrival, sent at the end of the turn. */
    private final List<Peer> receiptsDue = new ArrayList<>();

    /**
     * Whether a message can go to the subscriber on arrival, before any commit: it came over the
     * link (a mailbox copy is acknowledged by deleting it from the DHT, so it is stored first), it
     * is the next of its sender (nothing of the sender waits in the inbox, the store queue or the
     * commit in flight, nothing is owed or held), the subscriber has demand, and the durable cursor
     * record's lease covers it: after a crash, the copies the sender resends up to the lease are
     * taken again flagged {@link Message#redelivered()}.
     */
    private boolean handNow(Peer p, long seq, boolean offline, MonoSink<Void> done) {
        FluxSink<Message> s = subscriber;
        return !offline && done == null && s != null && demand > 0 && !closed && seq <= p.leaseDurable
                && (seq == p.cursor + 1 || (seq > p.cursor && seq <= p.floorSeen))
                && p.pendingStore == 0 && p.held.isEmpty() && p.owed.isEmpty() && p.inbox.higherKey(p.cursor) == null
                && !s.isCancelled();
    }

    private void drainPersist() {
        if (persisting || pumping || (persistQueue.isEmpty() && !recordsDirty)) {
            return; // a hand-out commit in flight: the batch goes with the next commit
        }
        List<Incoming> batch = new ArrayList<>();
        long bytes = 0;
        Iterator<Incoming> it = persistQueue.iterator();
        while (it.hasNext() && batch.size() < BATCH && bytes < (8 << 20)) {
            Incoming in = it.next();
            batch.add(in);
            bytes += in.body.length;
            it.remove();
        }
        persisting = true;
        persistingCount = batch.size();
        // new: neither handed out nor in the inbox, and the first copy in this batch. One commit is in flight
        // at a time, so a copy queued while an earlier one was being stored finds it in the inbox here.
        boolean[] fresh = new boolean[batch.size()];
        Map<Peer, TreeMap<Long, Integer>> arriving = new HashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            Incoming in = batch.get(i);
            fresh[i] = in.seq > in.peer.cursor && !in.peer.inbox.containsKey(in.seq)
                    && arriving.computeIfAbsent(in.peer, k -> new TreeMap<>()).putIfAbsent(in.seq, i) == null;
        }
        // the messages of this batch that the subscriber can take are handed out in the same commit
        // (one fsync for storing, acknowledging and handing out)
        HandOut plan = planHandOut(arriving, batch);
        pumping = !plan.isEmpty();
        boolean[] bodyless = bodyless(plan, batch);
        // acknowledged after the hand-out: the messages without an inbox record, and other copies of them
        boolean[] receiptLater = new boolean[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            Incoming in = batch.get(i);
            Integer first = fresh[i] ? null : arriving.getOrDefault(in.peer, EMPTY_ARRIVING).get(in.seq);
            receiptLater[i] = bodyless[i] || (first != null && bodyless[first]);
        }
        List<byte[]> pickKeys = plan.pickKeys();
        Map<Peer, Long> leases = new HashMap<>();
        Map<byte[], byte[]> cursorWrites = cursorWrites(plan, leases);
        long t0 = System.nanoTime();
        store.transaction(tx -> {
            for (int i = 0; i < fresh.length; i++) {
                Incoming in = batch.get(i);
                if (fresh[i] && !bodyless[i]) {
                    tx.put(inbox, MessageCodec.inboxKey(in.peer.userBytes, in.seq),
                            MessageCodec.inboxHead(in.seq, in.sentAt, in.offline, in.again, in.id.raw()), in.body,
                            Long.MAX_VALUE);
                }
            }
            plan.removeKeys.forEach(k -> tx.remove(inbox, k));
            cursorWrites.forEach((k, v) -> tx.put(cursors, k, v, Long.MAX_VALUE));
            return tx.getAll(inbox, pickKeys); // null for messages of this batch
        }).subscribe(values -> run(() -> {
            persistCommits.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            lastPersistCommit = now();
            leased(leases);
            persisted(batch, fresh, bodyless, receiptLater);
            if (!plan.isEmpty()) {
                pumped(plan, values, batch, bodyless);
            } else {
                pump();
            }
        }), e -> run(() -> {
            log.warn("could not store {} received messages (not acknowledged; the senders retry): {}",
                    batch.size(), e.toString());
            persisting = false;
            persistingCount = 0;
            unrecorded(leases);
            pumping = false;
            batch.forEach(in -> {
                in.peer.pendingStore--;
                if (in.done != null) {
                    in.done.error(e);
                }
            });
            pump();
        }));
    }

    private void persisted(List<Incoming> batch, boolean[] fresh, boolean[] bodyless, boolean[] receiptLater) {
        log.debug("{}: stored {} received messages", links.userId().shortString(), fresh.length);
        persisting = false;
        persistingCount = 0;
        Set<Peer> touched = new HashSet<>();
        for (int i = 0; i < fresh.length; i++) {
            Incoming in = batch.get(i);
            in.peer.pendingStore--;
            if (fresh[i]) {
                if (!bodyless[i]) {
                    stored(in.peer, in.seq, in.body.length);
                }
                receivedCounter.increment();
            } else {
                duplicatesCounter.increment();
            }
            if (receiptLater[i] || in.peer.held.containsKey(in.seq)) {
                notYet(in.done); // no record of it yet: acknowledged once handed out (pumped) or stored (storeHeld)
                continue;
            }
            queueReceipt(in.peer, in.id.raw());
            touched.add(in.peer);
            if (in.done != null) {
                in.done.success();
            }
        }
        touched.forEach(this::flushReceipts);
    }

    /** A message of {@code p} is in the stored inbox now (its record: a 33-byte head and the body). */
    private void stored(Peer p, long seq, int bodyLength) {
        if (p.inbox.put(seq, bodyLength + 33) == null) {
            inboxCount++;
            inboxBytes += bodyLength + 33;
        }
    }

    /** A mailbox copy of a message that has no record here yet: the dispatcher keeps the item for later. */
    private static void notYet(MonoSink<Void> done) {
        if (done != null) {
            done.error(new IllegalStateException("the message is being handed out; keep the item and try again later"));
        }
    }

    /**
     * The messages of {@code batch} that the commit hands out without writing them to the inbox:
     * those that arrived online (a mailbox copy is acknowledged by deleting it from the DHT, only
     * once stored) and come after the peer's last pick from the inbox in this hand-out. Their
     * receipts go out after {@code onNext}, so until then the sender keeps them, and after a crash
     * it resends them. Coming last, they lie above every inbox entry the cursor record's range
     * covers, which is what {@link #load} relies on to take them again in order.
     */
    private static boolean[] bodyless(HandOut plan, List<Incoming> batch) {
        boolean[] b = new boolean[batch.size()];
        if (plan.picks.isEmpty()) {
            return b;
        }
        Map<Peer, Integer> lastFromInbox = new HashMap<>();
        for (int k = 0; k < plan.picks.size(); k++) {
            if (plan.picks.get(k).arriving < 0) {
                lastFromInbox.put(plan.picks.get(k).peer, k);
            }
        }
        for (int k = 0; k < plan.picks.size(); k++) {
            Pick pk = plan.picks.get(k);
            if (pk.arriving >= 0 && batch.get(pk.arriving).done == null
                    && k > lastFromInbox.getOrDefault(pk.peer, -1)) {
                b[pk.arriving] = true;
            }
        }
        return b;
    }

    /** The last sequence of {@code p} known to be handed out: below the first one owed or held. */
    private static long handedThrough(Peer p) {
        long h = p.cursor;
        if (!p.owed.isEmpty()) {
            h = Math.min(h, p.owed.firstKey() - 1);
        }
        if (!p.held.isEmpty()) {
            h = Math.min(h, p.held.firstKey() - 1);
        }
        return h;
    }

    /**
     * The cursor records a commit writes, for the peers whose cursor it moves or moved on arrival:
     * the new cursor, what was handed out before it, and a lease past the cursor (into
     * {@code leases}, applied once durable; see {@link #LEASE_MIN}).
     */
    private Map<byte[], byte[]> cursorWrites(HandOut h, Map<Peer, Long> leases) {
        Map<byte[], byte[]> w = new LinkedHashMap<>();
        List<Peer> write = new ArrayList<>(h.newCursor.keySet());
        if (recordsDirty) {
            recordsDirty = false;
            for (Peer p : peerList) {
                if (p.recordDirty && !h.newCursor.containsKey(p)) {
                    write.add(p);
                }
            }
        }
        for (Peer p : write) {
            long c = Math.max(p.cursor, h.newCursor.getOrDefault(p, 0L));
            long moved = Math.max(0, c - p.recordCursor);
            p.recordDirty = false;
            p.recordCursor = c;
            p.recordHanded = handedThrough(p);
            p.recordLease = c + Math.max(LEASE_MIN, Math.min(LEASE_MAX, 4 * moved));
            leases.put(p, p.recordLease);
            w.put(p.userBytes, MessageCodec.cursorRecord(c, p.recordHanded, p.recordLease));
        }
        return w;
    }

    /** A commit with these cursor records is durable: their leases hold. */
    private static void leased(Map<Peer, Long> leases) {
        leases.forEach((p, lease) -> p.leaseDurable = Math.max(p.leaseDurable, lease));
    }

    /** A commit with these cursor records failed: they are written again with the next one. */
    private void unrecorded(Map<Peer, Long> leases) {
        leases.keySet().forEach(p -> p.recordDirty = true);
        recordsDirty |= !leases.isEmpty();
    }

    private void queueReceipt(Peer p, byte[] id) {
        if (p.receiptsToSend.size() >= RECENT) {
            p.receiptsToSend.remove(0); // a dropped receipt is sent again when the message is retransmitted
        }
        p.receiptsToSend.add(id);
    }

    private void flushReceipts(Peer p) {
        if (p.receiptsToSend.isEmpty()) {
            return;
        }
        Link l = upLink(p.user);
        if (l == null) {
            maybeConnect(p);
            return;
        }
        int cap = MessageCodec.receiptCapacity(l.maxPayload());
        List<byte[]> all = p.receiptsToSend;
        for (int i = 0; i < all.size(); i += cap) {
            List<byte[]> part = all.subList(i, Math.min(all.size(), i + cap));
            ByteBuf b = alloc.buffer(2 + part.size() * 16);
            MessageCodec.writeReceipt(b, part);
            l.send(MessageCodec.FRAME_RECEIPT, b);
        }
        p.receiptsToSend = new ArrayList<>();
    }

    // ---- handing messages to incoming()

    /** One message to hand out: from the inbox ({@code arriving} -1) or from the batch being stored. */
    private record Pick(Peer peer, long seq, boolean redelivered, int arriving) {
    }

    /** What one commit hands out, the cursors it moves and the handed-out entries it deletes. */
    private static final class HandOut {
        final List<Pick> picks = new ArrayList<>();
        final List<byte[]> removeKeys = new ArrayList<>();
        final List<Long> removeSeqs = new ArrayList<>();
        final List<Peer> removePeers = new ArrayList<>();
        final Map<Peer, Long> newCursor = new HashMap<>();

        boolean isEmpty() {
            return picks.isEmpty() && removeKeys.isEmpty();
        }

        /** The inbox keys to read, null for messages of the batch being stored. */
        List<byte[]> pickKeys() {
            List<byte[]> keys = new ArrayList<>(picks.size());
            picks.forEach(pk -> keys.add(pk.arriving >= 0 ? null : MessageCodec.inboxKey(pk.peer.userBytes, pk.seq)));
            return keys;
        }
    }

    /**
     * Plans a hand-out over the inbox plus {@code arriving} (per peer: sequence to index in the
     * batch being stored, none of them in the inbox or at or below the cursor).
     */
    private HandOut planHandOut(Map<Peer, TreeMap<Long, Integer>> arriving, List<Incoming> batch) {
        HandOut h = new HandOut();
        long budget = subscriber == null || subscriber.isCancelled() || closed ? 0 : Math.min(demand, HAND_OUT_BATCH);
        long bytes = 0;
        for (Peer p : peers.values()) {
            TreeMap<Long, Integer> extra = arriving.getOrDefault(p, EMPTY_ARRIVING);
            if ((p.inbox.isEmpty() && extra.isEmpty()) || !p.held.isEmpty()) {
                continue; // held: they go first, once stored (storeHeld)
            }
            long cursor = p.cursor;
            Iterator<Map.Entry<Long, Integer>> a = p.inbox.entrySet().iterator();
            Iterator<Map.Entry<Long, Integer>> b = extra.entrySet().iterator();
            Map.Entry<Long, Integer> ea = a.hasNext() ? a.next() : null;
            Map.Entry<Long, Integer> eb = b.hasNext() ? b.next() : null;
            while (ea != null || eb != null) {
                boolean fromInbox = eb == null || (ea != null && ea.getKey() < eb.getKey());
                Map.Entry<Long, Integer> e = fromInbox ? ea : eb;
                if (fromInbox) {
                    ea = a.hasNext() ? a.next() : null;
                } else {
                    eb = b.hasNext() ? b.next() : null;
                }
                long seq = e.getKey();
                int size = fromInbox ? e.getValue() : 0;
                int index = fromInbox ? -1 : e.getValue();
                Boolean owedFlag = fromInbox ? p.owed.get(seq) : null;
                if (owedFlag != null) {
                    if (h.picks.size() < budget && bytes < (16 << 20)) {
                        h.picks.add(new Pick(p, seq, owedFlag, -1));
                        bytes += size;
                    }
                } else if (fromInbox && seq <= p.cursor) {
                    h.removeKeys.add(MessageCodec.inboxKey(p.userBytes, seq));
                    h.removeSeqs.add(seq);
                    h.removePeers.add(p);
                } else if ((seq == cursor + 1 || seq <= p.floorSeen) && h.picks.size() < budget && bytes < (16 << 20)) {
                    // a copy that arrived now is flagged if it may be a resend of one handed out before a crash;
                    // one from the inbox, as its stored copy was (pumped)
                    h.picks.add(new Pick(p, seq, !fromInbox && batch.get(index).again && seq <= p.redeliverThrough, index));
                    bytes += size;
                    cursor = seq;
                    h.newCursor.put(p, cursor);
                } else {
                    break; // a gap: wait for the missing message
                }
            }
        }
        return h;
    }

    private static final TreeMap<Long, Integer> EMPTY_ARRIVING = new TreeMap<>();

    private void pump() {
        if (pumping || persisting || closed) {
            return;
        }
        if (heldCount > 0) {
            storeHeld(); // before anything else is handed out
            return;
        }
        if (!persistQueue.isEmpty() || recordsDirty) {
            drainPersist(); // hands out with the next batch
            return;
        }
        if (subscriber == null || demand <= 0) {
            return;
        }
        HandOut plan = planHandOut(Map.of(), List.of());
        if (plan.picks.isEmpty() && now() - lastPersistCommit < 2 * o.tick.toMillis()) {
            return; // only deletions of handed-out entries: messages are flowing, the next store commit takes them
        }
        if (plan.isEmpty()) {
            if (log.isDebugEnabled()) {
                peers.values().forEach(p -> log.debug("{}: nothing to hand from {}: inbox {}, cursor {}, floor {}",
                        links.userId().shortString(), p.user.shortString(), p.inbox.keySet(), p.cursor, p.floorSeen));
            }
            return;
        }
        pumping = true;
        List<byte[]> pickKeys = plan.pickKeys();
        Map<Peer, Long> leases = new HashMap<>();
        Map<byte[], byte[]> cursorWrites = cursorWrites(plan, leases);
        long t0 = System.nanoTime();
        store.transaction(tx -> {
            plan.removeKeys.forEach(k -> tx.remove(inbox, k));
            cursorWrites.forEach((k, v) -> tx.put(cursors, k, v, Long.MAX_VALUE));
            return tx.getAll(inbox, pickKeys);
        }).subscribe(values -> run(() -> {
            handOutCommits.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            leased(leases);
            pumped(plan, values, List.of(), new boolean[0]);
        }), e -> run(() -> {
            log.warn("could not read the inbox: {}", e.toString());
            pumping = false;
            unrecorded(leases);
            drainPersist();
        }));
    }

    private void pumped(HandOut plan, List<byte[]> values, List<Incoming> batch, boolean[] bodyless) {
        pumping = false;
        for (int i = 0; i < plan.removePeers.size(); i++) {
            Integer size = plan.removePeers.get(i).inbox.remove(plan.removeSeqs.get(i));
            if (size != null) {
                inboxCount--;
                inboxBytes -= size;
            }
        }
        plan.newCursor.forEach((p, c) -> p.cursor = Math.max(p.cursor, c));
        Set<Peer> acknowledged = null;
        for (int i = 0; i < plan.picks.size(); i++) {
            Pick pk = plan.picks.get(i);
            Message m;
            boolean withoutRecord = pk.arriving >= 0 && bodyless[pk.arriving];
            if (pk.arriving >= 0) {
                Incoming in = batch.get(pk.arriving);
                m = new Message(pk.peer.user, in.id, in.seq, in.sentAt, in.offline, pk.redelivered, in.body);
            } else {
                byte[] v = values.get(i);
                if (v == null) {
                    pk.peer.owed.remove(pk.seq);
                    continue;
                }
                MessageId id = MessageId.of(Arrays.copyOfRange(v, 17, 33));
                // owed: flagged as owed; otherwise as the copy that was stored
                boolean again = pk.redelivered || ((v[16] & 2) != 0 && pk.seq <= pk.peer.redeliverThrough);
                m = new Message(pk.peer.user, id, MessageCodec.longAt(v, 0), MessageCodec.longAt(v, 8), (v[16] & 1) != 0,
                        again, Arrays.copyOfRange(v, 33, v.length));
            }
            FluxSink<Message> s = subscriber;
            if (s != null && s.isCancelled()) {
                // cancelled in an onNext of this hand-out (takeUntil, say): the rest would be dropped
                subscriber = null;
                demand = 0;
                s = null;
            }
            if (s == null) {
                // the subscriber left: the next one takes these first, in order
                if (withoutRecord) {
                    pk.peer.held.put(pk.seq, m); // not acknowledged until stored (storeHeld)
                    heldCount++;
                } else {
                    pk.peer.owed.put(pk.seq, pk.redelivered);
                }
                continue;
            }
            pk.peer.owed.remove(pk.seq);
            demand--;
            s.next(m);
            if (withoutRecord) {
                // handed out: only now may the sender forget it (until now it was in no log here)
                queueReceipt(pk.peer, m.id().raw());
                (acknowledged == null ? acknowledged = new HashSet<>() : acknowledged).add(pk.peer);
            }
        }
        if (acknowledged != null) {
            acknowledged.forEach(this::flushReceipts);
        }
        pump();
    }

    /**
     * Stores the messages a subscriber left behind that have no inbox record (see {@link Peer#held}),
     * then acknowledges them; they are owed to the next subscriber, before anything later from
     * their sender. On failure they stay held and the next tick tries again.
     */
    private void storeHeld() {
        if (pumping || persisting || closed || heldCount == 0) {
            return;
        }
        List<Message> all = new ArrayList<>(heldCount);
        peers.values().forEach(p -> all.addAll(p.held.values()));
        pumping = true;
        store.transaction(tx -> {
            for (Message m : all) {
                tx.put(inbox, MessageCodec.inboxKey(m.sender().toBytes(), m.sequence()),
                        MessageCodec.inboxHead(m.sequence(), m.sentAtMillis(), m.offline(), m.redelivered(), m.id().raw()),
                        m.body(),
                        Long.MAX_VALUE);
            }
            return true;
        }).subscribe(ok -> run(() -> {
            pumping = false;
            Set<Peer> touched = new HashSet<>();
            for (Message m : all) {
                Peer p = peer(m.sender());
                if (p.held.remove(m.sequence()) == null) {
                    continue;
                }
                heldCount--;
                stored(p, m.sequence(), m.body().length);
                p.owed.put(m.sequence(), m.redelivered());
                queueReceipt(p, m.id().raw());
                touched.add(p);
            }
            touched.forEach(this::flushReceipts);
            pump();
        }), e -> run(() -> {
            pumping = false;
            log.warn("{}: could not store {} messages a subscriber left behind (not acknowledged; tried again): {}",
                    links.userId().shortString(), all.size(), e.toString());
        }));
    }

    // =====================================================================================
    // helpers

    /**
     * Runs {@code task} on the service's scheduler, after the tasks handed in before it. Tasks go
     * through one queue drained by one scheduled task at a time (not one scheduled task each: a
     * frame or an enqueue would otherwise cost a ScheduledFutureTask, a lock and a wake-up).
     */
    private void run(Runnable task) {
        tasks.offer(task);
        if (drainScheduled.compareAndSet(false, true)) {
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        try {
            loop.schedule(this::drainTasks);
        } catch (java.util.concurrent.RejectedExecutionException gone) {
            tasks.clear(); // closed: nothing runs any more
            drainScheduled.set(false);
        }
    }

    private void drainTasks() {
        try {
            runTasks();
        } finally {
            if (!receiptsDue.isEmpty()) {
                for (Peer p : receiptsDue) {
                    p.receiptDue = false;
                    try {
                        flushReceipts(p);
                    } catch (RuntimeException e) {
                        log.error("could not send receipts", e);
                    }
                }
                receiptsDue.clear();
            }
            if (persistAfterDrain) {
                persistAfterDrain = false;
                try {
                    drainPersist();
                } catch (RuntimeException e) {
                    log.error("message service task failed", e);
                }
            }
        }
    }

    private void runTasks() {
        for (int i = 0; i < DRAIN_BATCH; i++) {
            Runnable task = tasks.poll();
            if (task == null) {
                drainScheduled.set(false);
                // a task offered between the poll and the reset: drain it here unless its producer scheduled a drain
                if (tasks.isEmpty() || !drainScheduled.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                // an Error too (an allocation can throw one): escaping here would leave the queue
                // marked as scheduled with no drain scheduled, and the service stopped for ever
                log.error("message service task failed", e);
                if (reactor.core.Exceptions.isJvmFatal(e)) {
                    scheduleDrain(); // the rest of the queue still runs; the JVM's failure goes on up
                    throw (Error) e;
                }
            }
        }
        scheduleDrain(); // more to do: after the timers that are due
    }

    private long now() {
        return loop.now(TimeUnit.MILLISECONDS);
    }

    private Peer peer(UserId user) {
        Peer p = peers.get(user);
        if (p == null) {
            p = new Peer(user, peerList.size());
            peers.put(user, p);
            peerList.add(p);
        }
        return p;
    }

    /** Test hook: runs {@code task} on the service's scheduler, in turn with the service's own tasks. */
    void runForTest(Runnable task) {
        run(task);
    }

    /** Test hook: messages in the inbox not yet removed. */
    int inboxCount() {
        return inboxCount;
    }

    @Override
    public String toString() {
        return "MessageService[" + links.userId().shortString() + "]";
    }

    private record Append(UserId friend, MessageId id, byte[] body, long createdAt, MonoSink<MessageId> sink) {
    }

    private record PartialKey(UserId sender, MessageId id, boolean offline) {
    }

    private static final class Partial {
        final byte[] buf;
        final Set<Integer> offsets = new HashSet<>();
        final long startedAt;
        int received;
        /** Some fragment came as {@link MessageCodec#FRAME_MSG_AGAIN}. */
        boolean again;

        Partial(int total, long startedAt) {
            this.buf = new byte[total];
            this.startedAt = startedAt;
        }
    }

    private record Incoming(Peer peer, MessageId id, long seq, long sentAt, byte[] body, boolean offline,
            boolean again, MonoSink<Void> done) {
    }

    private static final class Paced {
        final Peer peer;
        final Out m;
        final int sends;
        final long floor;
        final boolean again;
        int offset;

        Paced(Peer peer, Out m, int sends, long floor, int offset, boolean again) {
            this.peer = peer;
            this.m = m;
            this.sends = sends;
            this.floor = floor;
            this.offset = offset;
            this.again = again;
        }
    }

    /** A message in memory on the sending side. */
    private static final class Out {
        final MessageId id;
        final long seq;
        final long createdAt;
        final byte[] body;
        final long firstTry;
        long lastSent;
        int sends;
        boolean offline;
        long depositedAt;
        boolean depositing;
        /** Transmitted before, or loaded from the store (perhaps sent before a crash). */
        boolean sentBefore;
        long nextDepositTry;

        Out(MessageId id, long seq, long createdAt, byte[] body, long firstTry) {
            this.id = id;
            this.seq = seq;
            this.createdAt = createdAt;
            this.body = body;
            this.firstTry = firstTry;
        }
    }

    /** Both directions of the traffic with one friend. */
    private static final class Peer {
        final UserId user;
        final byte[] userBytes;
        /** Its place in {@code peerList}, and its owner number in the {@link RecentIds}. */
        final int index;
        // sending
        final TreeMap<Long, Out> out = new TreeMap<>();
        final Map<MessageId, Out> byId = new HashMap<>();
        final ArrayDeque<Out> unsent = new ArrayDeque<>();
        final LinkedHashMap<MessageId, Out> sent = new LinkedHashMap<>();
        long outBytes;
        long srtt;
        boolean spilled;
        boolean reloading;
        boolean appendedWhileReloading;
        long maxLoadedSeq;
        /**
         * The highest sequence that may go out: held by a durable commit or reserved by one. Messages
         * of a commit in flight above it wait for that commit.
         */
        long sendable;
        /**
         * The last sequence numbered, when known here (0: not known; the store numbers the next
         * batch and tells). Known only while no commit in which the store numbers is in flight
         * ({@link #storeNumbering}).
         */
        long lastSeq;
        int storeNumbering;
        boolean connecting;
        long lastConnect = Long.MIN_VALUE / 2;
        // receiving
        List<byte[]> receiptsToSend = new ArrayList<>();
        long floorSeen;
        /** The last sequence accepted for hand-out (every one up to it handed out, owed, held or known acknowledged). */
        long cursor;
        /** The cursor at the last start: copies up to it may have been handed out before, and are flagged. */
        long redeliverThrough;
        /** The cursor record as last written: (cursor, handed out through, lease). */
        long recordCursor;
        long recordHanded;
        long recordLease;
        /** The lease of the last durable cursor record: messages up to it may be handed out on arrival. */
        long leaseDurable;
        /** The cursor moved on arrival since the record was last written. */
        boolean recordDirty;
        /** Its messages in the store queue or in the commit in flight. */
        int pendingStore;
        /** In {@code receiptsDue}. */
        boolean receiptDue;
        /** Sequence to stored size (head and body). */
        final TreeMap<Long, Integer> inbox = new TreeMap<>();
        /**
         * Inbox entries at or below the cursor still owed to a subscriber (it left before they were
         * handed out, or a crash came between the commit and the hand-out); true when flagged
         * {@link Message#redelivered()}.
         */
        final TreeMap<Long, Boolean> owed = new TreeMap<>();
        /**
         * Messages accepted without an inbox record for a subscriber that left before they were
         * handed out: in memory only, not acknowledged, until a commit stores them in the inbox.
         */
        final TreeMap<Long, Message> held = new TreeMap<>();

        Peer(UserId user, int index) {
            this.user = user;
            this.index = index;
            this.userBytes = user.toBytes();
        }

        void add(Out m) {
            out.put(m.seq, m);
            byId.put(m.id, m);
            unsent.add(m);
            outBytes += m.body.length;
            maxLoadedSeq = Math.max(maxLoadedSeq, m.seq);
        }

        /** Takes {@code m} out of memory (sent or not); false if it was not here. */
        boolean remove(Out m) {
            if (byId.remove(m.id) == null) {
                return false;
            }
            out.remove(m.seq);
            outBytes -= m.body.length;
            if (sent.remove(m.id) == null) {
                unsent.remove(m);
            }
            return true;
        }
    }
}
