package com.google.crypto.tink.hybrid.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.crypto.tink.hybrid.HpkeParameters;
import io.reactivecarrier.crypto.Hex;
import org.junit.jupiter.api.Test;

/**
 * The sender half of {@code io.reactivecarrier.crypto.SealedBox} is Tink's HPKE. This test sits
 * in Tink's package to reach its fixed-ephemeral-key hook and checks RFC 9180 appendix A.1.1
 * (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode) step by step: enc, the KEM
 * shared secret, the key schedule's key and base nonce, and the sequence-0 ciphertext.
 */
class TinkHpkeSenderVectorTest {

    @Test
    void rfc9180A11SenderWithFixedEphemeralKey() throws Exception {
        byte[] pkR = Hex.decode("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
        byte[] skE = Hex.decode("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736");
        byte[] pkE = Hex.decode("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
        byte[] info = Hex.decode("4f6465206f6e2061204772656369616e2055726e");

        X25519HpkeKem kem = (X25519HpkeKem) HpkePrimitiveFactory.createKem(HpkeParameters.KemId.DHKEM_X25519_HKDF_SHA256);
        HpkeKdf kdf = HpkePrimitiveFactory.createKdf(HpkeParameters.KdfId.HKDF_SHA256);
        HpkeAead aead = HpkePrimitiveFactory.createAead(HpkeParameters.AeadId.AES_128_GCM);

        HpkeKemEncapOutput encap = kem.encapsulateWithFixedEphemeralKey(pkR, skE, pkE);
        assertThat(Hex.encode(encap.getEncapsulatedKey())).isEqualTo(Hex.encode(pkE));
        assertThat(Hex.encode(encap.getSharedSecret()))
                .isEqualTo("fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc");

        HpkeContext context = HpkeContext.createContext(
                HpkeUtil.BASE_MODE, encap.getEncapsulatedKey(), encap.getSharedSecret(), kem, kdf, aead, info);
        assertThat(Hex.encode(context.getKey())).isEqualTo("4531685d41d65f03dc48f6b8302c05b0");
        assertThat(Hex.encode(context.getBaseNonce())).isEqualTo("56d890e5accaaf011cff4b7d");
        byte[] ct = context.seal(
                Hex.decode("4265617574792069732074727574682c20747275746820626561757479"),
                Hex.decode("436f756e742d30"));
        assertThat(Hex.encode(ct)).isEqualTo(
                "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a");
    }
}
