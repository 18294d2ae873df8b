package io.reactivecarrier.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdentityAgreementTest {

    /** libsodium test/default/ed25519_convert.c and its .exp file. */
    @Test
    void libsodiumVector() {
        Ed25519KeyPair id = Ed25519KeyPair.fromSeed(
                Hex.decode("421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee"));
        X25519KeyPair x = IdentityAgreement.keyPair(id);
        assertThat(Hex.encode(x.publicKey()))
                .isEqualTo("f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50");
        assertThat(Hex.encode(x.privateKey()))
                .isEqualTo("8052030376d47112be7f73ed7a019293dd12ad910b654455798b4667d73de166");
        assertThat(Hex.encode(IdentityAgreement.publicKey(id.publicKey())))
                .isEqualTo("f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50");
    }

    @Test
    void publicMapAgreesWithPrivateMapForRandomKeys() {
        for (int i = 0; i < 20; i++) {
            Ed25519KeyPair id = Ed25519KeyPair.generate();
            assertThat(IdentityAgreement.publicKey(id.publicKey()))
                    .isEqualTo(IdentityAgreement.keyPair(id).publicKey());
        }
    }

    @Test
    void sealedAgreementWithOnlyTheUserId() {
        Ed25519KeyPair bob = Ed25519KeyPair.generate();
        X25519KeyPair alice = X25519KeyPair.generate();
        byte[] fromAlice = alice.agree(IdentityAgreement.publicKey(bob.publicKey()));
        byte[] fromBob = IdentityAgreement.keyPair(bob).agree(alice.publicKey());
        assertThat(fromAlice).isEqualTo(fromBob);
    }
}
