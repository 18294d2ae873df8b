package io.reactivecarrier.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Published vectors for the existing key pairs: RFC 8032 (Ed25519) and RFC 7748 (X25519). */
class KeyPairVectorsTest {

    private static byte[] h(String hex) {
        return Hex.decode(hex);
    }

    /** RFC 8032 section 7.1, TEST 1-3: seed, public key, message, signature. */
    @ParameterizedTest(name = "RFC 8032 7.1 test {index}")
    @CsvSource({
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60,"
            + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a,"
            + "'',"
            + "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb,"
            + "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c,"
            + "72,"
            + "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7,"
            + "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025,"
            + "af82,"
            + "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
    })
    void rfc8032Ed25519(String seed, String publicKey, String message, String signature) {
        Ed25519KeyPair pair = Ed25519KeyPair.fromSeed(h(seed));
        assertThat(Hex.encode(pair.publicKey())).isEqualTo(publicKey);
        byte[] msg = h(message);
        assertThat(Hex.encode(pair.sign(msg))).isEqualTo(signature);
        assertThat(Ed25519KeyPair.verify(h(publicKey), msg, h(signature))).isTrue();

        byte[] badSig = h(signature);
        badSig[10] ^= 0x04;
        assertThat(Ed25519KeyPair.verify(h(publicKey), msg, badSig)).isFalse();
        byte[] badMsg = new byte[msg.length + 1];
        System.arraycopy(msg, 0, badMsg, 0, msg.length);
        assertThat(Ed25519KeyPair.verify(h(publicKey), badMsg, h(signature))).isFalse();
        if (msg.length > 0) {
            byte[] flipped = msg.clone();
            flipped[0] ^= 1;
            assertThat(Ed25519KeyPair.verify(h(publicKey), flipped, h(signature))).isFalse();
        }
    }

    /** RFC 7748 section 5.2: the two single scalar multiplications. */
    @ParameterizedTest(name = "RFC 7748 5.2 vector {index}")
    @CsvSource({
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4,"
            + "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c,"
            + "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d,"
            + "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493,"
            + "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
    })
    void rfc7748ScalarMultiplication(String scalar, String u, String out) {
        assertThat(Hex.encode(X25519KeyPair.fromPrivateKey(h(scalar)).agree(h(u)))).isEqualTo(out);
    }

    /** RFC 7748 section 6.1: Alice and Bob. */
    @Test
    void rfc7748DiffieHellman() {
        X25519KeyPair alice = X25519KeyPair.fromPrivateKey(h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        X25519KeyPair bob = X25519KeyPair.fromPrivateKey(h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        assertThat(Hex.encode(alice.publicKey())).isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(Hex.encode(bob.publicKey())).isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertThat(Hex.encode(alice.agree(bob.publicKey()))).isEqualTo(shared);
        assertThat(Hex.encode(bob.agree(alice.publicKey()))).isEqualTo(shared);
    }

    /** Low-order points (0, 1, and a point of order 8) give an all-zero secret: rejected. */
    @ParameterizedTest
    @ValueSource(strings = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"
    })
    void lowOrderPublicKeyRejected(String lowOrder) {
        X25519KeyPair pair = X25519KeyPair.generate();
        assertThatThrownBy(() -> pair.agree(h(lowOrder)))
                .isInstanceOf(CryptoException.class)
                .hasMessageNotContaining(Hex.encode(pair.privateKey()));
    }

    @Test
    void wrongLengthsRejected() {
        assertThatThrownBy(() -> X25519KeyPair.fromPrivateKey(new byte[31])).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> X25519KeyPair.generate().agree(new byte[33])).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> Ed25519KeyPair.fromSeed(new byte[31])).isInstanceOf(CryptoException.class);
        assertThat(Ed25519KeyPair.verify(new byte[31], new byte[0], new byte[64])).isFalse();
    }
}
