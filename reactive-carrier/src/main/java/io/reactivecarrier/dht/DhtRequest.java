package io.reactivecarrier.dht;

/**
 * An inbound DHT request as the RPC layer delivers it.
 *
 * @param from the authenticated sender id and the address the datagram came from
 * @param method the method number
 * @param body the request body
 * @param maxResponseBodyBytes the largest response body allowed (anti-amplification: 3x the
 *        request for an unvalidated address)
 *
 * <pre>{@code
 * transport.serve(0x7F, request -> request.body().length <= request.maxResponseBodyBytes()
 *         ? Mono.just(request.body())                    // echo, within the amplification limit
 *         : Mono.empty());                               // no response
 * }</pre>
 */
public record DhtRequest(NodeInfo from, int method, byte[] body, int maxResponseBodyBytes) {
}
