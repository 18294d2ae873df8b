package io.reactivecarrier.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Measures how many datagrams per second (wall clock) the simulator delivers: {@code nodes} nodes
 * on a 20 ms + [0, 10) ms, 1 % loss, 1 % duplication network (so the population stays about constant) keep {@code 10 × nodes} 100-byte datagrams in flight, each
 * delivery sending a new datagram to a random node.
 *
 * <pre>
 * ./mvnw -B -q -pl reactive-carrier test-compile exec:java \
 *     -Dexec.mainClass=io.reactivecarrier.transport.SimulatedNetworkThroughput \
 *     -Dexec.classpathScope=test -Dexec.args="2000 5000000"
 * </pre>
 */
public final class SimulatedNetworkThroughput {

    private SimulatedNetworkThroughput() {
    }

    public static void main(String[] args) {
        int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        long packets = args.length > 1 ? Long.parseLong(args[1]) : 5_000_000;
        run(nodes, packets / 5); // warm-up
        for (int i = 0; i < 3; i++) {
            run(nodes, packets);
        }
    }

    static void run(int nodeCount, long target) {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        SimulatedNetwork net = SimulatedNetwork.create(vts, 1).defaultProfile(LinkProfile.perfect()
                .latency(Duration.ofMillis(20)).jitter(Duration.ofMillis(10)).duplicate(0.01).loss(0.01));
        List<SimulatedTransport> nodes = new ArrayList<>(nodeCount);
        for (int i = 0; i < nodeCount; i++) {
            nodes.add(net.addNode());
        }
        SplittableRandom random = new SplittableRandom(7);
        long[] received = new long[1];
        for (SimulatedTransport n : nodes) {
            n.receive((from, data) -> {
                received[0]++;
                n.send(nodes.get(random.nextInt(nodeCount)).localAddress(), n.alloc().buffer(100).writeZero(100));
            });
        }
        long start = System.nanoTime();
        for (SimulatedTransport n : nodes) {
            for (int k = 0; k < 10; k++) {
                n.send(nodes.get(random.nextInt(nodeCount)).localAddress(), n.alloc().buffer(100).writeZero(100));
            }
        }
        while (received[0] < target && net.inFlight() > 0) {
            vts.advanceTimeBy(Duration.ofMillis(100));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        SimulatedNetwork.Stats s = net.stats();
        System.out.printf("%d nodes: %d datagrams delivered in %.2f s wall (%.1f s virtual): %.0f datagrams/s; dropped %d; drain tasks %d%n",
                nodeCount, s.delivered(), seconds, vts.now(java.util.concurrent.TimeUnit.MILLISECONDS) / 1000.0,
                s.delivered() / seconds, s.droppedTotal(), net.wakeups);
        net.shutdown();
        vts.dispose();
    }
}
