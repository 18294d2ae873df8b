package io.reactivecarrier;

import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.RoutingSnapshot;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Saves the routing-table snapshot every {@code period} while the node runs, not only on a graceful
 * stop, so a node that was killed (kill -9, power loss) also rejoins in one round trip. A tick
 * takes the verified nodes (on the DHT's thread) and writes them (on the store's thread) only when
 * the set changed since the last save or the one loaded at start, and never replaces a saved
 * snapshot with an empty one (a node that lost its network keeps the nodes it knew). Ticks never
 * overlap; a failed save is logged and retried on the next tick.
 */
final class RoutingSnapshotSaver implements Disposable {

    private static final Logger log = LoggerFactory.getLogger(RoutingSnapshotSaver.class);

    private final Supplier<Mono<List<NodeInfo>>> snapshot;
    private final Function<byte[], Mono<?>> save;
    private volatile Set<NodeInfo> last;
    private final AtomicLong saves = new AtomicLong();
    private volatile int lastSavedNodes;
    private final Disposable timer;

    private RoutingSnapshotSaver(Supplier<Mono<List<NodeInfo>>> snapshot, Function<byte[], Mono<?>> save,
            List<NodeInfo> loaded, Duration period, Scheduler scheduler) {
        this.snapshot = snapshot;
        this.save = save;
        this.last = new HashSet<>(loaded);
        this.timer = Flux.interval(period, period, scheduler)
                .onBackpressureDrop()
                .concatMap(tick -> saveIfChanged(), 1)
                .subscribe();
    }

    /**
     * Starts saving: every {@code period} on {@code scheduler}, the nodes of {@code snapshot} are
     * passed encoded to {@code save} when they differ from the last saved ones ({@code loaded} at
     * first).
     */
    static RoutingSnapshotSaver start(Supplier<Mono<List<NodeInfo>>> snapshot, Function<byte[], Mono<?>> save,
            List<NodeInfo> loaded, Duration period, Scheduler scheduler) {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("the routing-snapshot period must be positive, got " + period);
        }
        return new RoutingSnapshotSaver(snapshot, save, loaded, period, scheduler);
    }

    /** One tick: saves when the verified nodes changed; emits whether it saved. Never fails. */
    Mono<Boolean> saveIfChanged() {
        return Mono.defer(snapshot)
                .flatMap(nodes -> {
                    Set<NodeInfo> now = new HashSet<>(nodes);
                    if (nodes.isEmpty() || now.equals(last)) {
                        return Mono.just(false);
                    }
                    return save.apply(RoutingSnapshot.encode(nodes)).then(Mono.fromCallable(() -> {
                        last = now;
                        lastSavedNodes = nodes.size();
                        saves.incrementAndGet();
                        log.debug("routing-table snapshot saved: {} nodes", nodes.size());
                        return true;
                    }));
                })
                .onErrorResume(e -> {
                    log.debug("saving the routing-table snapshot failed (next tick retries): {}", e.toString());
                    return Mono.just(false);
                });
    }

    /** How many snapshots this saver wrote. */
    long saves() {
        return saves.get();
    }

    /** The nodes in the last snapshot this saver wrote (0 before the first). */
    int lastSavedNodes() {
        return lastSavedNodes;
    }

    @Override
    public void dispose() {
        timer.dispose();
    }

    @Override
    public boolean isDisposed() {
        return timer.isDisposed();
    }
}
