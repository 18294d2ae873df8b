package io.reactivecarrier.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * AES-GCM against the published test cases of the GCM specification (McGrew and Viega, "The
 * Galois/Counter Mode of Operation", revised 2005, appendix B) with 96-bit IVs: cases 1-4
 * (AES-128) and 13-16 (AES-256), with and without plaintext and additional data.
 *
 * <p>{@link PacketAead} takes 32-byte keys and builds its nonce from a counter, so the AES-256
 * cases go through its explicit-nonce seal and open (the construction under the counter API),
 * and the AES-128 cases through the JCE transformation it uses ({@code AES/GCM/NoPadding}, 128-bit
 * tag). Cases 13 and 14 have an all-zero IV, which is exactly the nonce of counter 0, so they also
 * run end to end through the counter API, on byte arrays and on heap and direct buffers.
 */
class GcmVectorsTest {

    /** One test case: key, IV, plaintext, AAD, ciphertext, tag (hex). */
    record Vector(String name, String key, String iv, String plaintext, String aad, String ciphertext, String tag) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final String K3 = "feffe9928665731c6d6a8f9467308308";
    static final String IV3 = "cafebabefacedbaddecaf888";
    static final String P3 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    /** The first 60 bytes of P3 (cases 4 and 16). */
    static final String P4 = P3.substring(0, 120);
    static final String A4 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    static final String C3 = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
            + "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
    static final String C15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

    static Stream<Vector> aes128() {
        return Stream.of(
                new Vector("case 1", "00".repeat(16), "00".repeat(12), "", "", "", "58e2fccefa7e3061367f1d57a4e7455a"),
                new Vector("case 2", "00".repeat(16), "00".repeat(12), "00".repeat(16), "",
                        "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"),
                new Vector("case 3", K3, IV3, P3, "", C3, "4d5c2af327cd64a62cf35abd2ba6fab4"),
                new Vector("case 4", K3, IV3, P4, A4, C3.substring(0, 120), "5bc94fbc3221a5db94fae95ae7121a47"));
    }

    static Stream<Vector> aes256() {
        return Stream.of(
                new Vector("case 13", "00".repeat(32), "00".repeat(12), "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
                new Vector("case 14", "00".repeat(32), "00".repeat(12), "00".repeat(16), "",
                        "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"),
                new Vector("case 15", K3 + K3, IV3, P3, "", C15, "b094dac5d93471bdec1a502270e3cc6c"),
                new Vector("case 16", K3 + K3, IV3, P4, A4, C15.substring(0, 120), "76fc6ece0f4e1768cddf8853bb2d551b"));
    }

    static byte[] h(String hex) {
        return Hex.decode(hex);
    }

    @ParameterizedTest
    @MethodSource("aes128")
    void aes128GcmOfTheJce(Vector v) throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(h(v.key()), "AES"), new GCMParameterSpec(128, h(v.iv())));
        c.updateAAD(h(v.aad()));
        assertThat(Hex.encode(c.doFinal(h(v.plaintext())))).isEqualTo(v.ciphertext() + v.tag());
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(h(v.key()), "AES"), new GCMParameterSpec(128, h(v.iv())));
        c.updateAAD(h(v.aad()));
        assertThat(Hex.encode(c.doFinal(h(v.ciphertext() + v.tag())))).isEqualTo(v.plaintext());
    }

    @ParameterizedTest
    @MethodSource("aes256")
    void aes256GcmOfPacketAeadWithAnExplicitNonce(Vector v) {
        PacketAead aead = PacketAead.create(PacketAead.Algorithm.AES_256_GCM, h(v.key()));
        byte[] sealed = aead.sealWithNonce(h(v.iv()), h(v.aad()), h(v.plaintext()));
        assertThat(Hex.encode(sealed)).isEqualTo(v.ciphertext() + v.tag());
        assertThat(Hex.encode(aead.openWithNonce(h(v.iv()), h(v.aad()), sealed))).isEqualTo(v.plaintext());
        // the last tag bit, and (when there is one) the first AAD bit, are checked
        byte[] badTag = sealed.clone();
        badTag[badTag.length - 1] ^= 1;
        assertThatThrownBy(() -> aead.openWithNonce(h(v.iv()), h(v.aad()), badTag)).isInstanceOf(CryptoException.class);
        if (!v.aad().isEmpty()) {
            byte[] badAad = h(v.aad());
            badAad[0] ^= (byte) 0x80;
            assertThatThrownBy(() -> aead.openWithNonce(h(v.iv()), badAad, sealed)).isInstanceOf(CryptoException.class);
        }
    }

    /** Cases 13 and 14 end to end: their IV is the nonce of counter 0 (4 zero bytes, counter 0 big-endian). */
    @ParameterizedTest
    @MethodSource("aes256")
    void counterZeroIsTheAllZeroIv(Vector v) {
        if (!v.iv().equals("00".repeat(12))) {
            return;
        }
        PacketAead aead = PacketAead.create(h(v.key()));
        assertThat(Hex.encode(aead.nonce(0))).isEqualTo(v.iv());
        byte[] sealed = aead.seal(0, null, h(v.plaintext()));
        assertThat(Hex.encode(sealed)).isEqualTo(v.ciphertext() + v.tag());
        assertThat(Hex.encode(aead.open(0, null, sealed))).isEqualTo(v.plaintext());
        assertThatThrownBy(() -> aead.open(1, null, sealed)).isInstanceOf(CryptoException.class);
        for (boolean direct : new boolean[] {false, true}) {
            ByteBuf plain = direct ? Unpooled.directBuffer().writeBytes(h(v.plaintext()))
                    : Unpooled.buffer().writeBytes(h(v.plaintext()));
            ByteBuf out = direct ? Unpooled.directBuffer() : Unpooled.buffer();
            ByteBuf back = direct ? Unpooled.directBuffer() : Unpooled.buffer();
            try {
                aead.seal(0, Unpooled.EMPTY_BUFFER, plain, out);
                assertThat(io.netty.buffer.ByteBufUtil.hexDump(out)).isEqualTo(v.ciphertext() + v.tag());
                aead.open(0, Unpooled.EMPTY_BUFFER, out, back);
                assertThat(io.netty.buffer.ByteBufUtil.hexDump(back)).isEqualTo(v.plaintext());
            } finally {
                plain.release();
                out.release();
                back.release();
            }
        }
    }

    @Test
    void theCounterApiRefusesAes128Keys() {
        assertThatThrownBy(() -> PacketAead.create(h("00".repeat(16)))).isInstanceOf(CryptoException.class)
                .hasMessageContaining("32 bytes");
    }
}
