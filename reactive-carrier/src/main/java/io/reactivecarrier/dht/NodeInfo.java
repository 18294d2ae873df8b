package io.reactivecarrier.dht;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A DHT node as others see it: its id (its X25519 public key) and the UDP address it was seen at.
 *
 * @param id the node id
 * @param address a resolved socket address
 *
 * <pre>{@code
 * NodeInfo bootstrap = new NodeInfo(NodeId.fromHex(bootstrapHex), new InetSocketAddress("203.0.113.7", 33445));
 * DhtOptions options = DhtOptions.defaults().bootstrap(List.of(bootstrap));
 * }</pre>
 */
public record NodeInfo(NodeId id, InetSocketAddress address) {

    public NodeInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("a node address must be resolved: " + address);
        }
    }

    @Override
    public String toString() {
        return id + "@" + address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
