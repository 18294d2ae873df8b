package io.reactivecarrier.friend;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of the friend service; every method returns a copy.
 *
 * <pre>{@code
 * Carrier.builder().friendOptions(FriendOptions.create().mailboxPollInterval(Duration.ofSeconds(30)))
 * }</pre>
 */
public final class FriendOptions {

    private Duration mailboxPollInterval = Duration.ofSeconds(60);
    private Duration reconnectMin = Duration.ofSeconds(1);
    private Duration reconnectMax = Duration.ofSeconds(60);
    private Duration requestTtl = Duration.ofDays(7);
    private int eventBufferSize = 256;
    private int maxPendingRequests = 1024;

    private FriendOptions() {
    }

    /** The defaults. */
    public static FriendOptions create() {
        return new FriendOptions();
    }

    private FriendOptions copy() {
        FriendOptions c = new FriendOptions();
        c.mailboxPollInterval = mailboxPollInterval;
        c.reconnectMin = reconnectMin;
        c.reconnectMax = reconnectMax;
        c.requestTtl = requestTtl;
        c.eventBufferSize = eventBufferSize;
        c.maxPendingRequests = maxPendingRequests;
        return c;
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
        return d;
    }

    /** How often the node's DHT mailbox is read, besides at start (60 s). */
    public FriendOptions mailboxPollInterval(Duration interval) {
        FriendOptions c = copy();
        c.mailboxPollInterval = positive(interval, "mailboxPollInterval");
        return c;
    }

    /**
     * The backoff of reconnect attempts to offline friends: the first wait after a failed
     * attempt (1 s), doubled per failure up to {@code max} (60 s), with jitter.
     */
    public FriendOptions reconnectBackoff(Duration min, Duration max) {
        FriendOptions c = copy();
        c.reconnectMin = positive(min, "reconnect min");
        c.reconnectMax = positive(max, "reconnect max");
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException("reconnect max " + max + " is below min " + min);
        }
        return c;
    }

    /** How long a request or notice waits in the DHT for an offline recipient (7 days). */
    public FriendOptions requestTtl(Duration ttl) {
        FriendOptions c = copy();
        c.requestTtl = positive(ttl, "requestTtl");
        return c;
    }

    /** Events buffered per {@link Friends#events()} subscriber before the oldest are dropped (256). */
    public FriendOptions eventBufferSize(int events) {
        if (events < 1) {
            throw new IllegalArgumentException("eventBufferSize must be positive, got " + events);
        }
        FriendOptions c = copy();
        c.eventBufferSize = events;
        return c;
    }

    /** Most incoming requests kept pending; more are refused until some are accepted or refused (1024). */
    public FriendOptions maxPendingRequests(int requests) {
        if (requests < 1) {
            throw new IllegalArgumentException("maxPendingRequests must be positive, got " + requests);
        }
        FriendOptions c = copy();
        c.maxPendingRequests = requests;
        return c;
    }

    /** How often the mailbox is read besides at start. */
    public Duration mailboxPollInterval() {
        return mailboxPollInterval;
    }

    /** The first redial wait after a failed attempt. */
    public Duration reconnectMin() {
        return reconnectMin;
    }

    /** The longest redial wait. */
    public Duration reconnectMax() {
        return reconnectMax;
    }

    /** How long requests and notices wait in the DHT. */
    public Duration requestTtl() {
        return requestTtl;
    }

    /** The per-subscriber event buffer. */
    public int eventBufferSize() {
        return eventBufferSize;
    }

    /** Most incoming requests kept pending. */
    public int maxPendingRequests() {
        return maxPendingRequests;
    }

    @Override
    public String toString() {
        return "FriendOptions[mailboxPoll=" + mailboxPollInterval + ", reconnect=" + reconnectMin + ".." + reconnectMax
                + ", requestTtl=" + requestTtl + ", eventBuffer=" + eventBufferSize + ", maxPending="
                + maxPendingRequests + "]";
    }
}
