package io.reactivecarrier.benchmarks;

import io.reactivecarrier.message.Message;
import io.reactivecarrier.message.MessageOptions;
import io.reactivecarrier.message.MsgNode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;

/**
 * {@code messages --count 100000 --size 1024 [--concurrency 4096]}: two message nodes on real
 * UDP (loopback), each with its own store; every message goes through the sender's durable
 * outbox, the link, the receiver's durable dedupe and inbox, and back as a receipt. Latency is
 * from {@code enqueue()} (durable in the outbox) to the receiver's {@code incoming()}.
 */
final class MessagesScenario implements Scenario {

    @Override
    public Json run(Args args) throws Exception {
        int count = args.integer("count", 100_000);
        int size = Math.max(8, args.integer("size", 1024));
        int concurrency = args.integer("concurrency", 4096);
        Path dir = Files.createTempDirectory("carrier-messages-bench");
        MsgNode.DhtOnly boot = MsgNode.dhtOnly(List.of());
        MessageOptions options = MessageOptions.create().window(args.integer("window", 2048))
                .inbox(65_536, 1L << 30).retransmitTimeout(Duration.ofSeconds(2));
        MsgNode alice = MsgNode.start(dir.resolve("alice"), List.of(boot.info()), options, 0);
        MsgNode bob = MsgNode.start(dir.resolve("bob"), List.of(boot.info()), options, 0);
        try {
            alice.befriend(bob);
            alice.links.connect(bob.userId()).block(MsgNode.T);
            Stats latency = new Stats();
            ConcurrentHashMap<Long, Boolean> seen = new ConcurrentHashMap<>();
            AtomicLong duplicated = new AtomicLong();
            CountDownLatch all = new CountDownLatch(count);
            AtomicLong lastAt = new AtomicLong();
            bob.messages.incoming().subscribe((Message m) -> {
                long now = System.nanoTime();
                ByteBuffer b = ByteBuffer.wrap(m.body());
                long index = b.getLong(0);
                long sentAt = b.getLong(8);
                if (seen.putIfAbsent(index, Boolean.TRUE) == null) {
                    if (index < 0) {
                        return; // warm-up
                    }
                    synchronized (latency) {
                        latency.add((now - sentAt) / 1e6);
                    }
                    lastAt.set(now);
                    all.countDown();
                } else {
                    duplicated.incrementAndGet();
                }
            });
            // warm-up (JIT, store files, link) outside the measurement
            Flux.range(0, 2000).flatMap(i -> alice.messages.enqueue(bob.userId(), body(-1 - i, size)), 256)
                    .then().block(MsgNode.T);
            Thread.sleep(2000);
            long start = System.nanoTime();
            Flux.range(0, count)
                    .flatMap(i -> alice.messages.enqueue(bob.userId(), body(i, size)), concurrency)
                    .then().block(Duration.ofMinutes(10));
            all.await(5, TimeUnit.MINUTES);
            Thread.sleep(1000); // late duplicates would show here
            long end = all.getCount() == 0 ? lastAt.get() : System.nanoTime();
            long delivered = seen.keySet().stream().filter(k -> k >= 0).count();
            double seconds = (end - start) / 1e9;
            double p50;
            double p99;
            synchronized (latency) {
                p50 = latency.percentile(50);
                p99 = latency.percentile(99);
            }
            return Json.object().put("scenario", "messages").put("count", count).put("size", size)
                    .put("msgs_per_s", delivered / seconds)
                    .put("latency_ms_p50", p50).put("latency_ms_p99", p99)
                    .put("lost", count - delivered).put("duplicated", duplicated.get())
                    .put("concurrency", concurrency)
                    .put("retransmits", count(alice, "carrier.messages.retransmits"))
                    .put("duplicates_dropped", count(bob, "carrier.messages.duplicates"))
                    .put("receiver_link_drops", count(bob, "carrier.link.packets.dropped"))
                    .put("receiver_udp_drops", count(bob, "carrier.transport.packets.dropped"))
                    .put("sender_packets", count(alice, "carrier.transport.packets.sent"))
                    .put("commits", commits(alice, bob)).put("seconds", seconds);
        } finally {
            alice.stop();
            bob.stop();
            boot.stop();
        }
    }

    private static Json commits(MsgNode alice, MsgNode bob) {
        Json j = Json.object();
        for (MsgNode n : List.of(alice, bob)) {
            n.registry.find("carrier.messages.commits").timers().forEach(t -> {
                if (t.count() > 0) {
                    j.put(t.getId().getTag("stage") + "_n", t.count())
                            .put(t.getId().getTag("stage") + "_ms_mean", t.mean(TimeUnit.MILLISECONDS));
                }
            });
        }
        return j;
    }

    private static double count(MsgNode n, String name) {
        return n.registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static byte[] body(long index, int size) {
        byte[] b = new byte[size];
        ByteBuffer.wrap(b).putLong(0, index).putLong(8, System.nanoTime());
        return b;
    }
}
