package io.reactivecarrier.session;

import java.util.ArrayList;

/** What one sent packet carried, kept until it is acknowledged or declared lost. */
final class SentPacket {

    final long pn;
    final long sentAt;
    /** Set once, when the packet is built (it is then recorded and never changes). */
    int size;
    boolean ackEliciting;
    /** A path MTU probe: its loss says nothing about congestion. */
    boolean mtuProbe;
    /**
     * What to account or send again when it is acknowledged or lost (StreamRange, DatagramCount,
     * ControlFrame, MaxData): null, the one frame (most packets carry one; no list per packet), or
     * a {@link FrameList} of several. Read through {@link #frameCount()} and {@link #frame(int)}.
     */
    Object frames;

    SentPacket(long pn, long sentAt, int size, boolean ackEliciting) {
        this.pn = pn;
        this.sentAt = sentAt;
        this.size = size;
        this.ackEliciting = ackEliciting;
    }

    void add(Object frame) {
        if (frames == null) {
            frames = frame;
        } else if (frames instanceof FrameList list) {
            list.add(frame);
        } else {
            FrameList list = new FrameList();
            list.add(frames);
            list.add(frame);
            frames = list;
        }
    }

    int frameCount() {
        return frames == null ? 0 : frames instanceof FrameList list ? list.size() : 1;
    }

    Object frame(int i) {
        return frames instanceof FrameList list ? list.get(i) : frames;
    }

    /** Several frames of one packet. */
    static final class FrameList extends ArrayList<Object> {
        FrameList() {
            super(4);
        }
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
