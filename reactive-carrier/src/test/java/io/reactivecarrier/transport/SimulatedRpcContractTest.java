package io.reactivecarrier.transport;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The RPC contract over the simulated network, in virtual time, with a 10–15 ms link latency. */
class SimulatedRpcContractTest extends RpcContractTest {

    @Override
    Net createNet() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        SimulatedNetwork network = SimulatedNetwork.create(vts, 1234)
                .defaultProfile(LinkProfile.perfect().latency(Duration.ofMillis(10)).jitter(Duration.ofMillis(5)));
        return new Net() {
            long seed = 99;

            @Override
            public DatagramTransport transport() {
                return network.addNode();
            }

            @Override
            public <V> Mono<V> drive(Mono<V> mono) {
                return Mono.defer(() -> {
                    CompletableFuture<V> f = mono.toFuture();
                    long deadline = vts.now(TimeUnit.MILLISECONDS) + 600_000;
                    while (!f.isDone() && vts.now(TimeUnit.MILLISECONDS) < deadline) {
                        vts.advanceTimeBy(Duration.ofMillis(10));
                    }
                    return Mono.fromFuture(f);
                });
            }

            @Override
            public RpcOptions options() {
                return RpcOptions.create().random(new SplittableRandom(seed++));
            }

            @Override
            public void close() {
                network.shutdown();
                vts.dispose();
            }
        };
    }
}
