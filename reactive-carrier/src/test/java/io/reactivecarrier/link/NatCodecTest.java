package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.wire.DecodeException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NatCodecTest {

    static final UserId A = LinkTestSupport.newIdentity().userId();
    static final UserId B = LinkTestSupport.newIdentity().userId();
    static final List<InetSocketAddress> CANDIDATES = List.of(new InetSocketAddress("198.51.100.10", 40001),
            new InetSocketAddress("2001:db8::1", 5));

    @Test
    void roundTrips() throws DecodeException {
        NatCodec.Register r = new NatCodec.Register(A, CANDIDATES);
        assertThat(NatCodec.decodeRegister(NatCodec.encodeRegister(r))).isEqualTo(r);
        NatCodec.Connect c = new NatCodec.Connect(B, A, CANDIDATES);
        assertThat(NatCodec.decodeConnect(NatCodec.encodeConnect(c))).isEqualTo(c);
        NatCodec.Connected ok = new NatCodec.Connected(NatCodec.OK, 7, -9, new InetSocketAddress("203.0.113.2", 9),
                CANDIDATES);
        assertThat(NatCodec.decodeConnected(NatCodec.encodeConnected(ok))).isEqualTo(ok);
        assertThat(NatCodec.decodeConnected(NatCodec.encodeStatus(NatCodec.NOT_FOUND)).status())
                .isEqualTo(NatCodec.NOT_FOUND);
        NatCodec.Introduce i = new NatCodec.Introduce(A, 1, 2, new InetSocketAddress("203.0.113.1", 3), List.of());
        assertThat(NatCodec.decodeIntroduce(NatCodec.encodeIntroduce(i))).isEqualTo(i);
    }

    @Test
    void rejectsTruncatedTrailingAndOversizedInput() {
        byte[] good = NatCodec.encodeConnect(new NatCodec.Connect(B, A, CANDIDATES));
        for (int n = 0; n < good.length; n++) {
            byte[] cut = Arrays.copyOf(good, n);
            assertThatThrownBy(() -> NatCodec.decodeConnect(cut)).isInstanceOf(DecodeException.class);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> NatCodec.decodeConnect(longer)).isInstanceOf(DecodeException.class);
        byte[] many = NatCodec.encodeRegister(new NatCodec.Register(A, List.of()));
        many[32] = (byte) (NatCodec.MAX_CANDIDATES + 1);
        assertThatThrownBy(() -> NatCodec.decodeRegister(many)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("candidates");
        byte[] family = NatCodec.encodeRegister(new NatCodec.Register(A, CANDIDATES));
        family[33] = 5;
        assertThatThrownBy(() -> NatCodec.decodeRegister(family)).isInstanceOf(DecodeException.class);
    }

    @Test
    void randomBytesNeverThrowAnythingButDecodeException() {
        Random r = new Random(1);
        for (int i = 0; i < 5000; i++) {
            byte[] junk = new byte[r.nextInt(120)];
            r.nextBytes(junk);
            for (Decoder d : List.<Decoder>of(NatCodec::decodeRegister, NatCodec::decodeConnect,
                    NatCodec::decodeConnected, NatCodec::decodeIntroduce)) {
                try {
                    d.decode(junk);
                } catch (DecodeException expected) {
                    // fine
                }
            }
        }
    }

    @Test
    void virtualAddressesAreRecognised() {
        InetSocketAddress v = NatTraversal.virtualAddress(0x1234_5678_9abc_def0L);
        assertThat(NatTraversal.isVirtual(v)).isTrue();
        assertThat(NatTraversal.isVirtual(new InetSocketAddress("2001:db8::1", 1))).isFalse();
        assertThat(NatTraversal.isVirtual(new InetSocketAddress("203.0.113.1", 1))).isFalse();
    }

    interface Decoder {
        Object decode(byte[] b) throws DecodeException;
    }
}
