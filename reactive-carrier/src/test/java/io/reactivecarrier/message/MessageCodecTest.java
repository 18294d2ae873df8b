package io.reactivecarrier.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.wire.DecodeException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The MSG and RECEIPT formats of docs/protocol/messages.md: round trips, a vector, every malformed input rejected. */
class MessageCodecTest {

    static final byte[] ID = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");

    @Test
    void aFragmentRoundTripsAndMatchesTheVector() throws Exception {
        byte[] body = {1, 2, 3, 4, 5};
        byte[] f = MessageCodec.fragment(ID, 7, 3, 0x0102030405L, body, 1, 3);
        assertThat(HexFormat.of().formatHex(f)).isEqualTo("000102030405060708090a0b0c0d0e0f"
                + "0000000000000007" + "0000000000000003" + "0000000102030405" + "00000005" + "00000001" + "020304");
        MessageCodec.Fragment d = MessageCodec.readFragment(f, 100);
        assertThat(d.id()).isEqualTo(ID);
        assertThat(d.seq()).isEqualTo(7);
        assertThat(d.floor()).isEqualTo(3);
        assertThat(d.sentAt()).isEqualTo(0x0102030405L);
        assertThat(d.total()).isEqualTo(5);
        assertThat(d.offset()).isEqualTo(1);
        assertThat(d.chunk()).containsExactly(2, 3, 4);
        assertThat(d.whole()).isFalse();
        assertThat(MessageCodec.readFragment(MessageCodec.fragment(ID, 1, 1, 0, body, 0, 5), 100).whole()).isTrue();
        assertThat(MessageCodec.readFragment(MessageCodec.fragment(ID, 1, 1, 0, new byte[0], 0, 0), 100).whole())
                .isTrue();
    }

    @Test
    void malformedFragmentsAreRejected() {
        byte[] ok = MessageCodec.fragment(ID, 7, 3, 0, new byte[10], 0, 10);
        assertThatThrownBy(() -> MessageCodec.readFragment(new byte[47], 100)).isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> MessageCodec.readFragment(ok, 9)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("outside");
        assertThatThrownBy(() -> MessageCodec.readFragment(MessageCodec.fragment(ID, 0, 0, 0, new byte[1], 0, 1), 100))
                .isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> MessageCodec.readFragment(MessageCodec.fragment(ID, 2, 3, 0, new byte[1], 0, 1), 100))
                .isInstanceOf(DecodeException.class);
        byte[] overflow = ok.clone();
        overflow[47] = 5; // offset 5 + 10 bytes > total 10
        assertThatThrownBy(() -> MessageCodec.readFragment(overflow, 100)).isInstanceOf(DecodeException.class);
        byte[] negative = ok.clone();
        negative[40] = (byte) 0x80; // total < 0
        assertThatThrownBy(() -> MessageCodec.readFragment(negative, 100)).isInstanceOf(DecodeException.class);
        byte[] empty = MessageCodec.fragment(ID, 1, 1, 0, new byte[10], 0, 0); // no bytes of a 10-byte message
        assertThatThrownBy(() -> MessageCodec.readFragment(empty, 100)).isInstanceOf(DecodeException.class);
    }

    @Test
    void receiptsRoundTripAndRejectBadCounts() throws Exception {
        ByteBuf b = Unpooled.buffer();
        byte[] id2 = ID.clone();
        id2[0] = 9;
        MessageCodec.writeReceipt(b, List.of(ID, id2));
        assertThat(MessageCodec.readReceipt(b.copy())).containsExactly(ID, id2);
        assertThat(MessageCodec.receiptCapacity(1249)).isEqualTo(77);
        assertThatThrownBy(() -> MessageCodec.readReceipt(Unpooled.wrappedBuffer(new byte[] {0, 0})))
                .isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> MessageCodec.readReceipt(Unpooled.wrappedBuffer(new byte[] {0, 2, 1})))
                .isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> MessageCodec.readReceipt(Unpooled.wrappedBuffer(new byte[] {0})))
                .isInstanceOf(DecodeException.class);
    }
}
