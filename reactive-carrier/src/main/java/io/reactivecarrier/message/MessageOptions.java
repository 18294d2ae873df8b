package io.reactivecarrier.message;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of the message layer; every setter returns a copy.
 *
 * <pre>{@code
 * MessageOptions.create().offlineAfter(Duration.ofSeconds(2)).offlineReplicas(5)
 * }</pre>
 */
public final class MessageOptions {

    /** The largest message by default: 5 MiB. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 5 << 20;

    int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    int maxOfflineMessageBytes = 64 << 10;
    int window = 1024;
    Duration retransmitTimeout = Duration.ofSeconds(1);
    Duration offlineAfter = Duration.ofSeconds(5);
    Duration offlineTtl = Duration.ofDays(7);
    Duration redepositAfter = Duration.ofHours(12);
    int offlineReplicas = 3;
    Duration mailboxPoll = Duration.ofSeconds(60);
    Duration connectRetry = Duration.ofSeconds(10);
    Duration tick = Duration.ofMillis(100);
    int inboxMaxMessages = 4096;
    long inboxMaxBytes = 64L << 20;
    long maxReassemblyBytes = 32L << 20;
    Duration reassemblyTimeout = Duration.ofMinutes(2);
    int maxInMemoryPerFriend = 4096;
    int maxQueuedSends = 65_536;
    Duration outboxSyncDelay = Duration.ofMillis(10);
    MeterRegistry meterRegistry;

    private MessageOptions() {
    }

    /** The defaults. */
    public static MessageOptions create() {
        return new MessageOptions();
    }

    private MessageOptions copy() {
        MessageOptions o = new MessageOptions();
        o.maxMessageBytes = maxMessageBytes;
        o.maxOfflineMessageBytes = maxOfflineMessageBytes;
        o.window = window;
        o.retransmitTimeout = retransmitTimeout;
        o.offlineAfter = offlineAfter;
        o.offlineTtl = offlineTtl;
        o.redepositAfter = redepositAfter;
        o.offlineReplicas = offlineReplicas;
        o.mailboxPoll = mailboxPoll;
        o.connectRetry = connectRetry;
        o.tick = tick;
        o.inboxMaxMessages = inboxMaxMessages;
        o.inboxMaxBytes = inboxMaxBytes;
        o.maxReassemblyBytes = maxReassemblyBytes;
        o.reassemblyTimeout = reassemblyTimeout;
        o.maxInMemoryPerFriend = maxInMemoryPerFriend;
        o.maxQueuedSends = maxQueuedSends;
        o.outboxSyncDelay = outboxSyncDelay;
        o.meterRegistry = meterRegistry;
        return o;
    }

    private static Duration positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
        return d;
    }

    private static int atLeast(int v, int min, String what) {
        if (v < min) {
            throw new IllegalArgumentException(what + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    /** The largest message (default 5 MiB; at most 64 MiB); larger sends fail fast. */
    public MessageOptions maxMessageBytes(int bytes) {
        if (bytes < 1 || bytes > (64 << 20)) {
            throw new IllegalArgumentException("maxMessageBytes must be 1..64 MiB, got " + bytes);
        }
        MessageOptions o = copy();
        o.maxMessageBytes = bytes;
        return o;
    }

    /** The largest message that goes into the DHT mailbox (default 64 KiB); larger ones wait for the link. */
    public MessageOptions maxOfflineMessageBytes(int bytes) {
        MessageOptions o = copy();
        o.maxOfflineMessageBytes = atLeast(bytes, 0, "maxOfflineMessageBytes");
        return o;
    }

    /** Messages per friend sent and not yet acknowledged (default 1024). */
    public MessageOptions window(int messages) {
        MessageOptions o = copy();
        o.window = atLeast(messages, 1, "window");
        return o;
    }

    /** First retransmission of an unacknowledged message (default 1 s, doubling up to 4 times that). */
    public MessageOptions retransmitTimeout(Duration d) {
        MessageOptions o = copy();
        o.retransmitTimeout = positive(d, "retransmitTimeout");
        return o;
    }

    /** How long a message waits for a link to its friend before it goes to the DHT mailbox (default 5 s). */
    public MessageOptions offlineAfter(Duration d) {
        MessageOptions o = copy();
        o.offlineAfter = positive(d, "offlineAfter");
        return o;
    }

    /** Expiry asked of the DHT for a mailbox item (default 7 days; DHT nodes may keep it for less). */
    public MessageOptions offlineTtl(Duration d) {
        MessageOptions o = copy();
        o.offlineTtl = positive(d, "offlineTtl");
        return o;
    }

    /**
     * How long after a deposit an undelivered message is deposited again (default 12 h): storage
     * nodes come and go, so twice a day the message is stored again on the nodes then closest to
     * the mailbox key, until it is delivered or {@link #offlineTtl(Duration) offlineTtl} ends.
     */
    public MessageOptions redepositAfter(Duration d) {
        MessageOptions o = copy();
        o.redepositAfter = positive(d, "redepositAfter");
        return o;
    }

    /** How many DHT nodes must store an offline message before it counts as STORED_OFFLINE (default 3). */
    public MessageOptions offlineReplicas(int nodes) {
        MessageOptions o = copy();
        o.offlineReplicas = atLeast(nodes, 1, "offlineReplicas");
        return o;
    }

    /**
     * How often this service fetches its own mailbox (default 60 s; also on start). Zero: never;
     * the node's mailbox dispatcher (which also serves friend requests) fetches the mailbox and
     * hands message items to {@link MessageService#onMailboxItem}.
     */
    public MessageOptions mailboxPoll(Duration d) {
        MessageOptions o = copy();
        o.mailboxPoll = java.util.Objects.requireNonNull(d, "mailboxPoll").isZero() ? Duration.ZERO
                : positive(d, "mailboxPoll");
        return o;
    }

    /** How often a link to a friend with undelivered messages or receipts is attempted (default 10 s). */
    public MessageOptions connectRetry(Duration d) {
        MessageOptions o = copy();
        o.connectRetry = positive(d, "connectRetry");
        return o;
    }

    /** The timer granularity of retransmissions and offline decisions (default 100 ms). */
    public MessageOptions tick(Duration d) {
        MessageOptions o = copy();
        o.tick = positive(d, "tick");
        return o;
    }

    /**
     * Bounds of the durable inbox of messages received and not yet read from {@link Messages#incoming()}
     * (defaults 4096 messages, 64 MiB). When full, this node stops acknowledging.
     */
    public MessageOptions inbox(int maxMessages, long maxBytes) {
        MessageOptions o = copy();
        o.inboxMaxMessages = atLeast(maxMessages, 1, "inbox maxMessages");
        if (maxBytes < 1) {
            throw new IllegalArgumentException("inbox maxBytes must be positive, got " + maxBytes);
        }
        o.inboxMaxBytes = maxBytes;
        return o;
    }

    /**
     * Not used any more: since session 7 a received message is recognised by its sequence number,
     * which a sender never reuses, and the receiver's cursor and inbox remember them for as long as
     * the friendship lasts (docs/messages.md). Kept so that existing configurations still build.
     *
     * @deprecated duplicates are recognised without expiry; this setting has no effect
     */
    @Deprecated
    public MessageOptions dedupeTtl(Duration d) {
        positive(d, "dedupeTtl"); // still rejects what it always rejected
        return this;
    }

    /**
     * How long the fsync of a commit to the outbox may be put off, so that the commits of a busy
     * sender share one (default 10 ms; zero: every commit forces the log at once; at most 1 s). The
     * message goes on the wire before its commit is durable either way; what waits is the
     * {@link Messages#enqueue} Mono, which completes once the message is durably in the outbox.
     */
    public MessageOptions outboxSyncDelay(Duration d) {
        MessageOptions o = copy();
        o.outboxSyncDelay = io.reactivecarrier.store.NodeStore.checkSyncDelay(d, "outboxSyncDelay");
        return o;
    }

    /** Where metrics {@code carrier.messages.*} go (default: a private registry). */
    public MessageOptions meterRegistry(MeterRegistry registry) {
        MessageOptions o = copy();
        o.meterRegistry = registry;
        return o;
    }

    /** See {@link #maxMessageBytes(int)}. */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** See {@link #maxOfflineMessageBytes(int)}. */
    public int maxOfflineMessageBytes() {
        return maxOfflineMessageBytes;
    }

    /** See {@link #window(int)}. */
    public int window() {
        return window;
    }

    /** See {@link #offlineAfter(Duration)}. */
    public Duration offlineAfter() {
        return offlineAfter;
    }

    /** See {@link #offlineReplicas(int)}. */
    public int offlineReplicas() {
        return offlineReplicas;
    }

    /** See {@link #outboxSyncDelay(Duration)}. */
    public Duration outboxSyncDelay() {
        return outboxSyncDelay;
    }

    /** See {@link #offlineTtl(Duration)}. */
    public Duration offlineTtl() {
        return offlineTtl;
    }
}
