package io.reactivecarrier.dht;

import io.reactivecarrier.transport.RpcCall;
import io.reactivecarrier.transport.RpcEndpoint;
import java.time.Duration;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The DHT over the node's {@link RpcEndpoint}: every DHT message travels in the authenticated,
 * encrypted RPC envelope, and the sender's node id is the key that envelope authenticated.
 *
 * <p>The DHT runs its own soft timeout and retry per lookup step, so each call here is a single
 * attempt bounded by the DHT's hard RPC timeout.
 *
 * <pre>{@code
 * RpcEndpoint rpc = RpcEndpoint.create(transport, router, nodeKey, RpcOptions.create());
 * DhtNode dht = DhtNode.create(RpcDhtTransport.over(rpc, Duration.ofSeconds(2)), DhtOptions.defaults());
 * }</pre>
 */
public final class RpcDhtTransport implements DhtTransport {

    private final RpcEndpoint rpc;
    private final NodeId self;
    private final RpcCall call;

    private RpcDhtTransport(RpcEndpoint rpc, Duration timeout) {
        this.rpc = rpc;
        this.self = NodeId.of(rpc.nodeKey());
        this.call = RpcCall.of(timeout, 1);
    }

    /** The DHT transport over {@code rpc}, one attempt per call, each bounded by {@code timeout}. */
    public static RpcDhtTransport over(RpcEndpoint rpc, Duration timeout) {
        return new RpcDhtTransport(rpc, timeout);
    }

    @Override
    public NodeId self() {
        return self;
    }

    @Override
    public Scheduler scheduler() {
        return rpc.transport().scheduler();
    }

    @Override
    public Mono<byte[]> call(NodeInfo to, int method, byte[] body) {
        return rpc.request(to.address(), to.id().bytes(), method, body, call).map(RpcEndpoint.RpcResponse::body);
    }

    @Override
    public void serve(int method, Function<DhtRequest, Mono<byte[]>> handler) {
        rpc.handle(method, request -> handler.apply(new DhtRequest(
                new NodeInfo(NodeId.of(request.senderKey()), request.from()),
                request.method(), request.body(), request.maxResponseBodyBytes())));
    }
}
