package io.reactivecarrier;

import io.reactivecarrier.testing.ChildJvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed with SIGKILL (no graceful stop, so no snapshot written on stop) rejoins from the
 * routing-table snapshot its periodic saver wrote: restarted with no bootstrap node at all, its table
 * holds the other nodes as soon as start() completed (the snapshot's nodes are pinged during start:
 * one round trip), and it finds them. Real UDP on loopback, the killed node in its own JVM.
 */
class RoutingSnapshotCrashTest {

    static final Duration T = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    final List<CarrierNode> nodes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (CarrierNode n : nodes) {
            n.stop().block(T);
        }
    }

    CarrierNode start(String name, CarrierBuilder b) {
        CarrierNode n = b.dataDir(dir.resolve(name)).bindHost("127.0.0.1").build();
        nodes.add(n);
        n.start().block(T);
        return n;
    }

    @Test
    void aKilledNodeRejoinsFromItsPeriodicSnapshotWithoutBootstrap() throws Exception {
        CarrierNode a = start("a", Carrier.builder());
        CarrierNode b = start("b", Carrier.builder().bootstrap(a.bootstrapInfo()));
        CarrierNode c = start("c", Carrier.builder().bootstrap(a.bootstrapInfo()));
        List<NodeId> others = List.of(a.dht().id(), b.dht().id(), c.dht().id());

        Path childData = dir.resolve("child");
        Path stderr = dir.resolve("child.err");
        String saved;
        try (ChildJvm child = new ChildJvm(SnapshotChildProcess.class, ChildJvm.LEAN, stderr, null,
                childData.toString(), "300", a.bootstrapInfo().toString(), "3")) {
            saved = child.await("SAVED ", 180, line -> { });
            // closing kills it (SIGKILL): no stop(), so only the periodic saver can have written the snapshot
        }
        assertThat(saved).as("the child saved a snapshot of the 3 other nodes; its stderr: %s", stderr).isNotNull();
        assertThat(Integer.parseInt(saved.substring(6))).isGreaterThanOrEqualTo(3);

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CarrierNode again = start("child", Carrier.builder().meterRegistry(registry)); // no bootstrap node
        Gauge size = registry.find("carrier.dht.routing.size").gauge();
        assertThat(size).isNotNull();
        assertThat(size.value()).as("routing table right after start, from the snapshot alone").isGreaterThanOrEqualTo(3);
        for (NodeId other : others) {
            List<NodeInfo> found = again.dht().findNode(other).block(T);
            assertThat(found).extracting(NodeInfo::id).as("a lookup of %s", other).contains(other);
        }
    }
}
