package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.RoutingSnapshot;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The periodic routing-table snapshot: saved on its period, only when the nodes changed, never emptied. */
class RoutingSnapshotSaverTest {

    static NodeInfo node(int i) {
        byte[] id = new byte[NodeId.LENGTH];
        id[0] = (byte) i;
        return new NodeInfo(NodeId.of(id), new InetSocketAddress("127.0.0.1", 1000 + i));
    }

    final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    final AtomicReference<List<NodeInfo>> table = new AtomicReference<>(List.of(node(1), node(2)));
    final List<byte[]> saved = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean failing = new AtomicBoolean();

    RoutingSnapshotSaver saver(List<NodeInfo> loaded) {
        return RoutingSnapshotSaver.start(() -> Mono.just(table.get()), bytes -> failing.get()
                ? Mono.error(new IllegalStateException("disk full")) : Mono.fromRunnable(() -> saved.add(bytes)),
                loaded, Duration.ofMinutes(2), vts);
    }

    @Test
    void savesOnItsPeriodOnlyWhenTheNodesChanged() throws Exception {
        RoutingSnapshotSaver s = saver(List.of());
        try {
            vts.advanceTimeBy(Duration.ofSeconds(119));
            assertThat(saved).as("nothing before the first period").isEmpty();
            vts.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(saved).hasSize(1);
            assertThat(RoutingSnapshot.decode(saved.get(0))).containsExactlyInAnyOrder(node(1), node(2));
            // the same nodes in another order: nothing to write
            table.set(List.of(node(2), node(1)));
            vts.advanceTimeBy(Duration.ofMinutes(10));
            assertThat(saved).hasSize(1);
            table.set(List.of(node(2), node(3)));
            vts.advanceTimeBy(Duration.ofMinutes(2));
            assertThat(saved).hasSize(2);
            assertThat(RoutingSnapshot.decode(saved.get(1))).containsExactlyInAnyOrder(node(2), node(3));
            assertThat(s.saves()).isEqualTo(2);
            assertThat(s.lastSavedNodes()).isEqualTo(2);
            // an empty table (the node lost its network) never replaces the saved nodes
            table.set(List.of());
            vts.advanceTimeBy(Duration.ofMinutes(10));
            assertThat(saved).hasSize(2);
        } finally {
            s.dispose();
        }
        table.set(List.of(node(4)));
        vts.advanceTimeBy(Duration.ofMinutes(10));
        assertThat(saved).as("nothing after dispose").hasSize(2);
    }

    @Test
    void theSnapshotLoadedAtStartCountsAsSavedAndAFailedSaveIsRetried() {
        RoutingSnapshotSaver s = saver(List.of(node(2), node(1)));
        try {
            vts.advanceTimeBy(Duration.ofMinutes(10));
            assertThat(saved).as("the table still holds what was loaded").isEmpty();
            table.set(List.of(node(1)));
            failing.set(true);
            vts.advanceTimeBy(Duration.ofMinutes(2));
            assertThat(saved).isEmpty();
            assertThat(s.isDisposed()).as("a failed save does not end the timer").isFalse();
            failing.set(false);
            vts.advanceTimeBy(Duration.ofMinutes(2));
            assertThat(saved).hasSize(1);
        } finally {
            s.dispose();
        }
    }

    @Test
    void aPeriodMustBePositive() {
        assertThatThrownBy(() -> RoutingSnapshotSaver.start(() -> Mono.just(List.of()), b -> Mono.empty(), List.of(),
                Duration.ZERO, vts)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
    }
}
