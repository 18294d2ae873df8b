package io.reactivecarrier.link;

import io.reactivecarrier.crypto.PacketAead;

/**
 * The transport keys of one completed handshake with a friend: a random 32-bit index on each
 * side (so a packet finds its session without trying keys), one AEAD per direction, the send
 * counter and the replay window. Confined to the node's event loop.
 */
final class LinkSession {

    final FriendLink link;
    final int localIndex;
    final int remoteIndex;
    final boolean initiator;
    final long createdAt;
    final PacketAead sender;
    final PacketAead receiver;
    final ReplayWindow window = new ReplayWindow();
    long sendCounter;
    boolean rekeyStarted;

    LinkSession(FriendLink link, int localIndex, int remoteIndex, boolean initiator, long createdAt,
            byte[] sendKey, byte[] receiveKey) {
        this.link = link;
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.initiator = initiator;
        this.createdAt = createdAt;
        this.sender = PacketAead.create(PacketAead.Algorithm.AES_256_GCM, sendKey);
        this.receiver = PacketAead.create(PacketAead.Algorithm.AES_256_GCM, receiveKey);
        java.util.Arrays.fill(sendKey, (byte) 0);
        java.util.Arrays.fill(receiveKey, (byte) 0);
    }

    long age(long nowMs) {
        return nowMs - createdAt;
    }

    @Override
    public String toString() {
        return "LinkSession[" + Integer.toHexString(localIndex) + "<-" + Integer.toHexString(remoteIndex)
                + (initiator ? ", initiator" : ", responder") + ", sent=" + sendCounter + "]";
    }
}
