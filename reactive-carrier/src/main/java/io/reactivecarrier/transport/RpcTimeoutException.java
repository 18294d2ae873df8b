package io.reactivecarrier.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeoutException;

/**
 * An RPC got no valid response after all its attempts. The peer may be offline, unreachable,
 * overloaded, rate limiting us, or not the owner of the key the request was sent to.
 *
 * <pre>{@code
 * rpc.request(peerAddress, peerKey, method, body)
 *         .onErrorResume(RpcTimeoutException.class, e -> {
 *             log.debug("{} did not answer method {} in {} attempts", e.peer(), e.method(), e.attempts());
 *             return Mono.empty();
 *         });
 * }</pre>
 */
public final class RpcTimeoutException extends TimeoutException {

    private static final long serialVersionUID = 1L;

    private final transient InetSocketAddress peer;
    private final int method;
    private final int attempts;

    RpcTimeoutException(InetSocketAddress peer, int method, int attempts) {
        super("no response from " + peer + " to RPC method " + method + " after " + attempts
                + " attempt(s): the peer may be offline, unreachable or not the owner of the key");
        this.peer = peer;
        this.method = method;
        this.attempts = attempts;
    }

    /** The address the request was sent to. */
    public InetSocketAddress peer() {
        return peer;
    }

    /** The RPC method. */
    public int method() {
        return method;
    }

    /** How many times the request was sent. */
    public int attempts() {
        return attempts;
    }
}
