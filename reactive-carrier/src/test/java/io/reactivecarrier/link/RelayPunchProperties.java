package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.SimulatedNetwork;
import io.reactivecarrier.transport.SimulatedTransport;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Hostile RELAY and PUNCH packets (layouts in {@link NatCodec}) at a relay ({@link RelayServer})
 * and at a client ({@link NatTraversal}): random bytes of any length, exact-length PUNCH packets
 * with any type and token, RELAY packets for unknown circuits. None throws into the router
 * ({@code handler_error}), the caller's buffer is left alone, the relay forwards nothing and
 * counts every one as dropped, the client hands nothing to its link router.
 */
class RelayPunchProperties {

    final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    final SimulatedNetwork net = SimulatedNetwork.create(vts, 9);
    final SimpleMeterRegistry relayRegistry = new SimpleMeterRegistry();
    final SimpleMeterRegistry clientRegistry = new SimpleMeterRegistry();
    final PacketRouter relayRouter = PacketRouter.create(relayRegistry);
    final PacketRouter clientRouter = PacketRouter.create(clientRegistry);
    final RelayServer relay;
    final NatTraversal client;
    final AtomicInteger reachedLinks = new AtomicInteger();
    final InetSocketAddress from = new InetSocketAddress("192.0.2.77", 4242);

    RelayPunchProperties() {
        SimulatedTransport rt = net.addNode();
        rt.receive(relayRouter);
        RpcEndpoint relayRpc = RpcEndpoint.create(rt, relayRouter, X25519KeyPair.generate(), RpcOptions.create());
        relay = RelayServer.start(relayRpc, relayRouter, RelayServer.Limits.defaults());
        SimulatedTransport ct = net.addNode();
        ct.receive(clientRouter);
        RpcEndpoint clientRpc = RpcEndpoint.create(ct, clientRouter, X25519KeyPair.generate(), RpcOptions.create());
        client = NatTraversal.create(clientRpc, clientRouter, LinkTestSupport.newIdentity().userId(),
                NatTraversal.Options.defaults());
        for (PacketKind k : new PacketKind[] {PacketKind.LINK_HANDSHAKE_INIT, PacketKind.LINK_HANDSHAKE_RESP,
                PacketKind.LINK_COOKIE, PacketKind.LINK_DATA}) {
            client.linkRouter().route(k, (sender, buf) -> reachedLinks.incrementAndGet());
        }
    }

    static double handlerErrors(SimpleMeterRegistry r) {
        Counter c = r.find("carrier.transport.packets.dropped").tag("reason", "handler_error").counter();
        return c == null ? 0 : c.count();
    }

    void deliver(byte[] packet) {
        long droppedBefore = relayDropped();
        for (PacketRouter router : new PacketRouter[] {relayRouter, clientRouter}) {
            ByteBuf in = Unpooled.wrappedBuffer(packet);
            router.onDatagram(from, in);
            assertThat(in.refCnt()).isEqualTo(1);
            in.release();
        }
        vts.advanceTimeBy(java.time.Duration.ofMillis(1));
        assertThat(handlerErrors(relayRegistry)).isZero();
        assertThat(handlerErrors(clientRegistry)).isZero();
        assertThat(relay.forwardedPackets()).as("relayed").isZero();
        assertThat(reachedLinks.get()).as("reached the client's link router").isZero();
        if (packet.length >= 2 && packet[0] == PacketKind.RELAY.tag() && packet[1] == 1) {
            assertThat(relayDropped()).as("counted as dropped by the relay").isEqualTo(droppedBefore + 1);
        }
    }

    long relayDropped() {
        return relay.droppedPackets();
    }

    @Property(tries = 300)
    void randomRelayAndPunchPacketsAreDropped(@ForAll boolean punch, @ForAll @Size(max = 1400) byte[] tail) {
        byte[] p = new byte[2 + tail.length];
        p[0] = (byte) (punch ? PacketKind.PUNCH : PacketKind.RELAY).tag();
        p[1] = 1;
        System.arraycopy(tail, 0, p, 2, tail.length);
        deliver(p);
    }

    @Property(tries = 200)
    void exactLengthPunchesWithAnyTypeAndTokenAreDropped(@ForAll @IntRange(min = 0, max = 255) int type,
            @ForAll long token) {
        ByteBuf b = Unpooled.buffer(NatCodec.PUNCH_LENGTH).writeByte(PacketKind.PUNCH.tag()).writeByte(1)
                .writeByte(type).writeLong(token);
        byte[] p = new byte[b.readableBytes()];
        b.readBytes(p);
        deliver(p);
    }
}
