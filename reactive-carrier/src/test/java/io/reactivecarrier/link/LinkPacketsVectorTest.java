package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.Hex;
import io.reactivecarrier.crypto.PacketAead;
import io.reactivecarrier.crypto.X25519KeyPair;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The vectors of {@code docs/protocol/link.md}, section "Vectors": the same values stand there.
 * A change to a layout or a derivation changes both in the same commit.
 */
class LinkPacketsVectorTest {

    static final byte[] STATIC_PRIVATE = Hex.decode("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
    /** RFC 8032 test 1 secret key. */
    static final byte[] IDENTITY_SEED = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

    static final String STATIC_PUBLIC = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c";
    static final String MAC1_KEY = "5219dafa93aef495dc68c6feb5a67a2c06d778da76d27f0fcef2807694140ea3";
    static final String COOKIE_KEY = "b34a119a51e0320038a3b6a2c2559802e47a8bd48cbccd5cc2478c25f047d632";
    static final String BINDING = "aedb41f5a1b8afe5321a3b639901bffed705aa9641fa4f78b8fbb14878edf0cc"
            + "f039356a8975355ba613053e72055b32915c67eb0f7d4e366efd532bcb97d900";
    static final String MAC1 = "7d673b3b091aa9295ab177f242a3c555";
    static final String COOKIE = "281c614de51b201dcaa5c6d98ac59010";
    static final String DATA_PACKET = "1301010203040000000000000007ca49e12fb8001be6df6947a05b523beef97dfe707966";

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
        LinkPackets packets = new LinkPackets();
        ByteBuf init = Unpooled.buffer(LinkPackets.INIT_LENGTH);
        init.writeByte(0x10).writeByte(0x01).writeInt(1).writeZero(LinkPackets.INIT_LENGTH - 6);
        check("mac1", MAC1, Hex.encode(packets.writeMac(LinkPackets.mac1Key(pub), init, LinkPackets.INIT_MAC1)));
        assertThat(packets.checkMac(LinkPackets.mac1Key(pub), init, LinkPackets.INIT_MAC1)).isTrue();

        // cookie of 192.0.2.1:33445 under an all-zero secret
        byte[] cookie = packets.cookie(new byte[32], new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1}), 33445));
        check("cookie", COOKIE, Hex.encode(cookie));

        // DATA: receiver index 01020304, counter 7, frame type 7, payload "hello", key 32 x 0x42
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) 0x42);
        ByteBuf header = Unpooled.buffer(LinkPackets.DATA_HEADER).writeByte(0x13).writeByte(0x01).writeInt(0x01020304).writeLong(7);
        ByteBuf plain = Unpooled.buffer().writeByte(7).writeBytes("hello".getBytes(StandardCharsets.US_ASCII));
        ByteBuf packet = Unpooled.buffer().writeBytes(header, 0, LinkPackets.DATA_HEADER);
        PacketAead.create(PacketAead.Algorithm.AES_256_GCM, key).seal(7, header, plain, packet);
        assertThat(packet.readableBytes()).isEqualTo(LinkPackets.DATA_OVERHEAD + 5);
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
