package io.reactivecarrier;

import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import java.net.InetSocketAddress;

/**
 * A node to join the network through: its UDP endpoint and its node id. The text form, which
 * {@link CarrierNode#bootstrapInfo()} prints and {@link #parse} reads, is
 * {@code host:port/nodeIdHex} (IPv6 hosts in brackets: {@code [::1]:33445/...}).
 *
 * <pre>{@code
 * node.bootstrapInfo().toString()                // "203.0.113.5:33445/5f1c...e9", print it for others
 * Carrier.builder().bootstrap(BootstrapNode.parse(text))
 * }</pre>
 */
public record BootstrapNode(InetSocketAddress address, NodeId nodeId) {

    public BootstrapNode {
        if (address == null || nodeId == null) {
            throw new IllegalArgumentException("a bootstrap node needs an address and a node id");
        }
    }

    /** A bootstrap node at {@code host:port} with the node id in hex (64 characters). */
    public static BootstrapNode of(String hostPort, String nodeIdHex) {
        return new BootstrapNode(endpoint(hostPort), nodeId(nodeIdHex));
    }

    /**
     * Parses {@code host:port/nodeIdHex}.
     *
     * @throws IllegalArgumentException saying which part is wrong and what the form is
     */
    public static BootstrapNode parse(String text) {
        int slash = text == null ? -1 : text.lastIndexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("bootstrap node '" + text + "' must be host:port/nodeIdHex,"
                    + " as the bootstrap node prints at start");
        }
        return of(text.substring(0, slash), text.substring(slash + 1));
    }

    static InetSocketAddress endpoint(String hostPort) {
        String s = hostPort == null ? "" : hostPort.strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("endpoint '" + hostPort + "' must be host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint '" + hostPort + "': port is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("endpoint '" + hostPort + "': port must be 1..65535");
        }
        return new InetSocketAddress(host, port);
    }

    static NodeId nodeId(String hex) {
        String s = hex == null ? "" : hex.strip();
        if (s.length() != NodeId.LENGTH * 2) {
            throw new IllegalArgumentException("node id must be " + NodeId.LENGTH * 2 + " hex characters, got "
                    + s.length());
        }
        try {
            return NodeId.fromHex(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("node id is not hexadecimal: " + e.getMessage());
        }
    }

    NodeInfo toNodeInfo() {
        return new NodeInfo(nodeId, address);
    }

    @Override
    public String toString() {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return host + ":" + address.getPort() + "/" + nodeId.toHex();
    }
}
