package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.wire.DecodeException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The NAT signalling bodies (REGISTER, CONNECT, CONNECTED, INTRODUCE of docs/nat.md): every value
 * round-trips; random bytes, truncations, bit flips, extra bytes and oversized candidate counts
 * only ever throw {@link DecodeException}, and a decoded value never holds more candidates than
 * the limit.
 */
class NatCodecProperties {

    interface Decoder {
        Object decode(byte[] body) throws DecodeException;
    }

    static final List<Decoder> DECODERS = List.of(NatCodec::decodeRegister, NatCodec::decodeConnect,
            NatCodec::decodeConnected, NatCodec::decodeIntroduce);

    static UserId user(Random r) {
        byte[] b = new byte[32];
        r.nextBytes(b);
        return UserId.of(b);
    }

    static InetSocketAddress address(Random r) {
        byte[] ip = new byte[r.nextBoolean() ? 4 : 16];
        r.nextBytes(ip);
        if (ip.length == 16 && ip[0] == 0) {
            ip[0] = 0x20; // not an IPv4-mapped or -compatible address (those decode as IPv4)
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), 1 + r.nextInt(65535));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static List<InetSocketAddress> candidates(Random r) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (int i = 0, n = r.nextInt(NatCodec.MAX_CANDIDATES + 1); i < n; i++) {
            out.add(address(r));
        }
        return out;
    }

    /** A random value of one of the four bodies and its encoding; [0] value, [1] bytes, [2] decoder index. */
    static Object[] randomBody(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> {
                NatCodec.Register v = new NatCodec.Register(user(r), candidates(r));
                yield new Object[] {v, NatCodec.encodeRegister(v), 0};
            }
            case 1 -> {
                NatCodec.Connect v = new NatCodec.Connect(user(r), user(r), candidates(r));
                yield new Object[] {v, NatCodec.encodeConnect(v), 1};
            }
            case 2 -> {
                NatCodec.Connected v = r.nextInt(4) == 0
                        ? new NatCodec.Connected(1 + r.nextInt(255), 0, 0, null, List.of())
                        : new NatCodec.Connected(NatCodec.OK, r.nextLong(), r.nextLong(), address(r), candidates(r));
                yield new Object[] {v, NatCodec.encodeConnected(v), 2};
            }
            default -> {
                NatCodec.Introduce v = new NatCodec.Introduce(user(r), r.nextLong(), r.nextLong(), address(r),
                        candidates(r));
                yield new Object[] {v, NatCodec.encodeIntroduce(v), 3};
            }
        };
    }

    static void decodeQuietly(Decoder d, byte[] body) {
        try {
            Object v = d.decode(body);
            List<?> c = v instanceof NatCodec.Register x ? x.candidates()
                    : v instanceof NatCodec.Connect x ? x.candidates()
                    : v instanceof NatCodec.Connected x ? x.candidates()
                    : ((NatCodec.Introduce) v).candidates();
            assertThat(c.size()).isLessThanOrEqualTo(NatCodec.MAX_CANDIDATES);
        } catch (DecodeException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Property(tries = 500)
    void everyBodyRoundTrips(@ForAll long seed) throws DecodeException {
        Object[] v = randomBody(new Random(seed));
        assertThat(DECODERS.get((int) v[2]).decode((byte[]) v[1])).isEqualTo(v[0]);
    }

    @Property(tries = 300)
    void randomBytesOnlyEverThrowDecodeException(@ForAll @Size(max = 300) byte[] body) {
        DECODERS.forEach(d -> decodeQuietly(d, body));
    }

    @Property(tries = 500)
    void truncatedFlippedAndExtendedBodiesOnlyEverThrowDecodeException(@ForAll long seed) {
        Random r = new Random(seed);
        Object[] v = randomBody(r);
        byte[] good = (byte[]) v[1];
        Decoder own = DECODERS.get((int) v[2]);
        // every strict prefix is refused
        byte[] cut = Arrays.copyOf(good, r.nextInt(good.length));
        assertThatThrownBy(() -> own.decode(cut)).isInstanceOf(DecodeException.class);
        // any trailing byte is refused
        byte[] longer = Arrays.copyOf(good, good.length + 1 + r.nextInt(4));
        assertThatThrownBy(() -> own.decode(longer)).isInstanceOf(DecodeException.class);
        byte[] flipped = good.clone();
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            int bit = r.nextInt(flipped.length * 8);
            flipped[bit >>> 3] ^= (byte) (1 << (bit & 7));
        }
        DECODERS.forEach(d -> decodeQuietly(d, flipped));
    }

    @Property(tries = 100)
    void candidateCountsAboveTheLimitAreOversized(@ForAll @IntRange(min = NatCodec.MAX_CANDIDATES + 1, max = 255) int count,
            @ForAll long seed) {
        Random r = new Random(seed);
        NatCodec.Register v = new NatCodec.Register(user(r), List.of());
        byte[] body = NatCodec.encodeRegister(v);
        body[32] = (byte) count;
        assertThatThrownBy(() -> NatCodec.decodeRegister(body)).isInstanceOfSatisfying(DecodeException.class,
                e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.OVERSIZED));
    }
}
