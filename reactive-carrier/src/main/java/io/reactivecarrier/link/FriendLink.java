package io.reactivecarrier.link;

import io.netty.buffer.ByteBuf;
import io.reactivecarrier.core.UserId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import reactor.core.Disposable;
import reactor.core.publisher.MonoSink;

/**
 * The state of the link to one friend: its static key and endpoints, up to three sessions
 * (current, previous for late packets, next for a responder session not yet confirmed), the
 * handshake in flight, liveness timestamps and the connect calls waiting for it. All fields are
 * confined to the node's event loop; {@link #remoteAddress()}, {@link #isUp()} and
 * {@link #path()} read volatile snapshots.
 */
final class FriendLink implements Link {

    final LinkManager manager;
    final UserId peer;

    byte[] staticKey;
    byte[] mac1Key;
    byte[] cookieKey;
    List<InetSocketAddress> candidates = List.of();
    volatile InetSocketAddress endpoint;
    volatile boolean up;
    volatile PathType path = PathType.DIRECT;

    LinkSession current;
    LinkSession previous;
    LinkSession next;

    /** The handshake this side initiated and waits a response for, or null. */
    Pending pending;
    int attempts;
    boolean resolving;
    final List<MonoSink<Link>> waiters = new ArrayList<>(1);

    long lastSentAt;
    long lastReceivedAt;
    /** When the link last moved to, or heard on, a path that is not a relay (see LinkManager.follow). */
    long lastOffRelayAt = Long.MIN_VALUE / 2;
    /** Responder side: the highest initiation timestamp accepted from this friend. */
    long highestTimestamp = Long.MIN_VALUE;
    /** Initiator side: the last timestamp sent, so timestamps strictly increase. */
    long lastTimestampSent = Long.MIN_VALUE;
    byte[] cookie;
    long cookieAt;

    FriendLink(LinkManager manager, UserId peer) {
        this.manager = manager;
        this.peer = peer;
    }

    void staticKey(byte[] key) {
        this.staticKey = key.clone();
        this.mac1Key = LinkPackets.mac1Key(key);
        this.cookieKey = LinkPackets.cookieKey(key);
    }

    /** A handshake initiation in flight. */
    static final class Pending {
        final int localIndex;
        final NoiseHandshake handshake;
        byte[] mac1;
        Disposable timer;

        Pending(int localIndex, NoiseHandshake handshake) {
            this.localIndex = localIndex;
            this.handshake = handshake;
        }
    }

    @Override
    public UserId peer() {
        return peer;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return endpoint;
    }

    @Override
    public PathType path() {
        return path;
    }

    @Override
    public boolean isUp() {
        return up;
    }

    @Override
    public boolean send(int frameType, ByteBuf payload) {
        return manager.send(this, frameType, payload);
    }

    @Override
    public int maxPayload() {
        return manager.maxPayload();
    }

    @Override
    public String toString() {
        return "Link[" + peer.shortString() + " @ " + endpoint + ", " + path + (up ? ", up" : ", down") + "]";
    }
}
