package io.reactivecarrier.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** The file control messages: round trips across any split, and every malformed frame rejected. */
class FileMessagesTest {

    static List<FileMessages.Message> decode(ByteBuf... parts) {
        return FileMessages.messages(Flux.fromArray(parts)).collectList().block(Duration.ofSeconds(10));
    }

    @Test
    void roundTripsEvenWhenSplitAnywhere() {
        byte[] sha = new byte[32];
        sha[0] = 7;
        ByteBuf all = Unpooled.buffer();
        all.writeBytes(FileMessages.offer(1234567890123L, sha, "holiday.mkv"));
        all.writeBytes(FileMessages.accept(42));
        all.writeBytes(FileMessages.refuse("no"));
        all.writeBytes(FileMessages.result(true, ""));
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        for (int split = 0; split <= bytes.length; split++) {
            List<FileMessages.Message> m = decode(Unpooled.wrappedBuffer(bytes, 0, split),
                    Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
            assertThat(m).hasSize(4);
            assertThat(m.get(0).type()).isEqualTo(FileMessages.OFFER);
            assertThat(m.get(0).number()).isEqualTo(1234567890123L);
            assertThat(m.get(0).sha256()).isEqualTo(sha);
            assertThat(m.get(0).text()).isEqualTo("holiday.mkv");
            assertThat(m.get(1).number()).isEqualTo(42);
            assertThat(m.get(2).text()).isEqualTo("no");
            assertThat(m.get(3).ok()).isTrue();
        }
    }

    @Test
    void malformedFramesAreRejected() {
        // a length over the limit, before anything is allocated for it
        assertThatThrownBy(() -> decode(Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, (byte) 0xff, 1})))
                .isInstanceOf(FileTransferException.class).hasMessageContaining("message of 65535 bytes");
        // a zero length
        assertThatThrownBy(() -> decode(Unpooled.wrappedBuffer(new byte[] {0, 0})))
                .isInstanceOf(FileTransferException.class);
        // an unknown type
        assertThatThrownBy(() -> decode(Unpooled.wrappedBuffer(new byte[] {0, 1, 9})))
                .hasMessageContaining("unknown file message 9");
        // a truncated OFFER
        assertThatThrownBy(() -> decode(Unpooled.wrappedBuffer(new byte[] {0, 3, 1, 0, 0})))
                .hasMessageContaining("truncated");
        // an ACCEPT with a negative offset, and one with trailing bytes
        ByteBuf neg = Unpooled.buffer().writeShort(9).writeByte(FileMessages.ACCEPT).writeLong(-1);
        assertThatThrownBy(() -> decode(neg)).hasMessageContaining("bad ACCEPT");
        ByteBuf trailing = Unpooled.buffer().writeShort(10).writeByte(FileMessages.ACCEPT).writeLong(1).writeByte(0);
        assertThatThrownBy(() -> decode(trailing)).hasMessageContaining("bad ACCEPT");
        // a REFUSE whose reason length runs past the frame
        ByteBuf refuse = Unpooled.buffer().writeShort(3).writeByte(FileMessages.REFUSE).writeByte(5).writeByte('x');
        assertThatThrownBy(() -> decode(refuse)).hasMessageContaining("bad REFUSE");
    }
}
