package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.RpcEndpoint;
import io.reactivecarrier.transport.RpcOptions;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import io.reactivecarrier.wire.DecodeException;
import io.reactivecarrier.wire.Limits;
import io.reactivecarrier.wire.PacketKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The relay's RPCs and limits, spoken to directly over loopback UDP. */
class RelayServerTest {

    static final Duration T = Duration.ofSeconds(20);

    final List<Runnable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    /** A bare node: socket, router, RPC; records the RELAY packets it gets and answers INTRODUCE. */
    final class Bare {
        final UdpTransport transport = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)).block(T);
        final PacketRouter router = PacketRouter.create(new SimpleMeterRegistry());
        final RpcEndpoint rpc;
        final List<Long> relayedCircuits = new CopyOnWriteArrayList<>();
        final List<NatCodec.Introduce> introductions = new CopyOnWriteArrayList<>();

        Bare() {
            transport.receive(router);
            rpc = RpcEndpoint.create(transport, router, X25519KeyPair.generate(), RpcOptions.create());
            router.route(PacketKind.RELAY, (from, buf) -> relayedCircuits.add(buf.getLong(buf.readerIndex() + 2)));
            rpc.handle(NatCodec.INTRODUCE, req -> {
                try {
                    introductions.add(NatCodec.decodeIntroduce(req.body()));
                } catch (DecodeException e) {
                    return Mono.empty();
                }
                return Mono.just(NatCodec.encodeStatus(NatCodec.OK));
            });
            cleanup.add(() -> {
                rpc.close().block(T);
                transport.close().block(T);
            });
        }

        byte[] call(Bare relay, int method, byte[] body) {
            return rpc.request(relay.transport.localAddress(), relay.rpc.nodeKey(), method, body).block(T).body();
        }

        void relay(Bare relay, long circuit) {
            ByteBuf b = transport.alloc().buffer();
            b.writeByte(PacketKind.RELAY.tag()).writeByte(Limits.PROTOCOL_VERSION).writeLong(circuit)
                    .writeBytes(new byte[] {(byte) PacketKind.LINK_DATA.tag(), 1, 42});
            transport.send(relay.transport.localAddress(), b);
        }
    }

    RelayServer serve(Bare node, RelayServer.Limits limits) {
        RelayServer s = RelayServer.start(node.rpc, node.router, limits);
        cleanup.add(() -> s.close().block(T));
        return s;
    }

    static UserId user() {
        return LinkTestSupport.newIdentity().userId();
    }

    @Test
    void introducesForwardsBetweenCircuitsAndEnforcesItsLimits() throws DecodeException {
        Bare relayNode = new Bare();
        RelayServer relay = serve(relayNode, RelayServer.Limits.defaults().maxCircuitsPerPeer(1));
        Bare a = new Bare();
        Bare b = new Bare();
        UserId ua = user();
        UserId ub = user();

        // unknown target
        NatCodec.Connected none = NatCodec.decodeConnected(a.call(relayNode, NatCodec.CONNECT,
                NatCodec.encodeConnect(new NatCodec.Connect(ub, ua, List.of()))));
        assertThat(none.status()).isEqualTo(NatCodec.NOT_FOUND);

        assertThat(b.call(relayNode, NatCodec.REGISTER, NatCodec.encodeRegister(new NatCodec.Register(ub,
                List.of(b.transport.localAddress())))))
                .containsExactly(NatCodec.OK);
        NatCodec.Connected c = NatCodec.decodeConnected(a.call(relayNode, NatCodec.CONNECT,
                NatCodec.encodeConnect(new NatCodec.Connect(ub, ua, List.of()))));
        assertThat(c.status()).isEqualTo(NatCodec.OK);
        assertThat(c.observed()).isEqualTo(b.transport.localAddress());
        await().atMost(T).until(() -> b.introductions.size() == 1);
        NatCodec.Introduce intro = b.introductions.get(0);
        assertThat(intro.from()).isEqualTo(ua);
        assertThat(intro.token()).isEqualTo(c.token());
        assertThat(intro.observed()).isEqualTo(a.transport.localAddress());

        // a's packet on its circuit arrives at b under b's circuit id, and back
        a.relay(relayNode, c.circuit());
        await().atMost(T).until(() -> b.relayedCircuits.contains(intro.circuit()));
        b.relay(relayNode, intro.circuit());
        await().atMost(T).until(() -> a.relayedCircuits.contains(c.circuit()));
        assertThat(relay.forwardedPackets()).isEqualTo(2);

        // a circuit id from the wrong sender, and an unknown one, are dropped
        b.relay(relayNode, c.circuit());
        a.relay(relayNode, 12345);
        await().atMost(T).until(() -> relay.droppedPackets() == 2);
        assertThat(relay.forwardedPackets()).isEqualTo(2);

        // one circuit per peer: a second CONNECT is refused
        NatCodec.Connected limited = NatCodec.decodeConnected(a.call(relayNode, NatCodec.CONNECT,
                NatCodec.encodeConnect(new NatCodec.Connect(ub, ua, List.of()))));
        assertThat(limited.status()).isEqualTo(NatCodec.LIMITED);
    }

    @Test
    void circuitsEndAfterTheirMaximumDuration() throws DecodeException {
        Bare relayNode = new Bare();
        RelayServer relay = serve(relayNode, RelayServer.Limits.defaults()
                .maxCircuitDuration(Duration.ofMillis(100)));
        Bare a = new Bare();
        Bare b = new Bare();
        UserId ua = user();
        UserId ub = user();
        b.call(relayNode, NatCodec.REGISTER, NatCodec.encodeRegister(new NatCodec.Register(ub, List.of())));
        NatCodec.Connected c = NatCodec.decodeConnected(a.call(relayNode, NatCodec.CONNECT,
                NatCodec.encodeConnect(new NatCodec.Connect(ub, ua, List.of()))));
        assertThat(c.status()).isEqualTo(NatCodec.OK);
        // the sweeper (every 5 s) closes it; afterwards packets on it are dropped
        await().atMost(T).pollInterval(Duration.ofMillis(500)).until(() -> {
            a.relay(relayNode, c.circuit());
            return relay.droppedPackets() > 0;
        });
    }
}
