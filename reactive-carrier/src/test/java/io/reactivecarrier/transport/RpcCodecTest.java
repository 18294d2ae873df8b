package io.reactivecarrier.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.reactivecarrier.crypto.Hex;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.wire.DecodeException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The envelope of docs/protocol/rpc.md, checked against its test vector. */
class RpcCodecTest {

    static final X25519KeyPair A = X25519KeyPair.fromPrivateKey(Hex.decode("01".repeat(32)));
    static final X25519KeyPair B = X25519KeyPair.fromPrivateKey(Hex.decode("02".repeat(32)));
    static final byte[] NONCE = Hex.decode("000102030405060708090a0b0c0d0e0f1011121314151617");
    static final String VECTOR = "0101a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209"
            + "000102030405060708090a0b0c0d0e0f1011121314151617"
            + "9bade03f648d9549d0734e79b5675b504b544e32ede062c7abd3291d24";

    @Test
    void publicKeysOfTheVector() {
        assertThat(Hex.encode(A.publicKey())).isEqualTo("a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209");
        assertThat(Hex.encode(B.publicKey())).isEqualTo("ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59");
        assertThat(Hex.encode(A.agree(B.publicKey())))
                .isEqualTo("2ed76ab549b1e73c031eb49c9448f0798aea81b698279a0c3dc3e49fbfc4b953");
    }

    @Test
    void encodesTheTestVector() {
        ByteBuf packet = RpcCodec.encode(UnpooledByteBufAllocator.DEFAULT, 1, A.publicKey(), NONCE,
                RpcCodec.cipher(A, B.publicKey()), 0x0123456789abcdefL, 7, "ping".getBytes(StandardCharsets.US_ASCII));
        try {
            byte[] bytes = new byte[packet.readableBytes()];
            packet.getBytes(0, bytes);
            assertThat(Hex.encode(bytes)).isEqualTo(VECTOR);
            assertThat(bytes).hasSize(RpcCodec.OVERHEAD + 4);
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
            assertThat(opened.txid()).isEqualTo(0x0123456789abcdefL);
            assertThat(opened.method()).isEqualTo(7);
            assertThat(new String(opened.body(), StandardCharsets.US_ASCII)).isEqualTo("ping");
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
