package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PacketRouterTest {

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final PacketRouter router = PacketRouter.create(registry);
    final InetSocketAddress from = new InetSocketAddress("127.0.0.1", 1);

    @Test
    void dispatchesByKindAndDropsTheRest() {
        List<Integer> seen = new ArrayList<>();
        router.route(PacketKind.LINK_DATA, (s, d) -> seen.add((int) d.getUnsignedByte(d.readerIndex() + 2)));
        router.route(PacketKind.PUNCH, (s, d) -> {
            throw new IllegalStateException("boom");
        });
        feed(0x13, 1, 7);
        feed();
        feed(0x13);
        feed(0x7f, 1, 0);
        feed(0x13, 9, 0);
        feed(0x21, 1);
        assertThat(seen).containsExactly(7);
        assertThat(dropped("truncated")).isEqualTo(2);
        assertThat(dropped("unknown_kind")).isEqualTo(1);
        assertThat(dropped("bad_version")).isEqualTo(1);
        assertThat(dropped("handler_error")).isEqualTo(1);
    }

    private void feed(int... bytes) {
        ByteBuf buf = Unpooled.buffer(bytes.length);
        for (int b : bytes) {
            buf.writeByte(b);
        }
        router.onDatagram(from, buf);
        assertThat(buf.refCnt()).isEqualTo(1);
        buf.release();
    }

    private double dropped(String reason) {
        return registry.counter("carrier.transport.packets.dropped", "reason", reason).count();
    }
}
