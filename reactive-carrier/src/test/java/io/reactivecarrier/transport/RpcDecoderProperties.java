package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.wire.PacketKind;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Hostile input to the router and the RPC decoder: random bytes and bit-flipped valid packets
 * never throw, are always dropped and counted exactly once, never reach a handler and leave the
 * buffer's reference count alone.
 */
class RpcDecoderProperties {

    final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    final SimulatedNetwork net = SimulatedNetwork.create(vts, 1);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final PacketRouter router = PacketRouter.create(registry);
    final X25519KeyPair peer = X25519KeyPair.generate();
    final InetSocketAddress peerAddress = new InetSocketAddress("192.0.2.1", 4000);
    final RpcEndpoint endpoint;
    final AtomicInteger handled = new AtomicInteger();
    final byte[] validRequest;
    final byte[] validResponse;

    RpcDecoderProperties() {
        SimulatedTransport t = net.addNode();
        endpoint = RpcEndpoint.create(t, router, X25519KeyPair.generate(), RpcOptions.create()
                .meterRegistry(registry).rateLimit(1e12, Integer.MAX_VALUE).random(new SplittableRandom(3)));
        t.receive(router);
        endpoint.handle(1, req -> {
            handled.incrementAndGet();
            return Mono.empty();
        });
        // a pending request to the peer, so that responses from its key reach the decoder
        endpoint.request(peerAddress, peer.publicKey(), 1, new byte[0], RpcCall.of(Duration.ofDays(1), 1)).subscribe();
        validRequest = bytes(RpcCodec.encode(UnpooledByteBufAllocator.DEFAULT, PacketKind.RPC_REQUEST.tag(),
                peer.publicKey(), new byte[24], RpcCodec.cipher(peer, endpoint.nodeKey()), 77L, 1, new byte[] {1, 2, 3}));
        validResponse = bytes(RpcCodec.encode(UnpooledByteBufAllocator.DEFAULT, PacketKind.RPC_RESPONSE.tag(),
                peer.publicKey(), new byte[24], RpcCodec.cipher(peer, endpoint.nodeKey()), 77L, 1, new byte[] {4}));
    }

    @Property(tries = 300)
    void randomBytesAreDroppedAndCounted(@ForAll @Size(max = 1400) byte[] bytes) {
        assertDroppedOnce(bytes);
    }

    @Property(tries = 300)
    void randomRpcShapedBytesAreDroppedAndCounted(@ForAll @IntRange(min = 1, max = 2) int kind,
            @ForAll @Size(min = 80, max = 1400) byte[] tail) {
        tail[0] = (byte) kind;
        tail[1] = 1;
        assertDroppedOnce(tail);
    }

    @Property(tries = 500)
    void bitFlippedRequestsAreDroppedAndCounted(@ForAll @IntRange(min = 0, max = 86 * 8 - 1) int bit) {
        byte[] b = validRequest.clone();
        b[bit >>> 3] ^= (byte) (1 << (bit & 7));
        assertDroppedOnce(b);
    }

    @Property(tries = 300)
    void bitFlippedResponsesAreDroppedAndCounted(@ForAll @IntRange(min = 0, max = 84 * 8 - 1) int bit) {
        byte[] b = validResponse.clone();
        b[bit >>> 3] ^= (byte) (1 << (bit & 7));
        assertDroppedOnce(b);
    }

    @Property(tries = 10)
    void theUnflippedRequestReachesTheHandler(@ForAll @IntRange(min = 0, max = 3) int ignored) {
        int before = handled.get();
        ByteBuf in = Unpooled.wrappedBuffer(validRequest.clone());
        router.onDatagram(peerAddress, in);
        assertThat(in.refCnt()).isEqualTo(1);
        in.release();
        assertThat(handled.get()).isEqualTo(before + 1);
    }

    private void assertDroppedOnce(byte[] bytes) {
        double before = drops();
        int handledBefore = handled.get();
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        router.onDatagram(peerAddress, in);
        assertThat(in.refCnt()).isEqualTo(1);
        in.release();
        assertThat(drops()).isEqualTo(before + 1);
        assertThat(handled.get()).isEqualTo(handledBefore);
    }

    private double drops() {
        return registry.find("carrier.transport.packets.dropped").counters().stream().mapToDouble(Counter::count).sum()
                + registry.find("carrier.rpc.dropped").counters().stream().mapToDouble(Counter::count).sum();
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        buf.release();
        return b;
    }
}
