package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.reactivecarrier.crypto.Hex;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.testing.DocVectors;
import io.reactivecarrier.wire.DecodeException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The envelope of docs/protocol/rpc.md, checked against the test vector read from that document. */
class RpcCodecTest {

    static final DocVectors DOC = DocVectors.of("protocol/rpc.md", "## Test vector");
    static final X25519KeyPair A = X25519KeyPair.fromPrivateKey(Hex.decode(DOC.hex("A private")));
    static final X25519KeyPair B = X25519KeyPair.fromPrivateKey(Hex.decode(DOC.hex("B private")));
    static final byte[] NONCE = Hex.decode(DOC.find("nonce ([0-9a-f]{48})"));
    static final long TXID = Long.parseUnsignedLong(DOC.find("txid ([0-9a-f]{16})"), 16);
    static final int METHOD = Integer.parseInt(DOC.find("method (\\d+)"));
    static final byte[] BODY = DOC.find("body \"([^\"]*)\"").getBytes(StandardCharsets.US_ASCII);
    static final String VECTOR = DOC.find("\\d+ bytes:\\n((?:[0-9a-f]+\\n)+)").replaceAll("\\s+", "");

    @Test
    void theDocumentedVectorIsComplete() {
        assertThat(Hex.encode(BODY)).isEqualTo(DOC.find("body \"[^\"]*\" \\(([0-9a-f]*)\\)"));
        assertThat(Hex.decode(VECTOR)).hasSize(Integer.parseInt(DOC.find("(\\d+) bytes:")));
        assertThat(VECTOR).startsWith("0101" + DOC.hex("A public") + Hex.encode(NONCE));
    }

    @Test
    void publicKeysOfTheVector() throws Exception {
        assertThat(Hex.encode(A.publicKey())).isEqualTo(DOC.hex("A public"));
        assertThat(Hex.encode(B.publicKey())).isEqualTo(DOC.hex("B public"));
        byte[] shared = A.agree(B.publicKey());
        assertThat(Hex.encode(shared)).isEqualTo(DOC.hex("X25519"));
        assertThat(Hex.encode(com.google.crypto.tink.subtle.Hkdf.computeHkdf("HMACSHA256", shared, RpcCodec.SALT,
                new byte[0], 32))).isEqualTo(DOC.hex("key (HKDF)"));
    }

    @Test
    void encodesTheTestVector() {
        ByteBuf packet = RpcCodec.encode(UnpooledByteBufAllocator.DEFAULT, 1, A.publicKey(), NONCE,
                RpcCodec.cipher(A, B.publicKey()), TXID, METHOD, BODY);
        try {
            byte[] bytes = new byte[packet.readableBytes()];
            packet.getBytes(0, bytes);
            assertThat(Hex.encode(bytes)).isEqualTo(VECTOR);
            assertThat(bytes).hasSize(RpcCodec.OVERHEAD + BODY.length);
        } finally {
            packet.release();
        }
    }

    @Test
    void decodesTheTestVectorWithTheReceiversKey() throws DecodeException {
        ByteBuf in = Unpooled.wrappedBuffer(Hex.decode(VECTOR));
        try {
            RpcCodec.Opened opened = RpcCodec.open(in, 1197, key -> RpcCodec.cipher(B, key));
            assertThat(opened.kind()).isEqualTo(1);
            assertThat(opened.senderKey()).isEqualTo(A.publicKey());
            assertThat(opened.txid()).isEqualTo(TXID);
            assertThat(opened.method()).isEqualTo(METHOD);
            assertThat(opened.body()).isEqualTo(BODY);
        } finally {
            in.release();
        }
    }

    @Test
    void rejectsTamperingTruncationAndOversize() {
        byte[] v = Hex.decode(VECTOR);
        v[v.length - 1] ^= 1;
        assertReason(v, 1197, DecodeException.Reason.AUTHENTICATION);
        v = Hex.decode(VECTOR);
        v[10] ^= 1; // the sender key is associated data (and picks the key)
        assertReason(v, 1197, DecodeException.Reason.AUTHENTICATION);
        assertReason(java.util.Arrays.copyOf(Hex.decode(VECTOR), RpcCodec.OVERHEAD - 1), 1197, DecodeException.Reason.TRUNCATED);
        assertReason(Hex.decode(VECTOR), 3, DecodeException.Reason.OVERSIZED);
        v = Hex.decode(VECTOR);
        v[1] = 2;
        assertReason(v, 1197, DecodeException.Reason.BAD_VERSION);
    }

    @Test
    void plaintextModeKeepsTheLayoutAndRequiresAZeroTag() throws DecodeException {
        ByteBuf packet = RpcCodec.encode(UnpooledByteBufAllocator.DEFAULT, 2, A.publicKey(), new byte[24], null,
                42L, 9, new byte[] {1, 2, 3});
        try {
            assertThat(packet.readableBytes()).isEqualTo(RpcCodec.OVERHEAD + 3);
            RpcCodec.Opened opened = RpcCodec.open(packet, 1197, null);
            assertThat(opened.txid()).isEqualTo(42L);
            assertThat(opened.body()).containsExactly(1, 2, 3);
            packet.setByte(packet.writerIndex() - 1, 1);
            assertThatThrownBy(() -> RpcCodec.open(packet, 1197, null)).isInstanceOf(DecodeException.class);
        } finally {
            packet.release();
        }
    }

    private static void assertReason(byte[] bytes, int maxBody, DecodeException.Reason reason) {
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        try {
            assertThatThrownBy(() -> RpcCodec.open(in, maxBody, key -> RpcCodec.cipher(B, key)))
                    .isInstanceOfSatisfying(DecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason));
        } finally {
            in.release();
        }
    }
}
