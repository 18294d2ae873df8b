package io.reactivecarrier.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The RPC contract over real UDP sockets on 127.0.0.1. */
class UdpRpcContractTest extends RpcContractTest {

    @Override
    Net createNet() {
        return new Net() {
            final List<UdpTransport> transports = new ArrayList<>();

            @Override
            public DatagramTransport transport() {
                UdpTransport t = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1")
                        .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())).block(T);
                transports.add(t);
                return t;
            }

            @Override
            public <V> Mono<V> drive(Mono<V> mono) {
                return mono;
            }

            @Override
            public RpcOptions options() {
                return RpcOptions.create();
            }

            @Override
            public void close() {
                Flux.fromIterable(transports).flatMap(UdpTransport::close).then().block(Duration.ofSeconds(10));
            }
        };
    }
}
