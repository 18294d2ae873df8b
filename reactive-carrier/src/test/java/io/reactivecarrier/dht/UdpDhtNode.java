package io.reactivecarrier.dht;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * A DHT node on a real UDP socket on 127.0.0.1 with the full RPC layer (X25519 identity,
 * encrypted envelopes), for the real-network tests. All such nodes share one source IP, so the
 * per-IP request rate limit is raised (every node of a real network has its own address).
 */
record UdpDhtNode(X25519KeyPair key, UdpTransport transport, RpcEndpoint rpc, DhtNode dht) {

    /** Binds {@code port} (0 = any) and builds the node; call {@code dht().start()} next. */
    static Mono<UdpDhtNode> create(X25519KeyPair key, int port, DhtOptions options) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        return UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(port)
                        .receiveBufferSize(256 * 1024).sendBufferSize(256 * 1024).meterRegistry(registry))
                .map(t -> {
                    PacketRouter router = PacketRouter.create(registry);
                    t.receive(router);
                    RpcEndpoint rpc = RpcEndpoint.create(t, router, key,
                            RpcOptions.create().rateLimit(100_000, 100_000).meterRegistry(registry));
                    DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)),
                            options.meterRegistry(registry));
                    return new UdpDhtNode(key, t, rpc, dht);
                });
    }

    NodeInfo info() {
        return new NodeInfo(dht.id(), transport.localAddress());
    }

    Mono<Void> close() {
        return dht.stop().then(rpc.close()).then(transport.close()).onErrorResume(e -> Mono.empty());
    }
}
