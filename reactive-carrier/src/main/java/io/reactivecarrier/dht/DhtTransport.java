package io.reactivecarrier.dht;

import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * What the DHT needs from the RPC layer below it. The RPC layer authenticates and encrypts every
 * packet, so a node id seen here is proven. An adapter over {@code transport.RpcEndpoint} is:
 * {@code call} = {@code request(to.address(), to.id().bytes(), method, body).map(RpcResponse::body)},
 * {@code serve} = {@code handle(method, req -> handler.apply(new DhtRequest(new NodeInfo(NodeId.of(req.senderKey()),
 * req.from()), req.method(), req.body(), req.maxResponseBodyBytes())))}, {@code self} =
 * {@code NodeId.of(nodeKey())}.
 *
 * <pre>{@code
 * DhtTransport transport = RpcDhtTransport.over(rpc, Duration.ofSeconds(2));
 * transport.serve(0x7F, request -> Mono.just(request.body()));
 * Mono<byte[]> reply = transport.call(new NodeInfo(peerId, peerAddress), 0x7F, "ping".getBytes());
 * }</pre>
 */
public interface DhtTransport {

    /** This node's id: its X25519 public key. */
    NodeId self();

    /**
     * The node's scheduler: all DHT state is confined to it, its clock is the DHT clock
     * ({@code now(MILLISECONDS)}) and its timers drive refresh and timeouts.
     */
    Scheduler scheduler();

    /**
     * Sends a request to {@code to} (whose key the RPC layer checks) and emits the response body.
     * May error (timeout) or never complete; the DHT applies its own timeout. Cancelling stops
     * retries.
     */
    Mono<byte[]> call(NodeInfo to, int method, byte[] body);

    /**
     * Serves {@code method}: the handler runs on {@link #scheduler()} and emits the response body,
     * or completes empty to send no reply.
     */
    void serve(int method, Function<DhtRequest, Mono<byte[]>> handler);
}
