package io.reactivecarrier.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.dht.DhtNode;
import io.reactivecarrier.dht.DhtOptions;
import io.reactivecarrier.dht.Mailbox;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.PeerRecord;
import io.reactivecarrier.dht.RpcDhtTransport;
import io.reactivecarrier.link.LinkEvent;
import io.reactivecarrier.link.LinkIdentity;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.link.LinkOptions;
import io.reactivecarrier.link.PeerContact;
import io.reactivecarrier.link.PeerResolver;
import io.reactivecarrier.store.NodeStore;
import io.reactivecarrier.transport.LinkProfile;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.SimulatedNetwork;
import io.reactivecarrier.transport.SimulatedTransport;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Message services of two friends on the in-memory {@link SimulatedNetwork} (seeded loss,
 * duplication and reordering; on real time, because the message service and the store run on
 * their own threads), each with a real {@link NodeStore} in a temporary directory: exactly once
 * and in order under a hostile network, and the offline path through DHT storage nodes that
 * churn while the recipient is away.
 */
class MessagesSimTest {

    static final Duration T = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    Scheduler sim;
    SimulatedNetwork net;
    final Map<UserId, PeerContact> contacts = new ConcurrentHashMap<>();
    final List<User> users = new ArrayList<>();
    final List<Storage> storage = new ArrayList<>();
    int nextIp;

    @BeforeEach
    void network() {
        sim = Schedulers.newSingle("carrier-sim");
    }

    @AfterEach
    void stopAll() {
        new ArrayList<>(users).forEach(User::stop);
        new ArrayList<>(storage).forEach(Storage::stop);
        sim.dispose();
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void everyMessageArrivesExactlyOnceInOrderUnderLossDuplicationAndReordering() {
        net = SimulatedNetwork.create(sim, 7);
        net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(5)).jitter(Duration.ofMillis(2))
                .loss(0.30).duplicate(0.03).reorder(0.25, Duration.ofMillis(15)));
        Ed25519KeyPair aliceKeys = Ed25519KeyPair.generate();
        Ed25519KeyPair bobKeys = Ed25519KeyPair.generate();
        MessageOptions options = MessageOptions.create().retransmitTimeout(Duration.ofMillis(150))
                .connectRetry(Duration.ofMillis(200)).tick(Duration.ofMillis(50));
        // no mailbox: every outcome must come over the lossy link, as DELIVERED
        User alice = user("alice", aliceKeys, UserId.of(bobKeys.publicKey()), options, false);
        User bob = user("bob", bobKeys, alice.userId(), options, false);
        Inbox atBob = new Inbox(bob);
        Inbox atAlice = new Inbox(alice);

        int toBob = 2000;
        int toAlice = 500;
        // every 50th message spans several link frames: fragments are lost, duplicated and reordered too
        Mono<List<Receipt>> fromAlice = Flux.range(0, toBob)
                .flatMapSequential(i -> alice.messages.send(bob.userId(), body("a", i, i % 50 == 7 ? 3000 : 64)), 512)
                .collectList().cache();
        Mono<List<Receipt>> fromBob = Flux.range(0, toAlice)
                .flatMapSequential(i -> bob.messages.send(alice.userId(), body("b", i, 64)), 512)
                .collectList().cache();
        fromAlice.subscribe();
        fromBob.subscribe();
        List<Receipt> aliceReceipts = fromAlice.block(T);
        List<Receipt> bobReceipts = fromBob.block(T);

        assertThat(aliceReceipts).hasSize(toBob).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(Receipt.Status.DELIVERED);
            assertThat(r.friend()).isEqualTo(bob.userId());
        });
        assertThat(bobReceipts).hasSize(toAlice)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(Receipt.Status.DELIVERED));
        // a receipt means the recipient stored it: all are there, once, in the order they were sent
        await().atMost(T).until(() -> atBob.got.size() >= toBob && atAlice.got.size() >= toAlice);
        atBob.assertExactlyInOrder("a", toBob, aliceReceipts);
        atAlice.assertExactlyInOrder("b", toAlice, bobReceipts);
        await().atMost(T).until(() -> alice.outboxSize() == 0 && bob.outboxSize() == 0);

        // the network really was hostile, and the message layer really saw its effects
        SimulatedNetwork.Stats s = net.stats();
        assertThat(s.dropped().get(SimulatedNetwork.DropReason.LOSS)).isPositive();
        assertThat(s.duplicated()).isPositive();
        assertThat(s.reordered()).isPositive();
        assertThat(alice.counter("carrier.messages.retransmits")).isPositive();
        assertThat(bob.counter("carrier.messages.duplicates")).isPositive();
        assertThat(bob.counter("carrier.messages.received")).isEqualTo(toBob);
        assertThat(alice.counter("carrier.messages.received")).isEqualTo(toAlice);

        // duplicates and retransmissions still in flight change nothing
        await().atMost(T).until(() -> Mono.fromCallable(net::inFlight).subscribeOn(sim).block(T) == 0);
        await().during(Duration.ofSeconds(1)).atMost(T)
                .until(() -> atBob.got.size() == toBob && atAlice.got.size() == toAlice);
    }

    @Test
    void offlineMessagesSurviveStorageChurnAndArriveExactlyOnce() {
        net = SimulatedNetwork.create(sim, 11);
        net.defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(5)).jitter(Duration.ofMillis(2)));
        Random random = new Random(11);
        storage.add(storage(List.of()));
        for (int i = 1; i < 24; i++) {
            storage.add(storage(List.of(storage.get(0).info())));
        }
        Ed25519KeyPair aliceKeys = Ed25519KeyPair.generate();
        Ed25519KeyPair bobKeys = Ed25519KeyPair.generate();
        UserId aliceId = UserId.of(aliceKeys.publicKey());
        UserId bobId = UserId.of(bobKeys.publicKey());
        MessageOptions options = MessageOptions.create().offlineAfter(Duration.ofMillis(500))
                .mailboxPoll(Duration.ofSeconds(1)).connectRetry(Duration.ofMillis(500))
                .retransmitTimeout(Duration.ofMillis(300));

        // online first: a few messages over the link
        User alice = user("alice", aliceKeys, bobId, options, true);
        User bob = user("bob", bobKeys, aliceId, options, true);
        Inbox first = new Inbox(bob);
        List<Receipt> online = Flux.range(0, 5).concatMap(i -> alice.messages.send(bobId, body("on", i, 64)))
                .collectList().block(T);
        assertThat(online).allSatisfy(r -> assertThat(r.status()).isEqualTo(Receipt.Status.DELIVERED));
        await().atMost(T).until(() -> first.got.size() == 5);
        bob.stop();

        // bob is away: every send completes STORED_OFFLINE (acknowledged by enough storage nodes)
        int count = 100;
        List<Receipt> offline = Flux.range(0, count)
                .flatMapSequential(i -> alice.messages.send(bobId, body("off", i, i == 42 ? 2500 : 100)), 32)
                .collectList().block(T);
        assertThat(offline).hasSize(count)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(Receipt.Status.STORED_OFFLINE));
        // alice leaves too: only the DHT holds the messages now
        alice.stop();

        // 30 % of the storage nodes leave and as many new ones join (what the old ones stored is gone)
        int replace = (int) Math.round(storage.size() * 0.3);
        double lostReplicas = 0;
        for (int i = 0; i < replace; i++) {
            Storage gone = storage.remove(1 + random.nextInt(storage.size() - 1));
            lostReplicas += gone.values();
            gone.stop();
        }
        assertThat(lostReplicas).as("the nodes that left held copies of the mailbox").isPositive();
        for (int i = 0; i < replace; i++) {
            storage.add(storage(List.of(storage.get(0).info())));
        }

        // bob returns (same store and identity, a new address and node key): all of it, once, in order
        User bob2 = user("bob", bobKeys, aliceId, options, true);
        Inbox back = new Inbox(bob2);
        await().atMost(T).until(() -> back.got.size() >= count);
        back.assertExactlyInOrder("off", count, offline);
        assertThat(back.got).allSatisfy(m -> assertThat(m.offline()).isTrue());

        // alice returns: her outbox resends over the link, bob drops the duplicates and acknowledges
        User alice2 = user("alice", aliceKeys, bobId, options, true);
        List<Receipt> delivered = new CopyOnWriteArrayList<>();
        alice2.messages.receipts().filter(r -> r.status() == Receipt.Status.DELIVERED).subscribe(delivered::add);
        await().atMost(T).until(() -> alice2.outboxSize() == 0);
        assertThat(delivered).extracting(Receipt::id)
                .containsExactlyInAnyOrderElementsOf(offline.stream().map(Receipt::id).toList());
        bob2.messages.fetchMailbox().block(T);
        assertThat(back.got).hasSize(count);
        assertThat(bob2.counter("carrier.messages.received")).isEqualTo(count);
    }

    // ---------------------------------------------------------------------------------------------

    static byte[] body(String prefix, int i, int size) {
        byte[] head = (prefix + " " + i + " ").getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[Math.max(size, head.length)];
        java.util.Arrays.fill(b, (byte) 'x');
        System.arraycopy(head, 0, b, 0, head.length);
        return b;
    }

    static String key(Message m) {
        String t = m.text();
        int second = t.indexOf(' ', t.indexOf(' ') + 1);
        return t.substring(0, second);
    }

    /** What a user's incoming() handed out. */
    static final class Inbox {
        final List<Message> got = new CopyOnWriteArrayList<>();

        Inbox(User u) {
            u.messages.incoming().subscribe(got::add);
        }

        void assertExactlyInOrder(String prefix, int count, List<Receipt> receipts) {
            List<String> want = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                want.add(prefix + " " + i);
            }
            List<String> keys = got.stream().filter(m -> m.text().startsWith(prefix + " ")).map(MessagesSimTest::key)
                    .toList();
            assertThat(keys).as("each message once, in the order sent").containsExactlyElementsOf(want);
            List<MessageId> ids = got.stream().filter(m -> m.text().startsWith(prefix + " ")).map(Message::id).toList();
            assertThat(ids).containsExactlyElementsOf(receipts.stream().map(Receipt::id).toList());
        }
    }

    /** A user: store, DHT node, link manager and message service on one simulated address. */
    final class User {
        final NodeStore store;
        final Ed25519KeyPair identity;
        final Storage dht;
        final LinkManager links;
        final MessageService messages;
        final SimpleMeterRegistry registry;
        boolean stopped;

        User(NodeStore store, Ed25519KeyPair identity, Storage dht, LinkManager links, MessageService messages,
                SimpleMeterRegistry registry) {
            this.store = store;
            this.identity = identity;
            this.dht = dht;
            this.links = links;
            this.messages = messages;
            this.registry = registry;
        }

        UserId userId() {
            return UserId.of(identity.publicKey());
        }

        long outboxSize() {
            return store.outbox().pending().count().block(T);
        }

        double counter(String name) {
            return registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
        }

        void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            users.remove(this);
            contacts.remove(userId());
            messages.close().onErrorResume(e -> Mono.empty()).block(T);
            links.close().onErrorResume(e -> Mono.empty()).block(T);
            dht.stop();
            store.close().onErrorResume(e -> Mono.empty()).block(T);
        }
    }

    /** A DHT node (a storage node, or a user's own) on a simulated address. */
    final class Storage {
        final SimulatedTransport transport;
        final PacketRouter router;
        final RpcEndpoint rpc;
        final DhtNode dht;
        final SimpleMeterRegistry registry;

        Storage(SimulatedTransport transport, PacketRouter router, RpcEndpoint rpc, DhtNode dht,
                SimpleMeterRegistry registry) {
            this.transport = transport;
            this.router = router;
            this.rpc = rpc;
            this.dht = dht;
            this.registry = registry;
        }

        /** Values this node holds for others (mailbox items among them). */
        double values() {
            return registry.get("carrier.dht.values.count").gauge().value();
        }

        NodeInfo info() {
            return new NodeInfo(dht.id(), transport.localAddress());
        }

        void stop() {
            storage.remove(this);
            dht.stop().onErrorResume(e -> Mono.empty()).block(T);
            rpc.close().onErrorResume(e -> Mono.empty()).block(T);
            transport.close().subscribeOn(sim).onErrorResume(e -> Mono.empty()).block(T);
        }
    }

    Storage storage(List<NodeInfo> boot) {
        return dhtNode(X25519KeyPair.generate(), boot);
    }

    Storage dhtNode(X25519KeyPair key, List<NodeInfo> boot) {
        // one node per /24: the DHT bounds how many nodes of one prefix it keeps (Sybil defence)
        int n = ++nextIp;
        InetAddress ip;
        try {
            ip = InetAddress.getByAddress(new byte[] {10, (byte) (n >> 8), (byte) n, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        SimulatedTransport t = Mono.fromCallable(() -> net.addNode(ip)).subscribeOn(sim).block(T);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PacketRouter router = PacketRouter.create(registry);
        t.receive(router);
        RpcEndpoint rpc = RpcEndpoint.create(t, router, key, RpcOptions.create().meterRegistry(registry));
        DhtNode node = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)),
                DhtOptions.defaults().bootstrap(boot).storage(64L << 20, 16_384, Duration.ofDays(7))
                        .meterRegistry(registry));
        node.start().block(T);
        return new Storage(t, router, rpc, node, registry);
    }

    /**
     * A user in {@code dir/name} (the store keeps the outbox and inbox across restarts), on a new
     * address with a new node key. With a mailbox, the user's DHT node bootstraps from the first
     * storage node and announces a peer record; without one, friends find it in a table.
     */
    User user(String name, Ed25519KeyPair identity, UserId friend, MessageOptions options, boolean dhtBacked) {
        NodeStore store = NodeStore.open(dir.resolve(name)).block(T);
        X25519KeyPair key = X25519KeyPair.generate();
        Storage d = dhtNode(key, dhtBacked ? List.of(storage.get(0).info()) : List.of());
        UserId self = UserId.of(identity.publicKey());
        PeerResolver resolver = dhtBacked
                ? u -> d.dht.findPeer(u.toBytes())
                        .map(r -> new PeerContact(u, r.nodeId().bytes(), null, r.endpoints()))
                        .onErrorResume(e -> Mono.empty())
                : u -> Mono.justOrEmpty(contacts.get(u));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LinkManager links = LinkManager.create(d.transport, d.router, new LinkIdentity(identity, key), resolver,
                LinkOptions.create().handshakeRetry(Duration.ofMillis(200)).handshakeRetryMax(Duration.ofSeconds(1))
                        .meterRegistry(registry));
        links.setAuthorizer(friend::equals);
        FriendDirectory friends = new FriendDirectory() {
            @Override
            public boolean isFriend(UserId user) {
                return user.equals(friend);
            }

            @Override
            public Flux<UserId> online() {
                return links.events().filter(e -> e.type() == LinkEvent.Type.UP).map(LinkEvent::peer);
            }
        };
        MessageService messages = MessageService.create(store, links, dhtBacked ? Mailbox.of(d.dht, identity) : null,
                friends, options.meterRegistry(registry));
        contacts.put(self, new PeerContact(self, key.publicKey(), null, List.of(d.transport.localAddress())));
        if (dhtBacked) {
            long now = System.currentTimeMillis();
            d.dht.announcePeer(PeerRecord.create(identity, d.dht.id(), List.of(d.transport.localAddress()), now,
                    now + 3_600_000)).onErrorResume(e -> Mono.just(0)).block(T);
        }
        messages.start().block(T);
        User u = new User(store, identity, d, links, messages, registry);
        users.add(u);
        return u;
    }
}
