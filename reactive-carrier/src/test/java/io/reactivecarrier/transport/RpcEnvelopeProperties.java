package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.aead.internal.InsecureNonceXChaCha20Poly1305;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.wire.DecodeException;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The RPC envelope codec on its own (docs/protocol/rpc.md): encode then open gives back kind,
 * sender key, txid, method and body, encrypted and in plaintext mode; any bit flip of an
 * encrypted envelope, any truncation, random bytes and bodies over the limit are refused with a
 * {@link DecodeException} (never another exception), the size being checked before anything is
 * allocated.
 */
class RpcEnvelopeProperties {

    static final int MAX_BODY = 1197;
    static final X25519KeyPair A = X25519KeyPair.generate();
    static final X25519KeyPair B = X25519KeyPair.generate();
    static final Function<byte[], InsecureNonceXChaCha20Poly1305> AT_B = key -> RpcCodec.cipher(B, key);

    static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        buf.release();
        return b;
    }

    static byte[] envelope(Random r, int bodyLength, boolean encrypted) {
        byte[] nonce = new byte[RpcCodec.NONCE_LENGTH];
        r.nextBytes(nonce);
        byte[] body = new byte[bodyLength];
        r.nextBytes(body);
        return bytes(RpcCodec.encode(UnpooledByteBufAllocator.DEFAULT, 1 + r.nextInt(2), A.publicKey(), nonce,
                encrypted ? RpcCodec.cipher(A, B.publicKey()) : null, r.nextLong(), r.nextInt(256), body));
    }

    static void openQuietly(byte[] in, Function<byte[], InsecureNonceXChaCha20Poly1305> ciphers) {
        ByteBuf buf = Unpooled.wrappedBuffer(in);
        try {
            RpcCodec.Opened o = RpcCodec.open(buf, MAX_BODY, ciphers);
            assertThat(o.body().length).isLessThanOrEqualTo(MAX_BODY);
        } catch (DecodeException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Property(tries = 300)
    void envelopesRoundTrip(@ForAll @IntRange(min = 0, max = MAX_BODY) int bodyLength, @ForAll boolean encrypted,
            @ForAll long seed) throws DecodeException {
        Random r = new Random(seed);
        int kind = 1 + r.nextInt(2);
        long txid = r.nextLong();
        int method = r.nextInt(256);
        byte[] nonce = new byte[RpcCodec.NONCE_LENGTH];
        r.nextBytes(nonce);
        byte[] body = new byte[bodyLength];
        r.nextBytes(body);
        ByteBuf packet = RpcCodec.encode(UnpooledByteBufAllocator.DEFAULT, kind, A.publicKey(), nonce,
                encrypted ? RpcCodec.cipher(A, B.publicKey()) : null, txid, method, body);
        try {
            assertThat(packet.readableBytes()).isEqualTo(RpcCodec.OVERHEAD + bodyLength);
            RpcCodec.Opened o = RpcCodec.open(packet, MAX_BODY, encrypted ? AT_B : null);
            assertThat(o.kind()).isEqualTo(kind);
            assertThat(o.senderKey()).isEqualTo(A.publicKey());
            assertThat(o.txid()).isEqualTo(txid);
            assertThat(o.method()).isEqualTo(method);
            assertThat(o.body()).isEqualTo(body);
        } finally {
            packet.release();
        }
    }

    @Property(tries = 500)
    void everyBitFlipOfAnEncryptedEnvelopeIsRefused(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] e = envelope(r, r.nextInt(200), true);
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            int bit = r.nextInt(e.length * 8);
            e[bit >>> 3] ^= (byte) (1 << (bit & 7));
        }
        ByteBuf in = Unpooled.wrappedBuffer(e);
        assertThatThrownBy(() -> RpcCodec.open(in, MAX_BODY, AT_B)).isInstanceOfSatisfying(DecodeException.class,
                x -> assertThat(x.reason()).isIn(DecodeException.Reason.AUTHENTICATION, DecodeException.Reason.BAD_VERSION));
    }

    @Property(tries = 300)
    void truncatedEnvelopesAreRefused(@ForAll long seed, @ForAll boolean encrypted) {
        Random r = new Random(seed);
        byte[] e = envelope(r, r.nextInt(200), encrypted);
        byte[] cut = Arrays.copyOf(e, r.nextInt(e.length));
        ByteBuf in = Unpooled.wrappedBuffer(cut);
        assertThatThrownBy(() -> RpcCodec.open(in, MAX_BODY, encrypted ? AT_B : null))
                .isInstanceOf(DecodeException.class);
    }

    @Property(tries = 300)
    void randomBytesOnlyEverThrowDecodeException(@ForAll @Size(max = 1400) byte[] in) {
        if (in.length > 1) {
            in[1] = 1; // mostly past the version check
        }
        openQuietly(in, AT_B);
        openQuietly(in, null);
        openQuietly(in, key -> {
            throw new io.reactivecarrier.crypto.CryptoException("no such key");
        });
    }

    @Property(tries = 100)
    void bodiesOverTheLimitAreOversizedBeforeDecryption(@ForAll @IntRange(min = 1, max = 3000) int over,
            @ForAll boolean encrypted) {
        byte[] e = new byte[RpcCodec.OVERHEAD + MAX_BODY + over];
        e[0] = 1;
        e[1] = 1;
        ByteBuf in = Unpooled.wrappedBuffer(e);
        assertThatThrownBy(() -> RpcCodec.open(in, MAX_BODY, key -> {
            throw new AssertionError("a cipher was looked up for an oversized envelope");
        })).isInstanceOfSatisfying(DecodeException.class,
                x -> assertThat(x.reason()).isEqualTo(DecodeException.Reason.OVERSIZED));
    }
}
