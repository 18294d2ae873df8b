package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.Hex;
import io.reactivecarrier.crypto.PacketAead.Algorithm;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.link.NoiseHandshake.Pattern;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The strict rules of the Noise handshake around the vectors: limits, failures, misuse. */
class NoiseHandshakeTest {

    private static final byte[] PROLOGUE = "reactive-carrier link v1".getBytes(StandardCharsets.US_ASCII);

    private final X25519KeyPair alice = X25519KeyPair.generate();
    private final X25519KeyPair bob = X25519KeyPair.generate();

    private NoiseHandshake initiator(Pattern pattern, Algorithm algorithm) {
        return NoiseHandshake.initiator(pattern, algorithm, alice, pattern == Pattern.IK ? bob.publicKey() : null, PROLOGUE);
    }

    private NoiseHandshake responder(Pattern pattern, Algorithm algorithm) {
        return NoiseHandshake.responder(pattern, algorithm, bob, PROLOGUE);
    }

    /** Runs a handshake to completion with payloads; returns {initiator, responder}. */
    private static NoiseHandshake[] complete(NoiseHandshake i, NoiseHandshake r) {
        int n = 0;
        while (!i.isComplete()) {
            NoiseHandshake writer = i.isMyTurnToWrite() ? i : r;
            NoiseHandshake reader = writer == i ? r : i;
            byte[] payload = ("payload " + n++).getBytes(StandardCharsets.US_ASCII);
            assertThat(reader.readMessage(writer.writeMessage(payload))).isEqualTo(payload);
        }
        assertThat(r.isComplete()).isTrue();
        return new NoiseHandshake[] {i, r};
    }

    @ParameterizedTest
    @EnumSource(Pattern.class)
    void roundTripBothCiphers(Pattern pattern) {
        for (Algorithm algorithm : Algorithm.values()) {
            NoiseHandshake[] hs = complete(initiator(pattern, algorithm), responder(pattern, algorithm));
            assertThat(hs[0].handshakeHash()).isEqualTo(hs[1].handshakeHash());
            assertThat(hs[0].remoteStatic()).isEqualTo(bob.publicKey());
            assertThat(hs[1].remoteStatic()).isEqualTo(alice.publicKey());
            NoiseTransport a = hs[0].split();
            NoiseTransport b = hs[1].split();
            for (int k = 0; k < 5; k++) {
                byte[] m = new byte[] {(byte) k};
                assertThat(b.decrypt(a.encrypt(m))).isEqualTo(m);
                assertThat(a.decrypt(b.encrypt(m))).isEqualTo(m);
            }
            // transport messages are in order: a replayed message fails
            byte[] once = a.encrypt(new byte[3]);
            assertThat(b.decrypt(once)).hasSize(3);
            assertThatThrownBy(() -> b.decrypt(once)).isInstanceOf(CryptoException.class);
        }
    }

    @Test
    void ikWithWrongResponderKeyFails() {
        NoiseHandshake i = NoiseHandshake.initiator(Pattern.IK, Algorithm.AES_256_GCM, alice,
                X25519KeyPair.generate().publicKey(), PROLOGUE);
        NoiseHandshake r = responder(Pattern.IK, Algorithm.AES_256_GCM);
        byte[] first = i.writeMessage(new byte[0]);
        assertThatThrownBy(() -> r.readMessage(first)).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> r.readMessage(first)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> r.writeMessage(new byte[0])).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void differentProloguesFail() {
        NoiseHandshake i = NoiseHandshake.initiator(Pattern.XX, Algorithm.CHACHA20_POLY1305, alice, null, new byte[] {1});
        NoiseHandshake r = NoiseHandshake.responder(Pattern.XX, Algorithm.CHACHA20_POLY1305, bob, new byte[] {2});
        r.readMessage(i.writeMessage(new byte[0])); // no key yet: "-> e" carries the payload in clear
        byte[] second = r.writeMessage(new byte[0]);
        assertThatThrownBy(() -> i.readMessage(second)).isInstanceOf(CryptoException.class);
    }

    @ParameterizedTest
    @EnumSource(Pattern.class)
    void everyFlippedBitOfEveryHandshakeMessageIsRejected(Pattern pattern) {
        int messages = pattern == Pattern.IK ? 2 : 3;
        for (int target = 0; target < messages; target++) {
            NoiseHandshake i = initiator(pattern, Algorithm.AES_256_GCM);
            NoiseHandshake r = responder(pattern, Algorithm.AES_256_GCM);
            for (int m = 0; m < target; m++) {
                NoiseHandshake w = m % 2 == 0 ? i : r;
                (w == i ? r : i).readMessage(w.writeMessage(new byte[] {7}));
            }
            NoiseHandshake w = target % 2 == 0 ? i : r;
            NoiseHandshake reader = w == i ? r : i;
            byte[] msg = w.writeMessage(new byte[] {7});
            if (pattern == Pattern.XX && target == 0) {
                continue; // "-> e" with a clear payload: nothing authenticates it yet
            }
            msg[msg.length - 1] ^= 1;
            assertThatThrownBy(() -> reader.readMessage(msg)).as("message %d", target).isInstanceOf(CryptoException.class);
        }
    }

    @Test
    void lengthLimits() {
        NoiseHandshake i = initiator(Pattern.IK, Algorithm.AES_256_GCM);
        // IK message 1: e (32) + encrypted s (48) + payload + tag (16)
        int maxPayload = NoiseHandshake.MAX_MESSAGE_LENGTH - 32 - 48 - 16;
        assertThatThrownBy(() -> i.writeMessage(new byte[maxPayload + 1])).isInstanceOf(IllegalArgumentException.class);
        byte[] max = i.writeMessage(new byte[maxPayload]);
        assertThat(max).hasSize(NoiseHandshake.MAX_MESSAGE_LENGTH);
        assertThat(responder(Pattern.IK, Algorithm.AES_256_GCM).readMessage(max)).hasSize(maxPayload);

        NoiseHandshake r = responder(Pattern.IK, Algorithm.AES_256_GCM);
        assertThatThrownBy(() -> r.readMessage(new byte[NoiseHandshake.MAX_MESSAGE_LENGTH + 1]))
                .isInstanceOf(CryptoException.class);
        NoiseHandshake r2 = responder(Pattern.IK, Algorithm.AES_256_GCM);
        assertThatThrownBy(() -> r2.readMessage(new byte[40])).isInstanceOf(CryptoException.class);
        NoiseHandshake r3 = responder(Pattern.XX, Algorithm.AES_256_GCM);
        assertThatThrownBy(() -> r3.readMessage(new byte[31])).isInstanceOf(CryptoException.class);
    }

    @Test
    void transportLengthLimits() {
        NoiseHandshake[] hs = complete(initiator(Pattern.XX, Algorithm.AES_256_GCM), responder(Pattern.XX, Algorithm.AES_256_GCM));
        NoiseTransport a = hs[0].split();
        NoiseTransport b = hs[1].split();
        assertThatThrownBy(() -> a.encrypt(new byte[65535 - 16 + 1])).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.decrypt(a.encrypt(new byte[65535 - 16]))).hasSize(65535 - 16);
        assertThatThrownBy(() -> b.decrypt(new byte[65536])).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> b.decrypt(new byte[15])).isInstanceOf(CryptoException.class);
    }

    @Test
    void misuseIsRefused() {
        NoiseHandshake i = initiator(Pattern.XX, Algorithm.AES_256_GCM);
        NoiseHandshake r = responder(Pattern.XX, Algorithm.AES_256_GCM);
        assertThatThrownBy(() -> r.writeMessage(new byte[0])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> i.readMessage(new byte[32])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(i::split).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(i::handshakeHash).isInstanceOf(IllegalStateException.class);
        complete(i, r);
        assertThatThrownBy(() -> i.useEphemeralForTesting(X25519KeyPair.generate())).isInstanceOf(IllegalStateException.class);
        NoiseTransport t = i.split();
        assertThat(t).isNotNull();
        // no reuse after split
        assertThatThrownBy(i::split).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> i.writeMessage(new byte[0])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> i.readMessage(new byte[64])).isInstanceOf(IllegalStateException.class);
        assertThat(i.handshakeHash()).isEqualTo(t.handshakeHash());

        assertThatThrownBy(() -> NoiseHandshake.initiator(Pattern.IK, Algorithm.AES_256_GCM, alice, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NoiseHandshake.initiator(Pattern.XX, Algorithm.AES_256_GCM, alice, bob.publicKey(), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NoiseHandshake.responder(Pattern.XX, Algorithm.AES_256_GCM, null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void lowOrderEphemeralIsRejected() {
        NoiseHandshake r = responder(Pattern.XX, Algorithm.AES_256_GCM);
        r.readMessage(new byte[32]); // an all-zero "e": reading it only hashes it
        assertThatThrownBy(() -> r.writeMessage(new byte[0])).isInstanceOf(CryptoException.class); // ee fails
        assertThatThrownBy(() -> r.writeMessage(new byte[0])).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void cipherStateNonceRules() {
        NoiseCipherState c = new NoiseCipherState(Algorithm.CHACHA20_POLY1305);
        assertThat(c.encryptWithAd(new byte[0], new byte[] {1, 2})).containsExactly(1, 2); // no key: identity
        c.initializeKey(new byte[32]);
        NoiseCipherState d = new NoiseCipherState(Algorithm.CHACHA20_POLY1305);
        d.initializeKey(new byte[32]);
        c.setNonce(NoiseCipherState.MAX_NONCE - 1);
        d.setNonce(NoiseCipherState.MAX_NONCE - 1);
        byte[] last = c.encryptWithAd(null, new byte[] {9});
        assertThat(c.nonce()).isEqualTo(NoiseCipherState.MAX_NONCE);
        assertThatThrownBy(() -> c.encryptWithAd(null, new byte[] {9})).isInstanceOf(CryptoException.class);

        byte[] bad = last.clone();
        bad[0] ^= 1;
        assertThatThrownBy(() -> d.decryptWithAd(null, bad)).isInstanceOf(CryptoException.class);
        assertThat(d.nonce()).as("a failed decryption keeps n").isEqualTo(NoiseCipherState.MAX_NONCE - 1);
        assertThat(d.decryptWithAd(null, last)).containsExactly(9);
        assertThatThrownBy(() -> d.decryptWithAd(null, last)).isInstanceOf(CryptoException.class);
    }

    @Test
    void rekeyKeepsBothSidesInStep() {
        for (Algorithm algorithm : Algorithm.values()) {
            NoiseCipherState c = new NoiseCipherState(algorithm);
            NoiseCipherState d = new NoiseCipherState(algorithm);
            byte[] key = new byte[32];
            key[5] = 5;
            c.initializeKey(key);
            d.initializeKey(key);
            assertThat(d.decryptWithAd(null, c.encryptWithAd(null, new byte[] {1}))).containsExactly(1);
            c.rekey();
            d.rekey();
            assertThat(c.key()).isNotEqualTo(key).isEqualTo(d.key());
            assertThat(c.nonce()).isEqualTo(1);
            assertThat(d.decryptWithAd(null, c.encryptWithAd(null, new byte[] {2}))).containsExactly(2);
        }
    }

    @Test
    void noiseHkdfMatchesRfc5869WithEmptyInfo() {
        byte[] ck = new byte[32];
        ck[0] = 1;
        byte[] ikm = new byte[] {4, 5, 6};
        byte[][] out = NoiseSymmetricState.hkdf(ck, ikm, 3);
        byte[] rfc = io.reactivecarrier.crypto.Hkdf.derive(ikm, ck, new byte[0], 96);
        assertThat(Hex.encode(out[0]) + Hex.encode(out[1]) + Hex.encode(out[2])).isEqualTo(Hex.encode(rfc));
    }

    @Test
    void secretsNeverPrinted() {
        NoiseHandshake i = initiator(Pattern.IK, Algorithm.AES_256_GCM);
        NoiseHandshake r = responder(Pattern.IK, Algorithm.AES_256_GCM);
        String aliceSecret = Hex.encode(alice.privateKey());
        String bobSecret = Hex.encode(bob.privateKey());
        assertThat(i.toString()).doesNotContain(aliceSecret).contains("redacted");
        complete(i, r);
        NoiseTransport t = i.split();
        String sendKey = Hex.encode(t.sendKey());
        String receiveKey = Hex.encode(t.receiveKey());
        for (Object o : new Object[] {i, r, t, t.sender(), t.receiver(), new NoiseSymmetricState("Noise_XX_25519_AESGCM_SHA256", Algorithm.AES_256_GCM)}) {
            assertThat(o.toString()).doesNotContain(aliceSecret, bobSecret, sendKey, receiveKey);
        }
        assertThatThrownBy(() -> t.decrypt(new byte[40]))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(sendKey, receiveKey));
    }
}
