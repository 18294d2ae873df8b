package io.reactivecarrier.benchmarks;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierBuilder;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.friend.FriendEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code presence --friends 100 --seconds 60}: one hub node with N friend nodes, all whole nodes
 * on real UDP sockets on loopback in this JVM, each friend on its own loopback address.
 *
 * <ol>
 * <li>Every friend node requests the hub, the hub accepts; the run waits until the hub sees all
 * of them online.</li>
 * <li>Idle: after {@code --settle} seconds (30) of start-up work, for a third of {@code --seconds}
 * (at least 10 s) nothing happens but keepalives and DHT upkeep; the hub's UDP bytes (sent + received) per second is {@code idle_bytes_per_s_per_node}
 * (the node with N online friends).</li>
 * <li>Churn, for the rest of the time, in rounds over a batch of friends: each friend is stopped
 * gracefully (it says goodbye: a {@code detect_offline_goodbye} sample, the time until the hub's
 * OFFLINE event), started again as a new process, a {@link PresenceChild} JVM, one after the
 * other (from its start() call to the hub's ONLINE event: a {@code detect_online} sample; the
 * start() itself is {@code new_process_start}), killed with {@code kill -9}
 * (it disappears without a word: a {@code detect_offline} sample) and started again in this JVM
 * (another {@code detect_online} sample).</li>
 * </ol>
 */
final class PresenceBenchmark {

    private static final Duration T = Duration.ofSeconds(120);

    private final Map<UserId, Long> onlineAt = new ConcurrentHashMap<>();
    private final Map<UserId, Long> offlineAt = new ConcurrentHashMap<>();

    private PresenceBenchmark() {
    }

    static Json run(Args args) throws Exception {
        return new PresenceBenchmark().measure(args);
    }

    private Json measure(Args args) throws Exception {
        int n = args.integer("friends", 100);
        int seconds = args.integer("seconds", 60);
        int batch = args.integer("batch", Math.max(1, Math.min(10, n / 10)));
        int settleSeconds = args.integer("settle", 30);
        Random random = new Random(args.longValue("seed", 1));
        if (n < 1 || seconds < 10) {
            throw new IllegalArgumentException("--friends must be >= 1 and --seconds >= 10");
        }
        long wallStart = System.nanoTime();
        Path dir = Files.createTempDirectory("carrier-presence");
        MeterRegistry hubMeters = new SimpleMeterRegistry();
        CarrierBuilder base = Carrier.builder().bindHost("127.0.0.1");
        // a plain DHT node to join through, so that the hub is an ordinary member of the network
        CarrierNode boot = base.dataDir(dir.resolve("boot")).bindHost("127.3.0.1").build();
        boot.start().block(T);
        CarrierBuilder member = base.bootstrap(boot.bootstrapInfo());
        CarrierNode hub = member.dataDir(dir.resolve("hub")).meterRegistry(hubMeters).build();
        hub.start().block(T);
        CarrierBuilder leaf = member;
        List<CarrierNode> friends = Collections.synchronizedList(new ArrayList<>());
        Disposable events = hub.friends().events().subscribe(this::record);
        Disposable accepting = hub.friends().requests().flatMap(r -> r.accept().onErrorResume(e -> Mono.empty()))
                .subscribe();
        try {
            Flux.range(0, n)
                    .flatMap(i -> {
                        CarrierNode f = leaf(leaf, dir, i).build();
                        friends.add(f);
                        return f.start().then(Mono.defer(() -> f.friends().request(hub.address(), "friend " + i)));
                    }, 8)
                    .then().block(Duration.ofSeconds(Math.max(120, n * 2L)));
            waitUntil(() -> hub.friends().list().filter(f -> f.presence().isOnline()).count().block(T) == n,
                    Duration.ofSeconds(Math.max(120, n)), "the hub did not see all friends online");

            // idle
            long idleSeconds = Math.max(10, seconds / 3);
            // let the start-up work settle first (profile exchange, first keepalives, the first
            // relay-directory lookups, which repeat at 2, 6, 14, 30, 50 and 70 s while no relay exists)
            Thread.sleep(settleSeconds * 1000L);
            double sent0 = counter(hubMeters, "carrier.transport.bytes.sent");
            double recv0 = counter(hubMeters, "carrier.transport.bytes.received");
            long t0 = System.nanoTime();
            Thread.sleep(idleSeconds * 1000);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double sentRate = (counter(hubMeters, "carrier.transport.bytes.sent") - sent0) / elapsed;
            double recvRate = (counter(hubMeters, "carrier.transport.bytes.received") - recv0) / elapsed;

            // churn
            Stats online = new Stats();
            Stats onlineNewProcess = new Stats();
            Stats newProcessStart = new Stats();
            Stats offline = new Stats();
            Stats offlineGoodbye = new Stats();
            String bootstrap = boot.bootstrapInfo().toString();
            long churnEnd = System.nanoTime() + (seconds - idleSeconds) * 1_000_000_000L;
            int rounds = 0;
            do {
                List<Integer> picked = new ArrayList<>();
                while (picked.size() < Math.min(batch, n)) {
                    int i = random.nextInt(n);
                    if (!picked.contains(i)) {
                        picked.add(i);
                    }
                }
                List<CarrierNode> victims = picked.stream().map(friends::get).toList();
                List<UserId> ids = victims.stream().map(CarrierNode::userId).toList();

                // 1. a graceful stop: the friend says goodbye
                ids.forEach(offlineAt::remove);
                long stopAt = System.nanoTime();
                Flux.fromIterable(victims).flatMap(CarrierNode::stop).then().block(T);
                waitUntil(() -> ids.stream().allMatch(offlineAt::containsKey), T, "the hub missed an OFFLINE");
                ids.forEach(id -> offlineGoodbye.add((offlineAt.get(id) - stopAt) / 1e9));

                // 2. the friend comes back as a new process (from its start() call)
                ids.forEach(onlineAt::remove);
                List<Child> children = new ArrayList<>();
                try {
                    // one at a time: JVMs starting together on the hub's cores would measure CPU contention
                    for (int k = 0; k < picked.size(); k++) {
                        Child c = Child.start(dir, picked.get(k), bindHost(picked.get(k)), bootstrap);
                        children.add(c);
                        long startAt = c.startingAt();
                        UserId id = ids.get(k);
                        waitUntil(() -> onlineAt.containsKey(id), T, "the hub missed an ONLINE of a new process");
                        onlineNewProcess.add((onlineAt.get(id) - startAt) / 1e9);
                        newProcessStart.add((c.startedAt() - startAt) / 1e9);
                    }

                    // 3. the process is killed (kill -9): no goodbye, the friend disappears
                    ids.forEach(offlineAt::remove);
                    long killAt = System.nanoTime();
                    children.forEach(Child::kill);
                    waitUntil(() -> ids.stream().allMatch(offlineAt::containsKey), T,
                            "the hub missed an OFFLINE of a killed process");
                    ids.forEach(id -> offline.add((offlineAt.get(id) - killAt) / 1e9));
                } finally {
                    children.forEach(Child::kill);
                }

                // 4. back in this JVM (from the start() call)
                ids.forEach(onlineAt::remove);
                long startAt = System.nanoTime();
                List<CarrierNode> again = picked.stream().map(i -> leaf(leaf, dir, i).build()).toList();
                for (int k = 0; k < picked.size(); k++) {
                    friends.set(picked.get(k), again.get(k));
                }
                Flux.fromIterable(again).flatMap(CarrierNode::start).then().block(T);
                waitUntil(() -> ids.stream().allMatch(onlineAt::containsKey), T, "the hub missed an ONLINE");
                ids.forEach(id -> online.add((onlineAt.get(id) - startAt) / 1e9));
                rounds++;
            } while (System.nanoTime() < churnEnd);
            Stats onlineAll = new Stats();
            onlineAll.addAll(online);
            onlineAll.addAll(onlineNewProcess);

            return Json.object()
                    .put("scenario", "presence")
                    .put("friends", n)
                    .put("detect_online_s_p99", onlineAll.percentile(99))
                    .put("detect_offline_s_p99", offline.percentile(99))
                    .put("idle_bytes_per_s_per_node", sentRate + recvRate)
                    .put("detect_online_s_p50", onlineAll.percentile(50))
                    .put("detect_offline_s_p50", offline.percentile(50))
                    .put("detect_online_new_process_s_p99", onlineNewProcess.percentile(99))
                    .put("detect_online_in_process_s_p99", online.percentile(99))
                    .put("new_process_start_s_p50", newProcessStart.percentile(50))
                    .put("new_process_start_s_p99", newProcessStart.percentile(99))
                    .put("detect_offline_goodbye_s_p99", offlineGoodbye.percentile(99))
                    .put("detect_offline_goodbye_s_p50", offlineGoodbye.percentile(50))
                    .put("samples", offline.count())
                    .put("churn_rounds", rounds)
                    .put("idle_sent_bytes_per_s", sentRate)
                    .put("idle_received_bytes_per_s", recvRate)
                    .put("idle_window_s", elapsed)
                    .put("settle_s", settleSeconds)
                    .put("wall_s", (System.nanoTime() - wallStart) / 1e9)
                    .put("heap_mb", (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        } finally {
            events.dispose();
            accepting.dispose();
            Flux.fromIterable(new ArrayList<>(friends)).flatMap(f -> f.stop().onErrorResume(e -> Mono.empty()), 16)
                    .then(hub.stop().onErrorResume(e -> Mono.empty()))
                    .then(boot.stop().onErrorResume(e -> Mono.empty())).block(T);
            deleteQuietly(dir);
        }
    }

    /**
     * Friend node {@code i}: its own loopback address (127.2.x.y), as distinct hosts would have,
     * so that per-source rate limits and bans see one source per node rather than one for all.
     */
    private static CarrierBuilder leaf(CarrierBuilder leaf, Path dir, int i) {
        return leaf.dataDir(dir.resolve("f" + i)).bindHost(bindHost(i));
    }

    private static String bindHost(int i) {
        return "127.2." + (i / 200) + "." + (1 + i % 200);
    }

    /** A friend node in its own JVM ({@link PresenceChild}), to be killed with {@code kill -9}. */
    private static final class Child {

        private final Process process;
        private final java.util.concurrent.CompletableFuture<Long> starting = new java.util.concurrent.CompletableFuture<>();
        private final java.util.concurrent.CompletableFuture<Long> started = new java.util.concurrent.CompletableFuture<>();

        private Child(Process process) {
            this.process = process;
            Thread reader = new Thread(this::read, "presence-child-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(Path dir, int i, String bindHost, String bootstrap) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), PresenceChild.class.getName(),
                    dir.resolve("f" + i).toString(), bindHost, bootstrap)
                    .redirectError(dir.resolve("child-" + i + ".log").toFile())
                    .start();
            return new Child(p);
        }

        private void read() {
            try (java.io.BufferedReader r = new java.io.BufferedReader(
                    new java.io.InputStreamReader(process.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.equals("starting")) {
                        starting.complete(System.nanoTime());
                    } else if (line.equals("started")) {
                        started.complete(System.nanoTime());
                    }
                }
            } catch (IOException e) {
                // the process died; the futures fail below
            }
            IllegalStateException died = new IllegalStateException(
                    "a presence child process exited (" + process.pid() + "); see child-*.log in the data directory");
            starting.completeExceptionally(died);
            started.completeExceptionally(died);
        }

        long startingAt() throws Exception {
            return starting.get(T.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        }

        long startedAt() throws Exception {
            return started.get(T.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        }

        void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void record(FriendEvent e) {
        if (e.type() == FriendEvent.Type.ONLINE) {
            onlineAt.put(e.id(), System.nanoTime());
        } else if (e.type() == FriendEvent.Type.OFFLINE) {
            offlineAt.put(e.id(), System.nanoTime());
        }
    }

    private static double counter(MeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition, Duration max, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " within " + max);
            }
            Thread.sleep(20);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory; the OS cleans it eventually
        }
    }
}
