package io.reactivecarrier.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.crypto.PacketAead.Algorithm;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class PacketAeadTest {

    private static byte[] h(String hex) {
        return Hex.decode(hex);
    }

    /** RFC 8439 section 2.8.2: the AEAD_CHACHA20_POLY1305 example. */
    @Test
    void rfc8439ChaCha20Poly1305Vector() {
        byte[] key = h("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        byte[] nonce = h("070000004041424344454647");
        byte[] aad = h("50515253c0c1c2c3c4c5c6c7");
        byte[] plaintext = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
                + "the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
        String expected = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                + "3ff4def08e4b7a9de576d26586cec64b6116"
                + "1ae10b594f09e26a7e902ecbd0600691";
        PacketAead aead = PacketAead.create(Algorithm.CHACHA20_POLY1305, key);
        assertThat(Hex.encode(aead.sealWithNonce(nonce, aad, plaintext))).isEqualTo(expected);
        assertThat(aead.openWithNonce(nonce, aad, h(expected))).isEqualTo(plaintext);
    }

    /** The GCM specification (McGrew and Viega), test case 16: 256-bit key, 60-byte plaintext, AAD. */
    @Test
    void gcmSpecTestCase16() {
        byte[] key = h("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        byte[] iv = h("cafebabefacedbaddecaf888");
        byte[] aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        byte[] plaintext = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        String expected = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
                + "76fc6ece0f4e1768cddf8853bb2d551b";
        PacketAead aead = PacketAead.create(Algorithm.AES_256_GCM, key);
        assertThat(Hex.encode(aead.sealWithNonce(iv, aad, plaintext))).isEqualTo(expected);
        assertThat(aead.openWithNonce(iv, aad, h(expected))).isEqualTo(plaintext);
    }

    @Test
    void nonceLayoutFollowsNoise() {
        long counter = 0x0102030405060708L;
        assertThat(Hex.encode(PacketAead.create(Algorithm.AES_256_GCM, new byte[32]).nonce(counter)))
                .isEqualTo("000000000102030405060708");
        assertThat(Hex.encode(PacketAead.create(Algorithm.CHACHA20_POLY1305, new byte[32]).nonce(counter)))
                .isEqualTo("000000000807060504030201");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void counterSealEqualsExplicitNonceSeal(Algorithm algorithm) {
        byte[] key = new byte[32];
        key[0] = 7;
        PacketAead a = PacketAead.create(algorithm, key);
        PacketAead b = PacketAead.create(algorithm, key);
        byte[] nonce = a.nonce(42).clone();
        assertThat(a.seal(42, new byte[] {1}, new byte[] {2, 3})).isEqualTo(b.sealWithNonce(nonce, new byte[] {1}, new byte[] {2, 3}));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void roundTripAndTamperingFails(Algorithm algorithm) {
        PacketAead aead = PacketAead.create(algorithm, key(1));
        byte[] ad = "header".getBytes(StandardCharsets.US_ASCII);
        byte[] plaintext = "hello, link".getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = aead.seal(5, ad, plaintext);
        assertThat(sealed).hasSize(plaintext.length + PacketAead.TAG_LENGTH);
        assertThat(aead.open(5, ad, sealed)).isEqualTo(plaintext);

        byte[] flipped = sealed.clone();
        flipped[0] ^= 1;
        assertThatThrownBy(() -> aead.open(5, ad, flipped)).isInstanceOf(CryptoException.class);
        byte[] badTag = sealed.clone();
        badTag[badTag.length - 1] ^= 0x80;
        assertThatThrownBy(() -> aead.open(5, ad, badTag)).isInstanceOf(CryptoException.class);
        byte[] badAd = ad.clone();
        badAd[0] ^= 1;
        assertThatThrownBy(() -> aead.open(5, badAd, sealed)).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> aead.open(6, ad, sealed)).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> aead.open(5, ad, new byte[15])).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> PacketAead.create(algorithm, key(2)).open(5, ad, sealed))
                .isInstanceOf(CryptoException.class);
        // the instance still works after failures
        assertThat(aead.open(5, ad, sealed)).isEqualTo(plaintext);
    }

    /** The JCE refuses an encrypting re-init with the same key and nonce; PacketAead detours. */
    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void sealingTheSameCounterTwiceIsDeterministic(Algorithm algorithm) {
        PacketAead aead = PacketAead.create(algorithm, key(3));
        byte[] first = aead.seal(9, null, new byte[] {1, 2, 3});
        byte[] second = aead.seal(9, null, new byte[] {1, 2, 3});
        assertThat(second).isEqualTo(first);
        assertThat(aead.open(9, null, first)).containsExactly(1, 2, 3);
        assertThat(aead.open(9, null, second)).containsExactly(1, 2, 3);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void maxCounterAndEmptyPlaintext(Algorithm algorithm) {
        PacketAead aead = PacketAead.create(algorithm, key(4));
        byte[] sealed = aead.seal(-1L, new byte[0], new byte[0]);
        assertThat(sealed).hasSize(PacketAead.TAG_LENGTH);
        assertThat(aead.open(-1L, null, sealed)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void byteBufPathEqualsByteArrayPath(Algorithm algorithm) {
        Random random = new Random(1);
        PacketAead aead = PacketAead.create(algorithm, key(5));
        for (int size : new int[] {0, 1, 15, 16, 17, 1200, 4096}) {
            byte[] plaintext = new byte[size];
            random.nextBytes(plaintext);
            byte[] ad = new byte[] {9, 8, 7, 6, 5};
            long counter = 1000 + size;
            byte[] expected = aead.seal(counter, ad, plaintext);
            for (ByteBufAllocator alloc : new ByteBufAllocator[] {
                    io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, io.netty.buffer.PooledByteBufAllocator.DEFAULT}) {
                for (boolean direct : new boolean[] {false, true}) {
                    ByteBuf in = buffer(alloc, direct, plaintext);
                    ByteBuf adBuf = buffer(alloc, direct, ad);
                    ByteBuf out = direct ? alloc.directBuffer(4) : alloc.heapBuffer(4);
                    out.writeByte(0xEE); // a prefix that must stay in place
                    try {
                        aead.seal(counter, adBuf, in, out);
                        assertThat(in.isReadable()).isFalse();
                        assertThat(adBuf.readableBytes()).isEqualTo(ad.length);
                        assertThat(out.readByte()).isEqualTo((byte) 0xEE);
                        byte[] got = new byte[out.readableBytes()];
                        out.getBytes(out.readerIndex(), got);
                        assertThat(got).isEqualTo(expected);

                        ByteBuf plain = direct ? alloc.directBuffer(1) : alloc.heapBuffer(1);
                        aead.open(counter, adBuf, out, plain);
                        assertThat(out.isReadable()).isFalse();
                        byte[] back = new byte[plain.readableBytes()];
                        plain.readBytes(back);
                        assertThat(back).isEqualTo(plaintext);
                        plain.release();
                    } finally {
                        in.release();
                        adBuf.release();
                        out.release();
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void byteBufOpenFailureLeavesIndexes(Algorithm algorithm) {
        PacketAead aead = PacketAead.create(algorithm, key(6));
        byte[] sealed = aead.seal(1, null, new byte[100]);
        sealed[3] ^= 1;
        ByteBuf in = Unpooled.directBuffer().writeBytes(sealed);
        ByteBuf out = Unpooled.buffer();
        assertThatThrownBy(() -> aead.open(1, null, in, out)).isInstanceOf(CryptoException.class);
        assertThat(in.readerIndex()).isZero();
        assertThat(out.writerIndex()).isZero();
        ByteBuf tiny = Unpooled.wrappedBuffer(new byte[15]);
        assertThatThrownBy(() -> aead.open(1, null, tiny, out)).isInstanceOf(CryptoException.class);
        in.release();
    }

    @Test
    void compositeInputAndOutput() {
        PacketAead aead = PacketAead.create(Algorithm.AES_256_GCM, key(7));
        byte[] plaintext = new byte[300];
        new Random(2).nextBytes(plaintext);
        byte[] expected = aead.seal(77, null, plaintext);
        CompositeByteBuf in = Unpooled.compositeBuffer()
                .addComponent(true, Unpooled.wrappedBuffer(plaintext, 0, 100))
                .addComponent(true, Unpooled.directBuffer().writeBytes(plaintext, 100, 200));
        CompositeByteBuf out = Unpooled.compositeBuffer()
                .addComponent(Unpooled.buffer(50))
                .addComponent(Unpooled.directBuffer(50));
        aead.seal(77, null, in, out);
        byte[] got = new byte[out.readableBytes()];
        out.readBytes(got);
        assertThat(got).isEqualTo(expected);
        in.release();
        out.release();
    }

    @Test
    void rejectsBadKeys() {
        assertThatThrownBy(() -> PacketAead.create(Algorithm.AES_256_GCM, new byte[16])).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> PacketAead.create(null)).isInstanceOf(CryptoException.class);
        assertThat(PacketAead.create(new byte[32]).algorithm()).isEqualTo(Algorithm.AES_256_GCM);
    }

    private static ByteBuf buffer(ByteBufAllocator alloc, boolean direct, byte[] content) {
        ByteBuf b = direct ? alloc.directBuffer(content.length + 8) : alloc.heapBuffer(content.length + 8);
        b.writeBytes(new byte[] {1, 2, 3}).skipBytes(3); // non-zero reader index
        return b.writeBytes(content);
    }

    private static byte[] key(int seed) {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return k;
    }
}
