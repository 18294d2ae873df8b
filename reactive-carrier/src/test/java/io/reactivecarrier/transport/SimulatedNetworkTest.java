package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

class SimulatedNetworkTest {

    final VirtualTimeScheduler vts = VirtualTimeScheduler.create();

    static ByteBuf packet(DatagramTransport t, int size, int tag) {
        return t.alloc().buffer(size).writeByte(tag).writeZero(size - 1);
    }

    @Test
    void deliversAfterTheLinkLatencyOnTheNetworkScheduler() {
        SimulatedNetwork net = SimulatedNetwork.create(vts, 1)
                .defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(30)));
        SimulatedTransport a = net.addNode();
        SimulatedTransport b = net.addNode();
        assertThat(a.scheduler()).isSameAs(vts);
        List<Long> at = new ArrayList<>();
        b.receive((from, data) -> {
            assertThat(from).isEqualTo(a.localAddress());
            at.add(vts.now(TimeUnit.MILLISECONDS));
        });
        a.send(b.localAddress(), packet(a, 10, 1));
        vts.advanceTimeBy(Duration.ofMillis(29));
        assertThat(at).isEmpty();
        vts.advanceTimeBy(Duration.ofMillis(2));
        assertThat(at).containsExactly(30L);
        assertThat(net.stats().delivered()).isEqualTo(1);
    }

    @Test
    void addressesAreDistinctAndChoosable() throws Exception {
        SimulatedNetwork net = SimulatedNetwork.create(vts, 1);
        HashSet<InetSocketAddress> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            assertThat(seen.add(net.addNode().localAddress())).isTrue();
        }
        InetAddress shared = InetAddress.getByName("192.0.2.7");
        SimulatedTransport x = net.addNode(shared);
        SimulatedTransport y = net.addNode(shared);
        assertThat(x.localAddress().getAddress()).isEqualTo(shared);
        assertThat(x.localAddress()).isNotEqualTo(y.localAddress());
        assertThatThrownBy(() -> net.node(x.localAddress())).isInstanceOf(IllegalStateException.class);
        x.close().block();
        assertThat(net.node(x.localAddress()).localAddress()).isEqualTo(x.localAddress());
    }

    @Test
    void partitionBlackholeKillAndRestart() {
        SimulatedNetwork net = SimulatedNetwork.create(vts, 1);
        SimulatedTransport a = net.addNode();
        SimulatedTransport b = net.addNode();
        int[] got = new int[1];
        b.receive((from, data) -> got[0]++);

        net.partition(a.localAddress(), b.localAddress());
        a.send(b.localAddress(), packet(a, 5, 1));
        net.heal(a.localAddress(), b.localAddress());
        a.send(b.localAddress(), packet(a, 5, 1));
        vts.advanceTimeBy(Duration.ofMillis(1));
        assertThat(got[0]).isEqualTo(1);

        net.blackhole(b.localAddress(), Duration.ofSeconds(1));
        a.send(b.localAddress(), packet(a, 5, 1));
        vts.advanceTimeBy(Duration.ofSeconds(2));
        a.send(b.localAddress(), packet(a, 5, 1));
        vts.advanceTimeBy(Duration.ofMillis(1));
        assertThat(got[0]).isEqualTo(2);

        net.kill(b.localAddress());
        a.send(b.localAddress(), packet(a, 5, 1));
        b.send(a.localAddress(), packet(b, 5, 1));
        net.restart(b.localAddress());
        a.send(b.localAddress(), packet(a, 5, 1));
        vts.advanceTimeBy(Duration.ofMillis(1));
        assertThat(got[0]).isEqualTo(3);

        SimulatedNetwork.Stats s = net.stats();
        assertThat(s.dropped().get(SimulatedNetwork.DropReason.PARTITION)).isEqualTo(1);
        assertThat(s.dropped().get(SimulatedNetwork.DropReason.BLACKHOLE)).isEqualTo(1);
        assertThat(s.dropped().get(SimulatedNetwork.DropReason.DEAD)).isEqualTo(2);
        assertThat(net.inFlight()).isZero();
    }

    @Test
    void closedNodeReleasesItsAddressAndDropsInFlightPackets() {
        SimulatedNetwork net = SimulatedNetwork.create(vts, 1)
                .defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(10)));
        SimulatedTransport a = net.addNode();
        SimulatedTransport b = net.addNode();
        b.receive((from, data) -> { });
        a.send(b.localAddress(), packet(a, 5, 1));
        b.close().block();
        b.close().block();
        vts.advanceTimeBy(Duration.ofMillis(20));
        ByteBuf late = packet(b, 5, 1);
        b.send(a.localAddress(), late);
        assertThat(late.refCnt()).isZero();
        assertThat(net.stats().dropped().get(SimulatedNetwork.DropReason.NO_NODE)).isEqualTo(1);
        assertThat(net.stats().dropped().get(SimulatedNetwork.DropReason.CLOSED)).isEqualTo(1);
    }

    @Test
    void faultsAreAppliedAndBuffersReleased() {
        SimulatedNetwork net = SimulatedNetwork.create(vts, 42).defaultProfile(LinkProfile.perfect()
                .latency(Duration.ofMillis(5)).jitter(Duration.ofMillis(5)).loss(0.1).duplicate(0.1)
                .reorder(0.1, Duration.ofMillis(20)).corrupt(0.1));
        SimulatedTransport a = net.addNode();
        SimulatedTransport b = net.addNode();
        List<ByteBuf> kept = new ArrayList<>();
        int[] corrupted = new int[1];
        b.receive((from, data) -> {
            for (int i = data.readerIndex() + 1; i < data.writerIndex(); i++) {
                if (data.getByte(i) != 0) {
                    corrupted[0]++;
                    break;
                }
            }
            kept.add(data);
        });
        List<ByteBuf> sent = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuf p = packet(a, 64, 1);
            sent.add(p);
            a.send(b.localAddress(), p);
        }
        vts.advanceTimeBy(Duration.ofSeconds(1));
        SimulatedNetwork.Stats s = net.stats();
        assertThat(s.sent()).isEqualTo(2000);
        assertThat(s.dropped().get(SimulatedNetwork.DropReason.LOSS)).isBetween(100L, 300L);
        assertThat(s.duplicated()).isPositive();
        assertThat(s.reordered()).isPositive();
        assertThat(s.corrupted()).isPositive();
        assertThat(s.delivered()).isEqualTo(2000 - s.dropped().get(SimulatedNetwork.DropReason.LOSS) + s.duplicated());
        assertThat(corrupted[0]).isPositive();
        assertThat(kept).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
        assertThat(sent).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
    }

    @Test
    void sameSeedSameTraceDifferentSeedDifferentTrace() {
        long h1 = scenario(7);
        long h2 = scenario(7);
        long h3 = scenario(8);
        assertThat(h1).isEqualTo(h2);
        assertThat(h3).isNotEqualTo(h1);
    }

    private static long scenario(long seed) {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        SimulatedNetwork net = SimulatedNetwork.create(vts, seed).defaultProfile(LinkProfile.perfect()
                .latency(Duration.ofMillis(10)).jitter(Duration.ofMillis(20)).loss(0.05).duplicate(0.05)
                .reorder(0.05, Duration.ofMillis(30)).corrupt(0.05));
        List<SimulatedTransport> nodes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            nodes.add(net.addNode());
        }
        SplittableRandom pick = new SplittableRandom(seed);
        for (SimulatedTransport n : nodes) {
            n.receive((from, data) -> {
                int hops = data.getUnsignedByte(data.readerIndex());
                if (hops > 0) {
                    n.send(nodes.get(pick.nextInt(nodes.size())).localAddress(),
                            n.alloc().buffer(32).writeByte(hops - 1).writeZero(31));
                }
            });
        }
        for (SimulatedTransport n : nodes) {
            n.send(nodes.get(pick.nextInt(nodes.size())).localAddress(), n.alloc().buffer(32).writeByte(20).writeZero(31));
        }
        vts.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(net.inFlight()).isZero();
        return net.traceHash() ^ net.stats().hashCode();
    }
}
