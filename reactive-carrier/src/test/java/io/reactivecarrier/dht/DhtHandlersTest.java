package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The RPC handlers called directly, as the RPC layer would. */
class DhtHandlersTest {

    final SimCluster c = new SimCluster(5, 0.0, DhtOptions.defaults()).grow(60).settle();
    final SimNetwork.Transport server = c.transports.get(0);
    final NodeInfo requester = c.transports.get(1).info;

    byte[] call(int method, byte[] body, int max) {
        AtomicReference<byte[]> out = new AtomicReference<>();
        server.handlers.get(method).apply(new DhtRequest(requester, method, body, max)).subscribe(out::set);
        c.net.advance(1);
        return out.get();
    }

    @Test
    void responsesAreTrimmedToTheAllowedSize() throws Exception {
        byte[] full = call(DhtCodec.FIND_NODE, DhtCodec.encodeTarget(NodeId.random(c.random)), 1180);
        assertThat(DhtCodec.decodeNodes(full).nodes()).hasSize(20);
        // an unvalidated address: at most 3x the 32-byte request
        byte[] small = call(DhtCodec.FIND_NODE, DhtCodec.encodeTarget(NodeId.random(c.random)), 96);
        assertThat(small.length).isLessThanOrEqualTo(96);
        assertThat(DhtCodec.decodeNodes(small).nodes()).hasSize(2);
        // only verified nodes, never the requester itself
        for (NodeInfo n : DhtCodec.decodeNodes(full).nodes()) {
            assertThat(n.id()).isNotEqualTo(requester.id());
        }
    }

    @Test
    void pongCarriesTheObservedAddress() throws Exception {
        assertThat(DhtCodec.decodePong(call(DhtCodec.PING, DhtCodec.encodePing(), 100))).isEqualTo(requester.address());
    }

    @Test
    void storeNeedsATokenBoundToTheRequesterAddress() throws Exception {
        long exp = c.net.scheduler.now(java.util.concurrent.TimeUnit.MILLISECONDS) + 60_000;
        DhtValue v = DhtValue.immutable("x".getBytes(), exp);
        byte[] bad = call(DhtCodec.STORE_VALUE, DhtCodec.encodeStore(new DhtCodec.Store(new byte[8], false, 0, v)), 1180);
        assertThat(DhtCodec.decodeStoreResult(bad).status()).isEqualTo(DhtCodec.Status.BAD_TOKEN);
        byte[] token = DhtCodec.decodeNodes(call(DhtCodec.FIND_NODE, DhtCodec.encodeTarget(v.key()), 1180)).token();
        byte[] ok = call(DhtCodec.STORE_VALUE, DhtCodec.encodeStore(new DhtCodec.Store(token, false, 0, v)), 1180);
        assertThat(DhtCodec.decodeStoreResult(ok).status()).isEqualTo(DhtCodec.Status.OK);
        // the same token from another address is refused
        AtomicReference<byte[]> out = new AtomicReference<>();
        server.handlers.get(DhtCodec.STORE_VALUE).apply(new DhtRequest(c.transports.get(2).info, DhtCodec.STORE_VALUE,
                DhtCodec.encodeStore(new DhtCodec.Store(token, false, 0, v)), 1180)).subscribe(out::set);
        assertThat(DhtCodec.decodeStoreResult(out.get()).status()).isEqualTo(DhtCodec.Status.BAD_TOKEN);
        // tokens outlive one rotation, not two
        c.net.advance(5 * 60_000L);
        ok = call(DhtCodec.STORE_VALUE, DhtCodec.encodeStore(new DhtCodec.Store(token, false, 0, v)), 1180);
        assertThat(DhtCodec.decodeStoreResult(ok).status()).isNotEqualTo(DhtCodec.Status.BAD_TOKEN);
        c.net.advance(10 * 60_000L);
        bad = call(DhtCodec.STORE_VALUE, DhtCodec.encodeStore(new DhtCodec.Store(token, false, 0, v)), 1180);
        assertThat(DhtCodec.decodeStoreResult(bad).status()).isEqualTo(DhtCodec.Status.BAD_TOKEN);
    }

    @Test
    void oversizedStoreIsAnsweredTooLargeAndGarbageIsIgnored() throws Exception {
        byte[] store = new DhtCodec.Out().bytes(new byte[8]).u8(0).u8(1).u64(1).u16(1001).bytes(new byte[1001]).toArray();
        assertThat(DhtCodec.decodeStoreResult(call(DhtCodec.STORE_VALUE, store, 1180)).status())
                .isEqualTo(DhtCodec.Status.TOO_LARGE);
        assertThat(call(DhtCodec.FIND_NODE, new byte[5], 1180)).isNull();
    }

    @Test
    void anInboundNodeIsPingedBeforeItIsHandedOut() {
        // in a deep bucket of the server, which has room
        SimNetwork.Transport stranger = c.net.join(c.nodes.get(0).id().randomInBucket(12, c.random),
                SimNetwork.address(10, 99, 0, 1));
        stranger.serve(DhtCodec.PING, req -> reactor.core.publisher.Mono.just(DhtCodec.encodePong(req.from().address())));
        server.handlers.get(DhtCodec.PING).apply(new DhtRequest(stranger.info, DhtCodec.PING, new byte[0], 100)).subscribe();
        DhtNode node = c.nodes.get(0);
        assertThat(node.table().contains(stranger.id)).isTrue();
        assertThat(node.table().isVerified(stranger.id)).isFalse();
        c.net.advance(1_000);
        assertThat(node.table().isVerified(stranger.id)).isTrue();
    }
}
