package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.Hex;
import io.reactivecarrier.crypto.PacketAead;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.testing.DocVectors;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The vectors of {@code docs/protocol/link.md}, section "Vectors", read from that document (inputs
 * and expected outputs), so the document cannot drift from the code.
 */
class LinkPacketsVectorTest {

    static final DocVectors DOC = DocVectors.of("protocol/link.md", "## Vectors");
    static final byte[] STATIC_PRIVATE = Hex.decode(DOC.hex("static private"));
    /** RFC 8032 test 1 secret key. */
    static final byte[] IDENTITY_SEED = Hex.decode(DOC.hex("identity seed"));

    static final String STATIC_PUBLIC = DOC.hex("static public");
    static final String MAC1_KEY = DOC.hex("mac1_key");
    static final String COOKIE_KEY = DOC.hex("cookie_key");
    static final String BINDING = DOC.hex("binding");
    static final String MAC1 = DOC.result("mac1 of INIT");
    static final String COOKIE = DOC.result("cookie");
    static final String DATA_PACKET = DOC.result("DATA");

    static void check(String name, String expected, String actual) {
        assertThat(actual).as(name).isEqualTo(expected);
    }

    @Test
    void documentedVectors() throws Exception {
        X25519KeyPair staticKey = X25519KeyPair.fromPrivateKey(STATIC_PRIVATE);
        byte[] pub = staticKey.publicKey();
        check("static public", STATIC_PUBLIC, Hex.encode(pub));
        check("mac1 key", MAC1_KEY, Hex.encode(LinkPackets.mac1Key(pub)));
        check("cookie key", COOKIE_KEY, Hex.encode(LinkPackets.cookieKey(pub)));

        LinkIdentity identity = new LinkIdentity(Ed25519KeyPair.fromSeed(IDENTITY_SEED), staticKey);
        check("binding", BINDING, Hex.encode(identity.binding()));
        assertThat(LinkIdentity.verifyBinding(identity.userId(), pub, identity.binding())).isTrue();
        assertThat(LinkIdentity.verifyBinding(UserId.of(new byte[32]), pub, identity.binding())).isFalse();

        // mac1 of an INIT whose first 206 bytes are 10 01 00000001 and 200 zero bytes
        assertThat(DOC.entry("mac1 of INIT")).startsWith("packet[0..206) = 10 01 00000001 || 200 zero bytes");
        LinkPackets packets = new LinkPackets();
        ByteBuf init = Unpooled.buffer(LinkPackets.INIT_LENGTH);
        init.writeByte(0x10).writeByte(0x01).writeInt(1).writeZero(LinkPackets.INIT_LENGTH - 6);
        check("mac1", MAC1, Hex.encode(packets.writeMac(LinkPackets.mac1Key(pub), init, LinkPackets.INIT_MAC1)));
        assertThat(packets.checkMac(LinkPackets.mac1Key(pub), init, LinkPackets.INIT_MAC1)).isTrue();

        // cookie of 192.0.2.1:33445 under an all-zero secret
        assertThat(DOC.entry("cookie")).startsWith("secret = 32 zero bytes, source ");
        InetSocketAddress source = new InetSocketAddress(InetAddress.getByName(DOC.find("source ([0-9.]+):")),
                Integer.parseInt(DOC.find("source [0-9.]+:(\\d+)")));
        byte[] cookie = packets.cookie(new byte[32], source);
        check("cookie", COOKIE, Hex.encode(cookie));

        // DATA: receiver index 01020304, counter 7, frame type 7, payload "hello", key 32 x 0x42
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) Integer.parseInt(DOC.find("key = 32 x ([0-9a-f]{2})"), 16));
        int receiver = Integer.parseUnsignedInt(DOC.find("receiver index ([0-9a-f]{8})"), 16);
        long counter = Long.parseLong(DOC.find("counter (\\d+)"));
        int frameType = Integer.parseInt(DOC.find("frame type ([0-9a-f]{2})"), 16);
        byte[] payload = DOC.find("payload \"([^\"]*)\"").getBytes(StandardCharsets.US_ASCII);
        ByteBuf header = Unpooled.buffer(LinkPackets.DATA_HEADER).writeByte(0x13).writeByte(0x01).writeInt(receiver)
                .writeLong(counter);
        ByteBuf plain = Unpooled.buffer().writeByte(frameType).writeBytes(payload);
        ByteBuf packet = Unpooled.buffer().writeBytes(header, 0, LinkPackets.DATA_HEADER);
        PacketAead.create(PacketAead.Algorithm.AES_256_GCM, key).seal(counter, header, plain, packet);
        assertThat(packet.readableBytes()).isEqualTo(LinkPackets.DATA_OVERHEAD + payload.length);
        check("data packet", DATA_PACKET, io.netty.buffer.ByteBufUtil.hexDump(packet));
        init.release();
        header.release();
        plain.release();
        packet.release();
    }

    @Test
    void layoutSizes() {
        assertThat(LinkPackets.INIT_LENGTH).isEqualTo(238);
        assertThat(LinkPackets.RESP_LENGTH).isEqualTo(186);
        assertThat(LinkPackets.COOKIE_PACKET_LENGTH).isEqualTo(62);
        assertThat(LinkPackets.DATA_OVERHEAD).isEqualTo(31);
        assertThat(LinkPackets.NOISE_MSG1).isEqualTo(200);
        assertThat(LinkPackets.NOISE_MSG2).isEqualTo(144);
    }
}
