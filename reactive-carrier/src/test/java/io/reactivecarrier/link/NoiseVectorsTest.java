package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.crypto.Hex;
import io.reactivecarrier.crypto.PacketAead;
import io.reactivecarrier.crypto.X25519KeyPair;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every cacophony vector in {@code vectors/noise-cacophony-ik-xx.json} (IK and XX with
 * 25519, AESGCM or ChaChaPoly, SHA256): each handshake message and each transport message after
 * the split must match byte for byte, in both directions, and so must the handshake hash.
 */
class NoiseVectorsTest {

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> vectors() throws IOException {
        try (InputStream in = NoiseVectorsTest.class.getResourceAsStream("/vectors/noise-cacophony-ik-xx.json")) {
            assertThat(in).as("test resource vectors/noise-cacophony-ik-xx.json").isNotNull();
            Map<String, Object> root = (Map<String, Object>) MiniJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return (List<Map<String, Object>>) root.get("vectors");
        }
    }

    @Test
    void fileCoversBothPatternsAndBothCiphers() throws IOException {
        assertThat(vectors().stream().map(v -> (String) v.get("protocol_name")).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(
                        "Noise_IK_25519_AESGCM_SHA256", "Noise_IK_25519_ChaChaPoly_SHA256",
                        "Noise_XX_25519_AESGCM_SHA256", "Noise_XX_25519_ChaChaPoly_SHA256");
    }

    @TestFactory
    Stream<DynamicTest> everyVector() throws IOException {
        List<Map<String, Object>> vectors = vectors();
        return java.util.stream.IntStream.range(0, vectors.size())
                .mapToObj(i -> DynamicTest.dynamicTest(
                        i + ": " + vectors.get(i).get("protocol_name"), () -> run(vectors.get(i))));
    }

    @SuppressWarnings("unchecked")
    private static void run(Map<String, Object> v) {
        String name = (String) v.get("protocol_name");
        String[] parts = name.split("_");
        assertThat(parts).hasSize(5);
        assertThat(parts[2]).isEqualTo("25519");
        assertThat(parts[4]).isEqualTo("SHA256");
        NoiseHandshake.Pattern pattern = NoiseHandshake.Pattern.valueOf(parts[1]);
        PacketAead.Algorithm algorithm = switch (parts[3]) {
            case "AESGCM" -> PacketAead.Algorithm.AES_256_GCM;
            case "ChaChaPoly" -> PacketAead.Algorithm.CHACHA20_POLY1305;
            default -> throw new AssertionError("unknown cipher " + parts[3]);
        };

        X25519KeyPair initStatic = key(v, "init_static");
        X25519KeyPair respStatic = key(v, "resp_static");
        byte[] initRemoteStatic = v.containsKey("init_remote_static") ? bytes(v, "init_remote_static") : null;
        NoiseHandshake initiator = NoiseHandshake.initiator(pattern, algorithm, initStatic, initRemoteStatic, bytes(v, "init_prologue"));
        NoiseHandshake responder = NoiseHandshake.responder(pattern, algorithm, respStatic, bytes(v, "resp_prologue"));
        assertThat(initiator.protocolName()).isEqualTo(name);
        initiator.useEphemeralForTesting(key(v, "init_ephemeral"));
        responder.useEphemeralForTesting(key(v, "resp_ephemeral"));

        NoiseTransport initTransport = null;
        NoiseTransport respTransport = null;
        List<Map<String, Object>> messages = (List<Map<String, Object>>) v.get("messages");
        assertThat(messages).isNotEmpty();
        int handshakeMessages = 0;
        for (int i = 0; i < messages.size(); i++) {
            byte[] payload = bytes(messages.get(i), "payload");
            String expected = (String) messages.get(i).get("ciphertext");
            boolean fromInitiator = i % 2 == 0;
            if (initTransport == null) {
                NoiseHandshake writer = fromInitiator ? initiator : responder;
                NoiseHandshake reader = fromInitiator ? responder : initiator;
                byte[] message = writer.writeMessage(payload);
                assertThat(Hex.encode(message)).as("%s handshake message %d", name, i).isEqualTo(expected);
                assertThat(reader.readMessage(message)).as("%s payload %d", name, i).isEqualTo(payload);
                handshakeMessages++;
                if (initiator.isComplete()) {
                    assertThat(responder.isComplete()).isTrue();
                    String hash = (String) v.get("handshake_hash");
                    assertThat(Hex.encode(initiator.handshakeHash())).as("%s handshake hash", name).isEqualTo(hash);
                    assertThat(Hex.encode(responder.handshakeHash())).isEqualTo(hash);
                    assertThat(initiator.remoteStatic()).isEqualTo(respStatic.publicKey());
                    assertThat(responder.remoteStatic()).isEqualTo(initStatic.publicKey());
                    initTransport = initiator.split();
                    respTransport = responder.split();
                    assertThat(initTransport.sendKey()).isEqualTo(respTransport.receiveKey());
                    assertThat(initTransport.receiveKey()).isEqualTo(respTransport.sendKey());
                }
            } else {
                NoiseTransport writer = fromInitiator ? initTransport : respTransport;
                NoiseTransport reader = fromInitiator ? respTransport : initTransport;
                byte[] message = writer.encrypt(payload);
                assertThat(Hex.encode(message)).as("%s transport message %d", name, i).isEqualTo(expected);
                assertThat(reader.decrypt(message)).as("%s transport payload %d", name, i).isEqualTo(payload);
            }
        }
        assertThat(handshakeMessages).isEqualTo(pattern == NoiseHandshake.Pattern.IK ? 2 : 3);
        assertThat(initTransport).as("the vector must complete the handshake").isNotNull();
    }

    private static X25519KeyPair key(Map<String, Object> v, String field) {
        return X25519KeyPair.fromPrivateKey(bytes(v, field));
    }

    private static byte[] bytes(Map<String, Object> v, String field) {
        Object value = v.get(field);
        assertThat(value).as("field %s", field).isInstanceOf(String.class);
        return Hex.decode((String) value);
    }
}
