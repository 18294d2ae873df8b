package io.reactivecarrier.friend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.dht.Dht;
import io.reactivecarrier.dht.Mailbox;
import io.reactivecarrier.link.Link;
import io.reactivecarrier.link.LinkEvent;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.link.PathType;
import io.reactivecarrier.store.FriendRecord;
import io.reactivecarrier.store.FriendRequestRecord;
import io.reactivecarrier.store.NodeStore;
import io.reactivecarrier.store.StoredProfile;
import io.reactivecarrier.transport.RpcCall;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.wire.DecodeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * The node's friend service: the implementation of {@link Friends} over the store, the link
 * manager, the DHT and the RPC endpoint. The node creates and starts it; applications use it
 * through {@link Friends} ({@code node.friends()}).
 *
 * <p>For the layers above (messages): {@link #isFriend}, the ONLINE/OFFLINE {@link #events()},
 * and {@link #mailbox()}, the node's one {@link MailboxDispatcher} (register handlers of item
 * types 0x10-0x1F there, then call {@link MailboxDispatcher#poll()} to read what already waits).
 *
 * <p>How it works (wire formats in docs/protocol/friends.md): a request is signed by the
 * requester and carries the recipient's nospam; it goes directly by RPC to the recipient's node
 * found through its DHT peer record, or into the recipient's DHT mailbox. Links are authorized for
 * friends and for users this node sent a request to; a link that comes up from a user we asked
 * means the request was accepted. Presence follows the links: ONLINE when a link is up, OFFLINE
 * when it goes down; offline friends are redialled with exponential backoff.
 *
 * <pre>{@code
 * FriendService friends = FriendService.create(store, links, dht, rpc, identity, nospam, FriendOptions.create());
 * friends.start().block(Duration.ofSeconds(30));
 * friends.requests().flatMap(r -> friends.accept(r.from())).subscribe();
 * friends.mailbox().register(0x20, (sender, body) -> store.map("notes").put(sender.toBytes(), body));
 * }</pre>
 */
public final class FriendService implements Friends {

    private static final Logger log = LoggerFactory.getLogger(FriendService.class);
    private static final long TICK_MS = 1000;
    private static final long PROFILE_RESEND_MS = 2000;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final RpcCall REQUEST_CALL = RpcCall.of(Duration.ofMillis(800), 3);
    private static final int MAX_LABEL_CHARS = 256;
    private static final int DEDUPE_WINDOW = 4096;

    private final NodeStore store;
    private final LinkManager links;
    private final Dht dht;
    private final RpcEndpoint rpc;
    private final Ed25519KeyPair identity;
    private final UserId self;
    private final FriendOptions options;
    private final Scheduler scheduler;
    private final MailboxDispatcher mailbox;
    private final Map<UserId, State> friends = new ConcurrentHashMap<>();
    private final Set<UserId> outgoing = ConcurrentHashMap.newKeySet();
    private final Sinks.Many<FriendEvent> events = Sinks.many().multicast().directBestEffort();
    private final Sinks.Many<FriendRequest> incoming = Sinks.many().multicast().directBestEffort();
    private final Object emitLock = new Object();

    private volatile int nospam;
    private volatile StoredProfile profile = StoredProfile.EMPTY;
    private volatile Presence status = Presence.ONLINE;
    private volatile long profileSeq = 1;
    private volatile boolean stopped;
    private volatile Disposable tick;
    private volatile Disposable linkEvents;

    /** What this node holds about one friend. Fields guarded by the object's monitor. */
    private static final class State {
        final UserId id;
        FriendRecord record;
        Presence presence = Presence.OFFLINE;
        Presence peerStatus = Presence.ONLINE;
        boolean connecting;
        long nextAttemptAt;
        long backoffMs;
        long profileAcked = -1;
        long profileSentAt;
        long lastProfileSeen = -1;

        State(UserId id, FriendRecord record, long backoffMs) {
            this.id = id;
            this.record = record;
            this.backoffMs = backoffMs;
        }
    }

    private FriendService(NodeStore store, LinkManager links, Dht dht, RpcEndpoint rpc, Ed25519KeyPair identity,
            int nospam, FriendOptions options) {
        this.store = store;
        this.links = links;
        this.dht = dht;
        this.rpc = rpc;
        this.identity = identity;
        this.self = UserId.of(identity.publicKey());
        this.nospam = nospam;
        this.options = options;
        this.scheduler = rpc.transport().scheduler();
        this.mailbox = MailboxDispatcher.create(Mailbox.of(dht, identity), scheduler, options.mailboxPollInterval());
    }

    /**
     * A friend service; nothing happens until {@link #start()}. {@code links} must belong to the
     * same identity and be fed by the same transport as {@code rpc}.
     */
    public static FriendService create(NodeStore store, LinkManager links, Dht dht, RpcEndpoint rpc,
            Ed25519KeyPair identity, int nospam, FriendOptions options) {
        FriendService s = new FriendService(Objects.requireNonNull(store, "store"), Objects.requireNonNull(links, "links"),
                Objects.requireNonNull(dht, "dht"), Objects.requireNonNull(rpc, "rpc"),
                Objects.requireNonNull(identity, "identity"), nospam, Objects.requireNonNull(options, "options"));
        if (!links.userId().equals(s.self)) {
            throw new IllegalArgumentException("the link manager belongs to " + links.userId() + ", not " + s.self);
        }
        return s;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Loads the friends and pending requests, authorizes friends' links, serves direct requests,
     * reads the mailbox and starts dialling friends. Completes when it is ready.
     */
    public Mono<Void> start() {
        return store.profile()
                .zipWith(store.friends().collectList())
                .zipWith(store.friendRequests(false).collectList())
                .doOnNext(t -> {
                    profile = t.getT1().getT1();
                    for (FriendRecord r : t.getT1().getT2()) {
                        UserId id = UserId.of(r.userId());
                        friends.put(id, new State(id, r, options.reconnectMin().toMillis()));
                    }
                    for (FriendRequestRecord r : t.getT2()) {
                        outgoing.add(UserId.of(r.userId()));
                    }
                })
                .then(Mono.fromRunnable(this::wire));
    }

    private void wire() {
        links.setAuthorizer(this::mayLink);
        links.handle(FriendCodec.FRAME_PROFILE, this::onProfileFrame);
        links.handle(FriendCodec.FRAME_PROFILE_ACK, this::onProfileAck);
        links.handle(FriendCodec.FRAME_REMOVED, this::onRemovedFrame);
        linkEvents = links.events().subscribe(this::onLinkEvent, e -> log.warn("link events failed", e));
        rpc.handle(FriendCodec.RPC_FRIEND_REQUEST, req -> onRequest(req.body(), null)
                .map(status -> new byte[] {(byte) status.intValue()}));
        mailbox.register(FriendCodec.ITEM_REQUEST, (sender, body) -> onRequest(body, sender).flatMap(status ->
                status == FriendCodec.STATUS_FULL
                        ? Mono.error(new FriendException(FriendException.Reason.RECIPIENT_FULL, "no room yet"))
                        : Mono.empty()));
        mailbox.register(FriendCodec.ITEM_ACCEPT, this::onAcceptNotice);
        mailbox.register(FriendCodec.ITEM_REMOVE, this::onRemoveNotice);
        tick = scheduler.schedulePeriodically(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
        mailbox.start();
        log.info("friends of {}: {} friends, {} requests sent and pending", self.shortString(), friends.size(),
                outgoing.size());
    }

    /** Stops dialling, polling and serving; completes the event streams. Links are closed by their manager. */
    public Mono<Void> stop() {
        return Mono.fromRunnable(() -> {
            if (stopped) {
                return;
            }
            stopped = true;
            Disposable t = tick;
            if (t != null) {
                t.dispose();
            }
            Disposable l = linkEvents;
            if (l != null) {
                l.dispose();
            }
            mailbox.stop();
            synchronized (emitLock) {
                events.tryEmitComplete();
                incoming.tryEmitComplete();
            }
        });
    }

    /** The node's mailbox dispatcher, shared with the messages layer (item types 0x10-0x1F are theirs). */
    public MailboxDispatcher mailbox() {
        return mailbox;
    }

    /** The current nospam. */
    public int nospam() {
        return nospam;
    }

    private boolean mayLink(UserId user) {
        return friends.containsKey(user) || outgoing.contains(user);
    }

    // ------------------------------------------------------------------ the API

    @Override
    public Address address() {
        return Address.of(self, nospam);
    }

    @Override
    public Mono<Void> request(String address, String hello) {
        return Mono.defer(() -> request(Address.parse(Objects.requireNonNull(address, "address")), hello));
    }

    @Override
    public Mono<Void> request(Address address, String hello) {
        return Mono.defer(() -> {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(hello, "hello");
            checkRunning();
            UserId to = address.userId();
            if (to.equals(self)) {
                return Mono.error(new FriendException(FriendException.Reason.OWN_ADDRESS,
                        "this is this node's own address; ask your friend for theirs"));
            }
            int bytes = hello.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_HELLO_BYTES) {
                return Mono.error(new FriendException(FriendException.Reason.HELLO_TOO_LONG, "the hello is " + bytes
                        + " bytes of UTF-8, the limit is " + MAX_HELLO_BYTES + " (Friends.MAX_HELLO_BYTES): shorten it"));
            }
            if (friends.containsKey(to)) {
                return Mono.error(new FriendException(FriendException.Reason.ALREADY_FRIENDS,
                        to.shortString() + " is a friend already; see friends().list()"));
            }
            long now = System.currentTimeMillis();
            byte[] blob = FriendCodec.encodeRequest(identity, to.toBytes(), address.nospam(), now, hello);
            FriendRequestRecord record = new FriendRequestRecord(to.toBytes(), false, hello, now,
                    ByteBuffer.allocate(4).putInt(address.nospam()).array());
            return store.putFriendRequest(record)
                    .doOnSuccess(v -> outgoing.add(to))
                    .then(deliver(to, blob));
        });
    }

    private Mono<Void> deliver(UserId to, byte[] blob) {
        return direct(to, blob)
                .switchIfEmpty(Mono.defer(() -> mailbox.deposit(to, FriendCodec.ITEM_REQUEST, blob, options.requestTtl())
                        .onErrorResume(e -> Mono.just(0))
                        .doOnNext(n -> log.debug("request to {} stored on {} DHT nodes", to.shortString(), n))
                        .flatMap(n -> n > 0 ? Mono.just(FriendCodec.STATUS_STORED)
                                : Mono.error(new FriendException(FriendException.Reason.UNDELIVERED, to.shortString()
                                        + " is offline and no DHT node stored the request; try again later")))))
                .flatMap(status -> switch (status) {
                    case FriendCodec.STATUS_STORED, FriendCodec.STATUS_ALREADY_FRIENDS -> Mono.<Void>empty();
                    case FriendCodec.STATUS_NOSPAM -> store.removeFriendRequest(to.toBytes(), false)
                            .doOnSuccess(b -> outgoing.remove(to))
                            .then(Mono.error(new FriendException(FriendException.Reason.NOSPAM_REJECTED,
                                    to.shortString() + " changed its nospam: this address is outdated; ask for the "
                                            + "current address")));
                    case FriendCodec.STATUS_FULL -> Mono.error(new FriendException(FriendException.Reason.RECIPIENT_FULL,
                            to.shortString() + " holds too many pending requests; try again later"));
                    default -> Mono.error(new FriendException(FriendException.Reason.UNDELIVERED,
                            to.shortString() + " refused the request as invalid; check that both nodes run "
                                    + "compatible versions and clocks"));
                });
    }

    /** The status of a direct request, empty when the recipient has no reachable node. */
    private Mono<Integer> direct(UserId to, byte[] blob) {
        return dht.findPeer(to.toBytes())
                .filter(r -> Arrays.equals(r.userId(), to.toBytes()) && r.verify())
                .flatMap(r -> Flux.fromIterable(r.endpoints())
                        .concatMap(ep -> rpc.request(ep, r.nodeId().bytes(), FriendCodec.RPC_FRIEND_REQUEST, blob,
                                        REQUEST_CALL)
                                .map(resp -> resp.body().length == 1 ? resp.body()[0] & 0xff : FriendCodec.STATUS_INVALID)
                                .onErrorResume(e -> Mono.empty()))
                        .next())
                .onErrorResume(e -> Mono.empty());
    }

    @Override
    public Flux<FriendRequest> requests() {
        Flux<FriendRequest> live = incoming.asFlux()
                .onBackpressureBuffer(options.eventBufferSize(), r -> log.debug("requests() subscriber lags; dropped {}", r),
                        BufferOverflowStrategy.DROP_OLDEST);
        Flux<FriendRequest> pending = store.friendRequests(true).map(this::toRequest);
        return Flux.merge(live, pending).distinct(r -> r.from() + "@" + r.receivedAt().toEpochMilli(),
                FriendService::boundedSet);
    }

    @Override
    public Flux<FriendRequest> pending() {
        return Flux.defer(() -> {
            checkRunning();
            return store.friendRequests(true).map(this::toRequest)
                    .sort(java.util.Comparator.comparing(FriendRequest::receivedAt));
        });
    }

    private static Set<String> boundedSet() {
        return Collections.newSetFromMap(new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > DEDUPE_WINDOW;
            }
        });
    }

    private FriendRequest toRequest(FriendRequestRecord r) {
        return new FriendRequest(this, UserId.of(r.userId()), r.hello(), Instant.ofEpochMilli(r.receivedAtMillis()));
    }

    @Override
    public Mono<Friend> accept(UserId from) {
        Objects.requireNonNull(from, "from");
        return Mono.defer(() -> {
            checkRunning();
            long now = System.currentTimeMillis();
            return store.transaction(tx -> {
                if (tx.friendRequest(from.toBytes(), true).isEmpty()) {
                    Optional<FriendRecord> existing = tx.friend(from.toBytes());
                    if (existing.isPresent()) {
                        return existing.get(); // accepted before (a retry after a crash): the same answer
                    }
                    throw new FriendException(FriendException.Reason.NO_SUCH_REQUEST, "there is no pending request from "
                            + from.shortString() + "; see friends().requests()");
                }
                FriendRecord record = new FriendRecord(from.toBytes(), "", "", "", now, 0, new byte[0]);
                tx.acceptFriendRequest(record);
                tx.removeFriendRequest(from.toBytes(), false);
                return record;
            }).map(record -> {
                outgoing.remove(from);
                State s = addFriend(record);
                notifyAccepted(from);
                return toFriend(s);
            });
        });
    }

    /** Tells the requester: a link (which it authorizes, having asked), or else a mailbox notice. */
    private void notifyAccepted(UserId to) {
        links.connect(to)
                .timeout(CONNECT_TIMEOUT)
                .then()
                .onErrorResume(e -> mailbox.deposit(to, FriendCodec.ITEM_ACCEPT,
                        FriendCodec.encodeNotice(System.currentTimeMillis()), options.requestTtl())
                        .doOnNext(n -> log.debug("accept notice to {} stored on {} nodes", to.shortString(), n))
                        .then())
                .subscribe(null, e -> log.debug("could not tell {} of the accept: {}", to.shortString(), e.toString()));
    }

    @Override
    public Mono<Void> refuse(UserId from) {
        Objects.requireNonNull(from, "from");
        return Mono.defer(() -> {
            checkRunning();
            return store.removeFriendRequest(from.toBytes(), true).flatMap(had -> had ? Mono.empty()
                    : Mono.error(new FriendException(FriendException.Reason.NO_SUCH_REQUEST,
                            "there is no pending request from " + from.shortString() + "; see friends().requests()")));
        });
    }

    @Override
    public Mono<Void> remove(UserId friend) {
        Objects.requireNonNull(friend, "friend");
        return Mono.defer(() -> {
            checkRunning();
            long now = System.currentTimeMillis();
            return store.transaction(tx -> {
                boolean was = tx.removeFriend(friend.toBytes());
                tx.removeFriendRequest(friend.toBytes(), false);
                return was;
            }).flatMap(was -> {
                State s = friends.remove(friend);
                outgoing.remove(friend);
                if (!was && s == null) {
                    return Mono.error(new FriendException(FriendException.Reason.NOT_A_FRIEND,
                            friend.shortString() + " is not a friend; see friends().list()"));
                }
                if (s != null) {
                    Friend last;
                    synchronized (s) {
                        s.presence = Presence.OFFLINE;
                        last = toFriendLocked(s);
                    }
                    emit(new FriendEvent(FriendEvent.Type.REMOVED, last));
                }
                byte[] notice = FriendCodec.encodeNotice(now);
                links.link(friend).filter(Link::isUp)
                        .ifPresent(l -> l.send(FriendCodec.FRAME_REMOVED, Unpooled.wrappedBuffer(notice)));
                mailbox.deposit(friend, FriendCodec.ITEM_REMOVE, notice, options.requestTtl())
                        .subscribe(null, e -> log.debug("remove notice to {} not stored: {}", friend.shortString(),
                                e.toString()));
                return links.disconnect(friend);
            });
        });
    }

    @Override
    public Mono<Friend> label(UserId friend, String label) {
        Objects.requireNonNull(friend, "friend");
        Objects.requireNonNull(label, "label");
        return Mono.defer(() -> {
            checkRunning();
            if (label.length() > MAX_LABEL_CHARS) {
                return Mono.error(new IllegalArgumentException("a label is at most " + MAX_LABEL_CHARS
                        + " characters, got " + label.length() + ": shorten it"));
            }
            return store.updateLabel(friend.toBytes(), label).flatMap(ok -> {
                State s = friends.get(friend);
                if (!ok || s == null) {
                    return Mono.error(new FriendException(FriendException.Reason.NOT_A_FRIEND,
                            friend.shortString() + " is not a friend; see friends().list()"));
                }
                Friend f;
                synchronized (s) {
                    s.record = s.record.withLabel(label);
                    f = toFriendLocked(s);
                }
                emit(new FriendEvent(FriendEvent.Type.LABEL_CHANGED, f));
                return Mono.just(f);
            });
        });
    }

    @Override
    public Flux<Friend> list() {
        return Flux.defer(() -> Flux.fromIterable(friends.values().stream().map(this::toFriend)
                .sorted((a, b) -> a.id().compareTo(b.id())).toList()));
    }

    @Override
    public Mono<Friend> friend(UserId id) {
        return Mono.fromSupplier(() -> {
            State s = friends.get(id);
            return s == null ? null : toFriend(s);
        });
    }

    @Override
    public boolean isFriend(UserId id) {
        return id != null && friends.containsKey(id);
    }

    @Override
    public Optional<PathType> path(UserId id) {
        if (!isFriend(id)) {
            return Optional.empty();
        }
        return links.link(id).filter(Link::isUp).map(Link::path);
    }

    @Override
    public Presence presence(UserId id) {
        State s = id == null ? null : friends.get(id);
        if (s == null) {
            return Presence.OFFLINE;
        }
        synchronized (s) {
            return s.presence;
        }
    }

    @Override
    public Flux<FriendEvent> events() {
        return events.asFlux().onBackpressureBuffer(options.eventBufferSize(),
                e -> log.debug("events() subscriber lags; dropped {}", e.type()), BufferOverflowStrategy.DROP_OLDEST);
    }

    @Override
    public Mono<Void> setProfile(String name, String description) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        return Mono.defer(() -> {
            checkRunning();
            int n = name.getBytes(StandardCharsets.UTF_8).length;
            int d = description.getBytes(StandardCharsets.UTF_8).length;
            if (n > MAX_NAME_BYTES || d > MAX_DESCRIPTION_BYTES) {
                return Mono.error(new FriendException(FriendException.Reason.PROFILE_TOO_LONG, "the name is " + n
                        + " bytes (limit " + MAX_NAME_BYTES + ") and the description " + d + " bytes (limit "
                        + MAX_DESCRIPTION_BYTES + ") of UTF-8: shorten them"));
            }
            StoredProfile p = new StoredProfile(name, description);
            return store.setProfile(p).then(Mono.fromRunnable(() -> {
                profile = p;
                profileChanged();
            }));
        });
    }

    @Override
    public Mono<Void> setStatus(Presence newStatus) {
        Objects.requireNonNull(newStatus, "status");
        if (newStatus == Presence.OFFLINE) {
            return Mono.error(new IllegalArgumentException(
                    "OFFLINE is not a status to show; stop the node to go offline, or use AWAY or BUSY"));
        }
        return Mono.fromRunnable(() -> {
            status = newStatus;
            profileChanged();
        });
    }

    @Override
    public Mono<Address> setNospam(int newNospam) {
        return Mono.defer(() -> {
            checkRunning();
            return store.setNospam(newNospam).then(Mono.fromSupplier(() -> {
                nospam = newNospam;
                return address();
            }));
        });
    }

    private void checkRunning() {
        if (stopped) {
            throw new FriendException(FriendException.Reason.STOPPED, "the node is stopped; start a new one");
        }
    }

    // ------------------------------------------------------------------ incoming requests and notices

    private record Outcome(int status, FriendRecord added, FriendRequestRecord request) {
    }

    /** Handles a request that came directly ({@code mailboxSender} null) or from the mailbox. */
    private Mono<Integer> onRequest(byte[] blob, UserId mailboxSender) {
        FriendCodec.Request req;
        try {
            req = FriendCodec.decodeRequest(blob);
        } catch (DecodeException e) {
            log.debug("dropping a friend request: {}", e.getMessage());
            return Mono.just(FriendCodec.STATUS_INVALID);
        }
        UserId from = UserId.of(req.sender());
        long now = System.currentTimeMillis();
        if (!Arrays.equals(req.recipient(), self.toBytes()) || from.equals(self)
                || (mailboxSender != null && !mailboxSender.equals(from))
                || req.sentAt() < now - options.requestTtl().toMillis() - Duration.ofDays(1).toMillis()) {
            return Mono.just(FriendCodec.STATUS_INVALID);
        }
        if (friends.containsKey(from)) {
            connectSoon(from);
            return Mono.just(FriendCodec.STATUS_ALREADY_FRIENDS);
        }
        if (req.nospam() != nospam) {
            log.debug("refusing a request from {}: outdated nospam", from.shortString());
            return Mono.just(FriendCodec.STATUS_NOSPAM);
        }
        byte[] id = req.sender();
        int max = options.maxPendingRequests();
        return store.transaction(tx -> {
            if (tx.friend(id).isPresent()) {
                return new Outcome(FriendCodec.STATUS_ALREADY_FRIENDS, null, null);
            }
            if (tx.friendRequest(id, false).isPresent()) {
                // we asked them too: that is a yes on both sides
                FriendRecord record = new FriendRecord(id, "", "", "", now, 0, new byte[0]);
                tx.removeFriendRequest(id, false);
                tx.acceptFriendRequest(record);
                return new Outcome(FriendCodec.STATUS_STORED, record, null);
            }
            Optional<FriendRequestRecord> existing = tx.friendRequest(id, true);
            if (existing.isPresent() && existing.get().hello().equals(req.hello())) {
                return new Outcome(FriendCodec.STATUS_STORED, null, null); // a retry or a second copy
            }
            if (existing.isEmpty() && tx.friendRequests(true).size() >= max) {
                return new Outcome(FriendCodec.STATUS_FULL, null, null);
            }
            FriendRequestRecord r = new FriendRequestRecord(id, true, req.hello(), now,
                    ByteBuffer.allocate(4).putInt(req.nospam()).array());
            tx.putFriendRequest(r);
            return new Outcome(FriendCodec.STATUS_STORED, null, r);
        }).map(o -> {
            if (o.added() != null) {
                outgoing.remove(from);
                addFriend(o.added());
                connectSoon(from);
            } else if (o.request() != null) {
                FriendRequest fr = toRequest(o.request());
                synchronized (emitLock) {
                    incoming.tryEmitNext(fr);
                }
            } else if (o.status() == FriendCodec.STATUS_ALREADY_FRIENDS) {
                connectSoon(from);
            }
            return o.status();
        });
    }

    private Mono<Void> onAcceptNotice(UserId sender, byte[] body) {
        try {
            FriendCodec.decodeNotice(body);
        } catch (DecodeException e) {
            return Mono.empty();
        }
        return outgoing.contains(sender) ? promote(sender) : Mono.empty();
    }

    private Mono<Void> onRemoveNotice(UserId sender, byte[] body) {
        long at;
        try {
            at = FriendCodec.decodeNotice(body);
        } catch (DecodeException e) {
            return Mono.empty();
        }
        return removedBy(sender, at);
    }

    /** The friend removed us at {@code at} (its clock): forget it, unless we became friends again since. */
    private Mono<Void> removedBy(UserId friend, long at) {
        State s = friends.get(friend);
        if (s == null) {
            return Mono.empty();
        }
        long addedAt;
        synchronized (s) {
            addedAt = s.record.addedAtMillis();
        }
        if (addedAt > at) {
            return Mono.empty(); // an old notice: the friendship was made again after it
        }
        return store.removeFriend(friend.toBytes()).flatMap(was -> {
            State gone = friends.remove(friend);
            if (gone != null) {
                Friend last;
                synchronized (gone) {
                    gone.presence = Presence.OFFLINE;
                    last = toFriendLocked(gone);
                }
                log.info("{} removed us from its friends", friend.shortString());
                emit(new FriendEvent(FriendEvent.Type.REMOVED, last));
            }
            return links.disconnect(friend);
        });
    }

    /** A user we asked is a friend now (its link came up, or its accept notice arrived). */
    private Mono<Void> promote(UserId user) {
        long now = System.currentTimeMillis();
        return store.transaction(tx -> {
            if (tx.friend(user.toBytes()).isPresent() || tx.friendRequest(user.toBytes(), false).isEmpty()) {
                return null;
            }
            tx.removeFriendRequest(user.toBytes(), false);
            FriendRecord record = new FriendRecord(user.toBytes(), "", "", "", now, 0, new byte[0]);
            tx.acceptFriendRequest(record);
            return record;
        }).doOnNext(record -> {
            outgoing.remove(user);
            addFriend(record);
            connectSoon(user);
        }).then();
    }

    private State addFriend(FriendRecord record) {
        UserId id = UserId.of(record.userId());
        State fresh = new State(id, record, options.reconnectMin().toMillis());
        State existing = friends.putIfAbsent(id, fresh);
        if (existing != null) {
            return existing;
        }
        emit(new FriendEvent(FriendEvent.Type.ADDED, toFriend(fresh)));
        if (links.link(id).map(Link::isUp).orElse(false)) {
            markOnline(fresh);
        }
        return fresh;
    }

    // ------------------------------------------------------------------ links and presence

    private void onLinkEvent(LinkEvent e) {
        if (stopped) {
            return;
        }
        State s = friends.get(e.peer());
        switch (e.type()) {
            case UP -> {
                if (s != null) {
                    markOnline(s);
                } else if (outgoing.contains(e.peer())) {
                    promote(e.peer()).subscribe(null, x -> log.warn("could not store the new friend {}",
                            e.peer().shortString(), x));
                }
            }
            case DOWN -> {
                if (s != null) {
                    markOffline(s);
                }
            }
            default -> {
            }
        }
    }

    private void markOnline(State s) {
        long now = System.currentTimeMillis();
        Friend f;
        synchronized (s) {
            if (s.presence.isOnline()) {
                return;
            }
            s.presence = s.peerStatus;
            s.backoffMs = options.reconnectMin().toMillis();
            s.record = s.record.withLastSeen(now);
            s.profileAcked = -1;
            f = toFriendLocked(s);
        }
        emit(new FriendEvent(FriendEvent.Type.ONLINE, f));
        sendProfile(s);
        store.updateLastSeen(s.id.toBytes(), now).subscribe(null, e -> log.debug("last seen not stored: {}", e.toString()));
    }

    private void markOffline(State s) {
        long now = System.currentTimeMillis();
        Friend f;
        synchronized (s) {
            if (!s.presence.isOnline()) {
                return;
            }
            s.presence = Presence.OFFLINE;
            s.record = s.record.withLastSeen(now);
            s.nextAttemptAt = now + jitter(options.reconnectMin().toMillis());
            f = toFriendLocked(s);
        }
        emit(new FriendEvent(FriendEvent.Type.OFFLINE, f));
        store.updateLastSeen(s.id.toBytes(), now).subscribe(null, e -> log.debug("last seen not stored: {}", e.toString()));
    }

    /** Dials a friend at the next tick. */
    private void connectSoon(UserId id) {
        State s = friends.get(id);
        if (s != null) {
            synchronized (s) {
                s.nextAttemptAt = 0;
            }
        }
    }

    private void tick() {
        if (stopped) {
            return;
        }
        long now = System.currentTimeMillis();
        for (State s : friends.values()) {
            boolean dial = false;
            boolean resend = false;
            synchronized (s) {
                if (!s.presence.isOnline()) {
                    if (!s.connecting && now >= s.nextAttemptAt) {
                        s.connecting = true;
                        dial = true;
                    }
                } else if (s.profileAcked < profileSeq && now - s.profileSentAt >= PROFILE_RESEND_MS) {
                    resend = true;
                }
            }
            if (dial) {
                dial(s);
            } else if (resend) {
                sendProfile(s);
            }
        }
    }

    private void dial(State s) {
        links.connect(s.id).timeout(CONNECT_TIMEOUT).subscribe(link -> {
            synchronized (s) {
                s.connecting = false;
            }
            if (link.isUp() && friends.get(s.id) == s) {
                markOnline(s); // in case the UP event was missed
            }
        }, e -> {
            long now = System.currentTimeMillis();
            synchronized (s) {
                s.connecting = false;
                s.nextAttemptAt = now + jitter(s.backoffMs);
                s.backoffMs = Math.min(options.reconnectMax().toMillis(), s.backoffMs * 2);
            }
            log.debug("friend {} not reached: {}", s.id.shortString(), e.toString());
        });
    }

    private static long jitter(long ms) {
        return ms * 3 / 4 + ThreadLocalRandom.current().nextLong(Math.max(1, ms / 2));
    }

    // ------------------------------------------------------------------ profile frames

    private void profileChanged() {
        profileSeq = Math.max(profileSeq + 1, System.currentTimeMillis());
        for (State s : friends.values()) {
            boolean online;
            synchronized (s) {
                online = s.presence.isOnline();
            }
            if (online) {
                sendProfile(s);
            }
        }
    }

    private void sendProfile(State s) {
        Optional<Link> link = links.link(s.id).filter(Link::isUp);
        if (link.isEmpty()) {
            return;
        }
        StoredProfile p = profile;
        long seq = profileSeq;
        synchronized (s) {
            s.profileSentAt = System.currentTimeMillis();
        }
        byte[] frame = FriendCodec.encodeProfile(new FriendCodec.Profile(seq, status, p.name(), p.description()));
        link.get().send(FriendCodec.FRAME_PROFILE, Unpooled.wrappedBuffer(frame));
    }

    private static byte[] copy(ByteBuf payload, int max) {
        if (payload.readableBytes() > max) {
            return null;
        }
        return ByteBufUtil.getBytes(payload);
    }

    private void onProfileFrame(Link link, ByteBuf payload) {
        byte[] bytes = copy(payload, FriendCodec.PROFILE_MAX);
        State s = friends.get(link.peer());
        if (bytes == null || s == null) {
            return;
        }
        FriendCodec.Profile p;
        try {
            p = FriendCodec.decodeProfile(bytes);
        } catch (DecodeException e) {
            log.debug("dropping a profile frame from {}: {}", link.peer().shortString(), e.getMessage());
            return;
        }
        link.send(FriendCodec.FRAME_PROFILE_ACK, Unpooled.wrappedBuffer(FriendCodec.encodeAck(p.seq())));
        Friend presenceChanged = null;
        boolean profileDiffers;
        synchronized (s) {
            if (p.seq() <= s.lastProfileSeen) {
                return;
            }
            s.lastProfileSeen = p.seq();
            s.peerStatus = p.status();
            if (s.presence.isOnline() && s.presence != p.status()) {
                s.presence = p.status();
                presenceChanged = toFriendLocked(s);
            }
            profileDiffers = !s.record.name().equals(p.name()) || !s.record.description().equals(p.description());
        }
        if (presenceChanged != null) {
            emit(new FriendEvent(FriendEvent.Type.PRESENCE_CHANGED, presenceChanged));
        }
        if (profileDiffers) {
            byte[] id = s.id.toBytes();
            store.transaction(tx -> tx.friend(id).map(old -> {
                FriendRecord updated = new FriendRecord(id, old.label(), p.name(), p.description(), old.addedAtMillis(),
                        old.lastSeenMillis(), old.extra());
                tx.putFriend(updated);
                return updated;
            }).orElse(null)).subscribe(updated -> {
                Friend f;
                synchronized (s) {
                    s.record = new FriendRecord(id, s.record.label(), updated.name(), updated.description(),
                            s.record.addedAtMillis(), s.record.lastSeenMillis(), s.record.extra());
                    f = toFriendLocked(s);
                }
                emit(new FriendEvent(FriendEvent.Type.PROFILE_CHANGED, f));
            }, e -> log.debug("profile of {} not stored: {}", s.id.shortString(), e.toString()));
        }
    }

    private void onProfileAck(Link link, ByteBuf payload) {
        byte[] bytes = copy(payload, FriendCodec.NOTICE_LENGTH);
        State s = friends.get(link.peer());
        if (bytes == null || s == null) {
            return;
        }
        try {
            long seq = FriendCodec.decodeAck(bytes);
            synchronized (s) {
                s.profileAcked = Math.max(s.profileAcked, seq);
            }
        } catch (DecodeException e) {
            log.debug("dropping a profile ack: {}", e.getMessage());
        }
    }

    private void onRemovedFrame(Link link, ByteBuf payload) {
        byte[] bytes = copy(payload, FriendCodec.NOTICE_LENGTH);
        if (bytes == null) {
            return;
        }
        try {
            long at = FriendCodec.decodeNotice(bytes);
            removedBy(link.peer(), at).subscribe(null, e -> log.debug("removal not stored: {}", e.toString()));
        } catch (DecodeException e) {
            log.debug("dropping a removed frame: {}", e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    private void emit(FriendEvent event) {
        synchronized (emitLock) {
            events.tryEmitNext(event);
        }
    }

    private Friend toFriend(State s) {
        synchronized (s) {
            return toFriendLocked(s);
        }
    }

    private static Friend toFriendLocked(State s) {
        FriendRecord r = s.record;
        return new Friend(s.id, r.label(), r.name(), r.description(), Instant.ofEpochMilli(r.addedAtMillis()),
                Instant.ofEpochMilli(r.lastSeenMillis()), s.presence);
    }

    @Override
    public String toString() {
        return "FriendService[" + self.shortString() + ", " + friends.size() + " friends]";
    }
}
