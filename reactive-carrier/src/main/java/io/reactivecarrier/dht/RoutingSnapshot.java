package io.reactivecarrier.dht;

import io.reactivecarrier.wire.DecodeException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The saved form of a routing table: the verified nodes, so a restarted node pings them first
 * and rejoins in one round trip. Layout: {@code count (2) | count × (node id 32 | ip length 1 |
 * ip 4 or 16 | port 2)}, at most {@link #MAX_NODES} nodes.
 *
 * <pre>{@code
 * byte[] saved = RoutingSnapshot.encode(dht.snapshot().block());
 * // on the next start (throws DecodeException for a damaged snapshot):
 * DhtOptions options = DhtOptions.defaults().snapshot(RoutingSnapshot.decode(saved));
 * }</pre>
 */
public final class RoutingSnapshot {

    /** Most nodes a snapshot keeps. */
    public static final int MAX_NODES = 1024;

    private RoutingSnapshot() {
    }

    public static byte[] encode(List<NodeInfo> nodes) {
        List<NodeInfo> list = nodes.size() > MAX_NODES ? nodes.subList(0, MAX_NODES) : nodes;
        ByteBuffer b = ByteBuffer.allocate(2 + list.size() * (32 + 1 + 16 + 2));
        b.putShort((short) list.size());
        for (NodeInfo n : list) {
            byte[] ip = n.address().getAddress().getAddress();
            b.put(n.id().raw()).put((byte) ip.length).put(ip).putShort((short) n.address().getPort());
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    public static List<NodeInfo> decode(byte[] bytes) throws DecodeException {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int count = b.getShort() & 0xffff;
            if (count > MAX_NODES) {
                throw new DecodeException(DecodeException.Reason.OVERSIZED, "snapshot of " + count + " nodes");
            }
            List<NodeInfo> nodes = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                byte[] id = new byte[NodeId.LENGTH];
                b.get(id);
                int len = b.get();
                if (len != 4 && len != 16) {
                    throw new DecodeException(DecodeException.Reason.MALFORMED, "ip length " + len);
                }
                byte[] ip = new byte[len];
                b.get(ip);
                int port = b.getShort() & 0xffff;
                nodes.add(new NodeInfo(NodeId.of(id), new InetSocketAddress(InetAddress.getByAddress(ip), port)));
            }
            if (b.hasRemaining()) {
                throw new DecodeException(DecodeException.Reason.TRAILING_BYTES, "bytes after the snapshot");
            }
            return nodes;
        } catch (BufferUnderflowException e) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, "snapshot truncated");
        } catch (UnknownHostException e) {
            throw new DecodeException(DecodeException.Reason.MALFORMED, "bad address");
        }
    }
}
