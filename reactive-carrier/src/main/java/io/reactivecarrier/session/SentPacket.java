package io.reactivecarrier.session;

import java.util.ArrayList;
import java.util.List;

/** What one sent packet carried, kept until it is acknowledged or declared lost. */
final class SentPacket {

    final long pn;
    final long sentAt;
    final int size;
    final boolean ackEliciting;
    /** A path MTU probe: its loss says nothing about congestion. */
    boolean mtuProbe;
    /** StreamRange, DatagramCount, or a control frame to send again (ControlFrame, MaxData). */
    List<Object> frames;

    SentPacket(long pn, long sentAt, int size, boolean ackEliciting) {
        this.pn = pn;
        this.sentAt = sentAt;
        this.size = size;
        this.ackEliciting = ackEliciting;
    }

    void add(Object frame) {
        if (frames == null) {
            frames = new ArrayList<>(2);
        }
        frames.add(frame);
    }

    /** Stream bytes {@code [offset, offset + length)} of a channel, with FIN when {@code fin}. */
    record StreamRange(ChannelState channel, long offset, int length, boolean fin) {
    }

    /** {@code count} datagrams of a channel. */
    record DatagramCount(ChannelState channel, int count) {
    }

    /** A MAX_DATA frame for a channel: on loss the current value is sent again. */
    record MaxData(ChannelState channel) {
    }

    /** A control frame sent again as is on loss (CHANNEL_OPEN, CHANNEL_CLOSE, DATAGRAM_FIN). */
    record ControlFrame(ChannelState channel, byte[] bytes) {
    }
}
