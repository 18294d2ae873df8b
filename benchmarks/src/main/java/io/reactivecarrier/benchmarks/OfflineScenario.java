package io.reactivecarrier.benchmarks;

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
import io.reactivecarrier.link.LinkIdentity;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.link.LinkOptions;
import io.reactivecarrier.link.PeerContact;
import io.reactivecarrier.message.FriendDirectory;
import io.reactivecarrier.message.MessageOptions;
import io.reactivecarrier.message.MessageService;
import io.reactivecarrier.message.Receipt;
import io.reactivecarrier.store.NodeStore;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.SimulatedNetwork;
import io.reactivecarrier.transport.SimulatedTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@code offline --messages 1000 --storage-churn 0.3 --seed 1 [--storage 30]}: an in-memory
 * network (the simulator's datagram network, on real time) of DHT storage nodes; the recipient
 * is offline while the sender sends; the messages go sealed into the recipient's DHT mailbox; the
 * sender goes offline; a share of the storage nodes is replaced by new ones; the recipient comes
 * back and collects its mailbox. Delivery time is from the recipient's start.
 */
final class OfflineScenario implements Scenario {

    private static final Duration T = Duration.ofSeconds(60);

    private record Dht(SimulatedTransport transport, RpcEndpoint rpc, DhtNode dht) {
        NodeInfo info() {
            return new NodeInfo(dht.id(), transport.localAddress());
        }

        void stop() {
            dht.stop().onErrorResume(e -> Mono.empty()).block(T);
            rpc.close().onErrorResume(e -> Mono.empty()).block(T);
            transport.close().onErrorResume(e -> Mono.empty()).block(T);
        }
    }

    private record User(NodeStore store, Ed25519KeyPair identity, Dht dht, LinkManager links, MessageService messages) {
        UserId userId() {
            return UserId.of(identity.publicKey());
        }

        void stop() {
            messages.close().onErrorResume(e -> Mono.empty()).block(T);
            links.close().onErrorResume(e -> Mono.empty()).block(T);
            dht.stop();
            store.close().block(T);
        }
    }

    private static DhtOptions dhtOptions(List<NodeInfo> boot) {
        // 1000 mailbox items from one sender exceed the default of 256 entries per source
        return DhtOptions.defaults().bootstrap(boot).storage(256L << 20, 16_384, Duration.ofDays(7));
    }

    private static final java.util.concurrent.atomic.AtomicInteger NEXT_IP = new java.util.concurrent.atomic.AtomicInteger();
    private static final java.util.Map<SimulatedTransport, PacketRouter> ROUTERS = new ConcurrentHashMap<>();

    private static PacketRouter routerOf(Dht d) {
        return ROUTERS.get(d.transport);
    }

    @Override
    public Json run(Args args) throws Exception {
        int count = args.integer("messages", 1000);
        double churn = args.decimal("storage-churn", 0.3);
        long seed = args.longValue("seed", 1);
        int storageCount = args.integer("storage", 30);
        Random random = new Random(seed);
        Scheduler sim = Schedulers.newSingle("carrier-sim");
        SimulatedNetwork net = SimulatedNetwork.create(sim, seed);
        Path dir = Files.createTempDirectory("carrier-offline-bench");
        List<Dht> storage = new ArrayList<>();
        storage.add(dhtWithRouter(net, List.of()));
        for (int i = 1; i < storageCount; i++) {
            storage.add(dhtWithRouter(net, List.of(storage.get(0).info())));
        }
        Ed25519KeyPair aliceKeys = Ed25519KeyPair.generate();
        Ed25519KeyPair bobKeys = Ed25519KeyPair.generate();
        UserId aliceId = UserId.of(aliceKeys.publicKey());
        UserId bobId = UserId.of(bobKeys.publicKey());
        MessageOptions options = MessageOptions.create().offlineAfter(Duration.ofMillis(500))
                .mailboxPoll(Duration.ofSeconds(2)).connectRetry(Duration.ofSeconds(2));
        User alice = userWithRouter(net, dir.resolve("alice"), aliceKeys, bobId, List.of(storage.get(0).info()),
                options);
        AtomicLong storedOffline = new AtomicLong();
        alice.messages.receipts().filter(r -> r.status() == Receipt.Status.STORED_OFFLINE)
                .subscribe(r -> storedOffline.incrementAndGet());
        Flux.range(0, count).concatMap(i -> alice.messages.enqueue(bobId, "offline message " + i)).then()
                .block(Duration.ofMinutes(5));
        long deadline = System.currentTimeMillis() + args.integer("deposit-wait-s", 300) * 1000L;
        long lastReport = System.currentTimeMillis();
        while (storedOffline.get() < count && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            if (System.currentTimeMillis() - lastReport > 5000) {
                lastReport = System.currentTimeMillis();
                System.err.println("stored offline: " + storedOffline.get() + " of " + count);
            }
        }
        alice.stop(); // the sender goes offline too: only the mailbox can deliver now

        // churn: replace a share of the storage nodes by new ones (what they stored is gone)
        int replace = (int) Math.round(storage.size() * churn);
        for (int i = 0; i < replace; i++) {
            storage.remove(1 + random.nextInt(storage.size() - 1)).stop();
        }
        for (int i = 0; i < replace; i++) {
            storage.add(dhtWithRouter(net, List.of(storage.get(0).info())));
        }

        long start = System.nanoTime();
        ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();
        AtomicLong duplicated = new AtomicLong();
        Stats delivery = new Stats();
        User bob = userWithRouter(net, dir.resolve("bob"), bobKeys, aliceId, List.of(storage.get(0).info()), options);
        bob.messages.incoming().subscribe(m -> {
            if (seen.putIfAbsent(m.text(), Boolean.TRUE) == null) {
                synchronized (delivery) {
                    delivery.add((System.nanoTime() - start) / 1e9);
                }
            } else {
                duplicated.incrementAndGet();
            }
        });
        deadline = System.currentTimeMillis() + args.integer("wait-s", 300) * 1000L;
        while (seen.size() < count && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        Thread.sleep(2000);
        bob.stop();
        storage.forEach(Dht::stop);
        sim.dispose();
        double p99;
        synchronized (delivery) {
            p99 = delivery.percentile(99);
        }
        return Json.object().put("scenario", "offline").put("sent", count).put("stored_offline", storedOffline.get())
                .put("delivered", seen.size()).put("lost", count - seen.size()).put("duplicated", duplicated.get())
                .put("delivery_s_p99", p99).put("storage_nodes", storageCount).put("replaced", replace)
                .put("seed", seed);
    }

    private static Dht dhtWithRouter(SimulatedNetwork net, List<NodeInfo> boot) {
        return dhtKeyed(net, X25519KeyPair.generate(), boot);
    }

    private static Dht dhtKeyed(SimulatedNetwork net, X25519KeyPair key, List<NodeInfo> boot) {
        // one node per /24: the DHT bounds how many nodes of one prefix it keeps (Sybil defence)
        int n = NEXT_IP.incrementAndGet();
        java.net.InetAddress ip;
        try {
            ip = java.net.InetAddress.getByAddress(new byte[] {10, (byte) (n >> 8), (byte) n, 1});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        SimulatedTransport t = Mono.fromCallable(() -> net.addNode(ip)).subscribeOn(net.scheduler()).block(T);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PacketRouter router = PacketRouter.create(registry);
        ROUTERS.put(t, router);
        t.receive(router);
        RpcEndpoint rpc = RpcEndpoint.create(t, router, key, RpcOptions.create().meterRegistry(registry));
        DhtNode node = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)), dhtOptions(boot));
        node.start().block(T);
        return new Dht(t, rpc, node);
    }

    private static User userWithRouter(SimulatedNetwork net, Path dir, Ed25519KeyPair identity, UserId friend,
            List<NodeInfo> boot, MessageOptions options) {
        NodeStore store = NodeStore.open(dir).block(T);
        X25519KeyPair key = X25519KeyPair.generate();
        Dht d = dhtKeyed(net, key, boot);
        LinkManager links = LinkManager.create(d.transport, routerOf(d), new LinkIdentity(identity, key),
                u -> d.dht.findPeer(u.toBytes()).map(r -> new PeerContact(u, r.nodeId().bytes(), null, r.endpoints()))
                        .onErrorResume(e -> Mono.empty()),
                LinkOptions.create());
        links.setAuthorizer(friend::equals);
        FriendDirectory friends = new FriendDirectory() {
            @Override
            public boolean isFriend(UserId user) {
                return user.equals(friend);
            }

            @Override
            public Flux<UserId> online() {
                return Flux.never();
            }
        };
        MessageService messages = MessageService.create(store, links, Mailbox.of(d.dht, identity), friends, options);
        long now = System.currentTimeMillis();
        d.dht.announcePeer(PeerRecord.create(identity, d.dht.id(), List.of(d.transport.localAddress()), now,
                now + 3_600_000)).onErrorResume(e -> Mono.just(0)).block(T);
        messages.start().block(T);
        return new User(store, identity, d, links, messages);
    }
}
