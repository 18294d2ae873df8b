package io.reactivecarrier.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** No key-holding class prints its secret in toString or in an exception message. */
class SecretsNotPrintedTest {

    @Test
    void x25519KeyPair() {
        X25519KeyPair pair = X25519KeyPair.generate();
        String secret = Hex.encode(pair.privateKey());
        assertThat(pair.toString()).doesNotContainIgnoringCase(secret).contains(Hex.encode(pair.publicKey()));
        assertThatThrownBy(() -> pair.agree(new byte[32])).hasMessageNotContaining(secret);
    }

    @Test
    void ed25519KeyPair() {
        Ed25519KeyPair pair = Ed25519KeyPair.generate();
        String secret = Hex.encode(pair.seed());
        assertThat(pair.toString()).doesNotContainIgnoringCase(secret).contains(Hex.encode(pair.publicKey()));
    }

    @Test
    void packetAead() {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (0xa0 + i);
        }
        String secret = Hex.encode(key);
        for (PacketAead.Algorithm algorithm : PacketAead.Algorithm.values()) {
            PacketAead aead = PacketAead.create(algorithm, key);
            assertThat(aead.toString()).doesNotContainIgnoringCase(secret).contains("redacted");
            assertThatThrownBy(() -> aead.open(1, null, new byte[40]))
                    .isInstanceOf(CryptoException.class)
                    .hasMessageNotContaining(secret)
                    .satisfies(e -> assertThat(String.valueOf(e.getCause())).doesNotContainIgnoringCase(secret));
        }
    }

    @Test
    void sealedBoxFailure() {
        X25519KeyPair pair = X25519KeyPair.generate();
        String secret = Hex.encode(pair.privateKey());
        assertThatThrownBy(() -> SealedBox.open(pair, new byte[80], null))
                .isInstanceOf(CryptoException.class)
                .hasMessageNotContaining(secret)
                .hasNoCause();
    }
}
