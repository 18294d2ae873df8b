package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.wire.DecodeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The two DHT decoders outside {@link DhtCodecTest}'s list: the saved routing-table snapshot
 * ({@link RoutingSnapshot}, read from disk at start) and the FIND_SEALED request and page
 * ({@link SealedPages}). Round trips; random bytes, truncations, bit flips and oversized counts
 * only ever throw {@link DecodeException}.
 */
class SnapshotAndPageProperties {

    interface Decoder {
        Object decode(byte[] body) throws DecodeException;
    }

    static final List<Decoder> DECODERS = List.of(RoutingSnapshot::decode, SealedPages::decodeRequest,
            SealedPages::decodePage);

    static void decodeQuietly(byte[] in) {
        for (Decoder d : DECODERS) {
            try {
                d.decode(in);
            } catch (DecodeException expected) {
                assertThat(expected.reason()).isNotNull();
            }
        }
    }

    static byte[] mutate(byte[] b, Random r) {
        byte[] out = r.nextBoolean() ? Arrays.copyOf(b, r.nextInt(b.length + 1)) : b.clone();
        for (int i = 0, n = r.nextInt(4); i < n && out.length > 0; i++) {
            int bit = r.nextInt(out.length * 8);
            out[bit >>> 3] ^= (byte) (1 << (bit & 7));
        }
        return out;
    }

    static SealedPages.Page page(Random r) {
        List<DhtValue.Sealed> entries = new ArrayList<>();
        NodeId key = NodeId.random(r);
        for (int i = 0, n = r.nextInt(4); i < n; i++) {
            entries.add(new DhtValue.Sealed(key, DhtCodecTest.bytes(r, 32), r.nextLong() & Long.MAX_VALUE,
                    DhtCodecTest.bytes(r, r.nextInt(120))));
        }
        return new SealedPages.Page(r.nextBoolean(), entries);
    }

    @Property(tries = 300)
    void snapshotsRoundTrip(@ForAll long seed) throws DecodeException {
        List<NodeInfo> nodes = DhtCodecTest.nodes(new Random(seed), 40);
        assertThat(RoutingSnapshot.decode(RoutingSnapshot.encode(nodes))).isEqualTo(nodes);
    }

    @Property(tries = 200)
    void pagesAndRequestsRoundTrip(@ForAll long seed) throws DecodeException {
        Random r = new Random(seed);
        SealedPages.Page p = page(r);
        SealedPages.Page back = SealedPages.decodePage(SealedPages.encodePage(p));
        assertThat(back.more()).isEqualTo(p.more());
        assertThat(back.entries()).hasSameSizeAs(p.entries());
        for (int i = 0; i < p.entries().size(); i++) {
            assertThat(back.entries().get(i).entryId()).isEqualTo(p.entries().get(i).entryId());
        }
        SealedPages.Request q = new SealedPages.Request(NodeId.random(r), NodeId.random(r));
        assertThat(SealedPages.decodeRequest(SealedPages.encodeRequest(q))).isEqualTo(q);
    }

    @Property(tries = 300)
    void randomBytesOnlyEverThrowDecodeException(@ForAll @Size(max = 1400) byte[] in) {
        decodeQuietly(in);
    }

    @Property(tries = 400)
    void truncatedAndFlippedEncodingsOnlyEverThrowDecodeException(@ForAll long seed) {
        Random r = new Random(seed);
        decodeQuietly(mutate(RoutingSnapshot.encode(DhtCodecTest.nodes(r, 30)), r));
        decodeQuietly(mutate(SealedPages.encodePage(page(r)), r));
        decodeQuietly(mutate(SealedPages.encodeRequest(new SealedPages.Request(NodeId.random(r), NodeId.random(r))), r));
    }

    @Property(tries = 50)
    void snapshotCountsAboveTheLimitAreOversized(@ForAll @IntRange(min = RoutingSnapshot.MAX_NODES + 1, max = 0xffff) int count) {
        byte[] b = {(byte) (count >>> 8), (byte) count};
        assertThatThrownBy(() -> RoutingSnapshot.decode(b)).isInstanceOfSatisfying(DecodeException.class,
                e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.OVERSIZED));
    }
}
