package io.reactivecarrier.dht;

import java.net.InetSocketAddress;

/**
 * What this node knows about its NAT, from the addresses other DHT nodes saw it at
 * ({@link DhtNode#natInfo()}).
 *
 * <pre>{@code
 * NatInfo nat = node.natInfo();
 * if (nat.type() == NatInfo.Type.SYMMETRIC) {
 *     log.info("behind a symmetric NAT at {}: friends may need a relay", nat.external());
 * }
 * }</pre>
 *
 * @param external the external address at least {@link NatDetector#QUORUM} distinct nodes agree on,
 *        or {@code null} while they do not (yet)
 * @param type the mapping behaviour: {@link Type#CONE} when distinct nodes see the same address,
 *        {@link Type#SYMMETRIC} when they see the same IP with different ports
 * @param observers how many distinct nodes reported an address recently
 */
public record NatInfo(InetSocketAddress external, Type type, int observers) {

    /** Mapping behaviour of the NAT in front of this node. */
    public enum Type {
        /** Too few observations to tell. */
        UNKNOWN,
        /** Endpoint-independent mapping: every node sees the same address (or there is no NAT). */
        CONE,
        /** Endpoint-dependent mapping: each destination sees another port. Punching fails; use a relay. */
        SYMMETRIC
    }

    /** Nothing known yet. */
    public static final NatInfo UNKNOWN = new NatInfo(null, Type.UNKNOWN, 0);
}
