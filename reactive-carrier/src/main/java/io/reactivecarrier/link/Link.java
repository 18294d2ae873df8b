package io.reactivecarrier.link;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.core.UserId;
import java.net.InetSocketAddress;

/**
 * A secure link to one friend: mutually authenticated by a Noise IK handshake, forward secret,
 * with replay-protected transport packets and keys that rotate. It keeps its path alive with
 * keepalives and follows the friend when its address changes.
 *
 * <p>Obtained from {@link LinkManager#connect} or {@link LinkManager#link}. A link object stays
 * valid across rekeys and address changes; it is DOWN while the friend is unreachable.
 *
 * <pre>{@code
 * links.connect(friend).subscribe(link -> {
 *     ByteBuf frame = transport.alloc().buffer().writeBytes("hello".getBytes(StandardCharsets.UTF_8));
 *     boolean sent = link.send(0x60, frame);       // takes ownership of frame
 *     log.info("{} over a {} path: {}", link.peer(), link.path(), sent);
 * });
 * }</pre>
 */
public interface Link {

    /** The friend at the other end. */
    UserId peer();

    /** Where packets to the friend currently go. */
    InetSocketAddress remoteAddress();

    /** How packets currently travel ({@link PathType#DIRECT} for now). */
    PathType path();

    /** Whether the link has a session and heard from the friend within {@link LinkOptions#deadAfter()}. */
    boolean isUp();

    /**
     * Encrypts and sends one frame. Takes ownership of {@code payload} (always released).
     * Returns false when the frame could not be sent: no session, link closed, payload larger
     * than {@link #maxPayload()}, or a reserved frame type. May be called from any thread; from
     * another thread than the transport's the frame is sent asynchronously (and true means queued).
     *
     * @param frameType 1..255 (0 is the keepalive, reserved)
     */
    boolean send(int frameType, ByteBuf payload);

    /** The largest payload of one frame: the datagram limit minus the DATA packet overhead. */
    int maxPayload();
}
