package io.reactivecarrier.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SealedBoxTest {

    private static byte[] h(String hex) {
        return Hex.decode(hex);
    }

    /**
     * RFC 9180 appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode),
     * sequence number 0: the recipient side of SealedBox opens {@code enc || ct}. The sender side
     * with the fixed ephemeral key is checked in {@code TinkHpkeSenderVectorTest}.
     */
    @Test
    void opensRfc9180A11Vector() {
        X25519KeyPair recipient = X25519KeyPair.fromPrivateKey(h("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8"));
        assertThat(Hex.encode(recipient.publicKey())).isEqualTo("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
        byte[] enc = h("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
        byte[] info = h("4f6465206f6e2061204772656369616e2055726e");
        byte[] aad = h("436f756e742d30");
        byte[] ct = h("f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a");
        byte[] sealed = new byte[enc.length + ct.length];
        System.arraycopy(enc, 0, sealed, 0, enc.length);
        System.arraycopy(ct, 0, sealed, enc.length, ct.length);
        byte[] pt = SealedBox.open(recipient, sealed, info, aad);
        assertThat(Hex.encode(pt)).isEqualTo("4265617574792069732074727574682c20747275746820626561757479");
        assertThat(new String(pt, StandardCharsets.US_ASCII)).isEqualTo("Beauty is truth, truth beauty");
        // the public open uses empty aad: the vector (aad "Count-0") must not open there
        assertThatThrownBy(() -> SealedBox.open(recipient, sealed, info)).isInstanceOf(CryptoException.class);
    }

    @Test
    void roundTrip() {
        X25519KeyPair recipient = X25519KeyPair.generate();
        byte[] info = "mailbox v1".getBytes(StandardCharsets.US_ASCII);
        byte[] plaintext = "see you at noon".getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = SealedBox.seal(recipient.publicKey(), plaintext, info);
        assertThat(sealed).hasSize(plaintext.length + SealedBox.OVERHEAD);
        assertThat(SealedBox.open(recipient, sealed, info)).isEqualTo(plaintext);
        // anonymous and randomized: a second seal differs
        assertThat(SealedBox.seal(recipient.publicKey(), plaintext, info)).isNotEqualTo(sealed);
        assertThat(SealedBox.open(recipient, SealedBox.seal(recipient.publicKey(), new byte[0], null), new byte[0])).isEmpty();
    }

    @Test
    void wrongRecipientWrongInfoAndTamperingFail() {
        X25519KeyPair recipient = X25519KeyPair.generate();
        byte[] info = new byte[] {1, 2, 3};
        byte[] sealed = SealedBox.seal(recipient.publicKey(), new byte[100], info);
        assertThatThrownBy(() -> SealedBox.open(X25519KeyPair.generate(), sealed, info)).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> SealedBox.open(recipient, sealed, new byte[] {1, 2, 4})).isInstanceOf(CryptoException.class);
        for (int index : new int[] {0, 31, 32, 60, sealed.length - 1}) {
            byte[] tampered = sealed.clone();
            tampered[index] ^= 0x10;
            assertThatThrownBy(() -> SealedBox.open(recipient, tampered, info))
                    .as("flipped byte %d", index).isInstanceOf(CryptoException.class);
        }
        assertThatThrownBy(() -> SealedBox.open(recipient, java.util.Arrays.copyOf(sealed, SealedBox.OVERHEAD - 1), info))
                .isInstanceOf(CryptoException.class);
        assertThat(SealedBox.open(recipient, sealed, info)).hasSize(100);
    }

    @Test
    void rejectsBadPublicKeys() {
        assertThatThrownBy(() -> SealedBox.seal(new byte[31], new byte[1], null)).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> SealedBox.seal(new byte[32], new byte[1], null)).isInstanceOf(CryptoException.class);
    }
}
