package io.reactivecarrier.session;

import io.reactivecarrier.link.PathType;
import java.net.InetSocketAddress;

/**
 * How a stream's packets travel.
 *
 * <pre>{@code
 * TransportInfo info = stream.transportInfo();
 * log.info("{} path to {}, packets up to {} bytes", info.path(), info.remoteAddress(), info.maxPacketSize());
 * }</pre>
 *
 * @param path direct, punched or relayed
 * @param localAddress this node's socket address
 * @param remoteAddress where the packets currently go
 * @param encrypted whether the packets are encrypted (AES-256-GCM) or only checksummed (plain)
 * @param reliable whether the stream retransmits (reliable) or drops (unreliable)
 * @param maxPacketSize the largest packet currently sent on the path (grows when a probe succeeds)
 */
public record TransportInfo(PathType path, InetSocketAddress localAddress, InetSocketAddress remoteAddress,
        boolean encrypted, boolean reliable, int maxPacketSize) {
}
