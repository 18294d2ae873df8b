package io.reactivecarrier.friend;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.Mailbox;
import io.reactivecarrier.dht.NodeId;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Reads the node's DHT {@link Mailbox} and hands each verified item to the handler of its type.
 * Shared by the layers that receive offline items: friends (types 0x01-0x0F) and messages
 * (0x10-0x1F). Obtain the node's dispatcher from {@link FriendService#mailbox()}.
 *
 * <ul>
 * <li>The mailbox is read when the service starts, every {@link FriendOptions#mailboxPollInterval()},
 * and on {@link #poll()}. Concurrent polls share one read.</li>
 * <li>An item is deleted from the DHT only after its handler's Mono completed (handled items are
 * deleted in batches of {@value #DELETE_BATCH}, one lookup each). A failed handler
 * (or one that takes longer than {@link #HANDLER_TIMEOUT}) leaves it for the next poll; handlers
 * persist first and deduplicate.</li>
 * <li>Items of a type nobody registered stay in the DHT until they expire (a later version, or
 * a layer registered later, may read them).</li>
 * </ul>
 *
 * <pre>{@code
 * MailboxDispatcher mailbox = friendService.mailbox();
 * mailbox.register(0x20, (sender, body) -> store.map("notes").put(sender.toBytes(), body));
 * mailbox.poll().subscribe(n -> log.info("{} items handled", n));
 * mailbox.deposit(friend, 0x20, "see you at 8".getBytes(StandardCharsets.UTF_8), Duration.ofDays(7))
 *         .subscribe(nodes -> log.info("stored on {} DHT nodes", nodes));
 * }</pre>
 */
public final class MailboxDispatcher {

    private static final Logger log = LoggerFactory.getLogger(MailboxDispatcher.class);

    /** Handled items deleted from the DHT together. */
    static final int DELETE_BATCH = 64;

    /** How long one handler may take before its item is left for the next poll. */
    public static final Duration HANDLER_TIMEOUT = Duration.ofSeconds(30);

    private final Mailbox mailbox;
    private final Scheduler scheduler;
    private final Duration interval;
    private final AtomicReferenceArray<MailboxHandler> handlers = new AtomicReferenceArray<>(256);
    private final AtomicReference<Mono<Integer>> inFlight = new AtomicReference<>();
    private volatile Disposable timer;
    private volatile boolean stopped;

    private MailboxDispatcher(Mailbox mailbox, Scheduler scheduler, Duration interval) {
        this.mailbox = mailbox;
        this.scheduler = scheduler;
        this.interval = interval;
    }

    /** A dispatcher of {@code mailbox}, polling every {@code interval} on {@code scheduler} once started. */
    public static MailboxDispatcher create(Mailbox mailbox, Scheduler scheduler, Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("the poll interval must be positive, got " + interval);
        }
        return new MailboxDispatcher(Objects.requireNonNull(mailbox, "mailbox"),
                Objects.requireNonNull(scheduler, "scheduler"), interval);
    }

    /**
     * Delivers items of {@code type} (1..255) to {@code handler}, replacing an earlier one.
     * Register before the first poll to see the items already waiting (the node registers its
     * layers before it starts polling).
     */
    public void register(int type, MailboxHandler handler) {
        checkType(type);
        handlers.set(type, Objects.requireNonNull(handler, "handler"));
    }

    /**
     * Signs and seals {@code body} to {@code to}'s mailbox as an item of {@code type}, kept for
     * {@code ttl}. Emits how many DHT nodes stored it (0: none did; try again later). Fails for a
     * body over {@link Mailbox#MAX_ITEM_BYTES}.
     */
    public Mono<Integer> deposit(UserId to, int type, byte[] body, Duration ttl) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(ttl, "ttl");
        checkType(type);
        return mailbox.deposit(to.toBytes(), type, body, ttl);
    }

    /**
     * Reads the mailbox now and dispatches what it holds. Emits how many items were handled and
     * deleted. A poll already running is joined rather than repeated.
     */
    public Mono<Integer> poll() {
        return Mono.defer(() -> {
            if (stopped) {
                return Mono.just(0);
            }
            Mono<Integer> running = inFlight.get();
            if (running != null) {
                return running;
            }
            AtomicReference<Mono<Integer>> me = new AtomicReference<>();
            // cleared before the result is emitted: a poll() right after this one completed starts anew
            Mono<Integer> fresh = doPoll().doOnTerminate(() -> inFlight.compareAndSet(me.get(), null)).cache();
            me.set(fresh);
            if (!inFlight.compareAndSet(null, fresh)) {
                Mono<Integer> other = inFlight.get();
                return other != null ? other : fresh;
            }
            return fresh;
        });
    }

    private Mono<Integer> doPoll() {
        // handlers run one item at a time; the handled items are deleted in batches (one DHT
        // lookup per batch instead of one per item)
        return mailbox.fetch()
                .concatMap(this::dispatch)
                .buffer(DELETE_BATCH)
                .concatMap(handled -> mailbox.delete(handled)
                        .onErrorResume(e -> {
                            log.debug("deleting {} mailbox items failed (a later poll finds them again and the"
                                    + " handlers drop them as duplicates): {}", handled.size(), e.toString());
                            return Mono.just(0);
                        })
                        .thenReturn(handled.size()))
                .reduce(0, Integer::sum)
                .doOnNext(n -> log.debug("mailbox poll handled {} items", n))
                .onErrorResume(e -> {
                    log.debug("mailbox poll failed: {}", e.toString());
                    return Mono.just(0);
                });
    }

    /** Runs the item's handler; emits the item's entry id when it was handled (then it may be deleted). */
    private Mono<NodeId> dispatch(Mailbox.Item item) {
        log.debug("mailbox item of type {}", item.type());
        MailboxHandler handler = handlers.get(item.type());
        if (handler == null) {
            return Mono.empty();
        }
        UserId sender;
        try {
            sender = UserId.of(item.sender());
        } catch (RuntimeException e) {
            return Mono.empty();
        }
        return Mono.defer(() -> handler.handle(sender, item.body()))
                .timeout(HANDLER_TIMEOUT)
                .then(Mono.just(item.entryId()))
                .onErrorResume(e -> {
                    log.debug("mailbox item of type {} from {} left for later: {}", item.type(), sender.shortString(),
                            e.toString());
                    return Mono.empty();
                });
    }

    /** Polls now and then every interval. Idempotent. */
    public void start() {
        if (timer != null || stopped) {
            return;
        }
        long ms = interval.toMillis();
        timer = scheduler.schedulePeriodically(() -> poll().subscribe(), 0, ms, TimeUnit.MILLISECONDS);
    }

    /** Stops polling. */
    public void stop() {
        stopped = true;
        Disposable t = timer;
        if (t != null) {
            t.dispose();
        }
    }

    private static void checkType(int type) {
        if (type < 1 || type > 255) {
            throw new IllegalArgumentException("mailbox item types are 1..255, got " + type);
        }
    }
}
