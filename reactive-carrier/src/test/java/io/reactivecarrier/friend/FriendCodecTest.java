package io.reactivecarrier.friend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.wire.DecodeException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FriendCodecTest {

    private final Ed25519KeyPair alice = Ed25519KeyPair.generate();
    private final byte[] bob = Ed25519KeyPair.generate().publicKey();

    @Test
    void requestRoundTripsAndIsSigned() throws Exception {
        byte[] blob = FriendCodec.encodeRequest(alice, bob, 0x01020304, 1234L, "hi, it's Alice ✓");
        FriendCodec.Request r = FriendCodec.decodeRequest(blob);
        assertThat(r.sender()).isEqualTo(alice.publicKey());
        assertThat(r.recipient()).isEqualTo(bob);
        assertThat(r.nospam()).isEqualTo(0x01020304);
        assertThat(r.sentAt()).isEqualTo(1234L);
        assertThat(r.hello()).isEqualTo("hi, it's Alice ✓");
        assertThat(blob.length).isLessThanOrEqualTo(FriendCodec.REQUEST_MAX);
    }

    @Test
    void everyTamperedByteOfARequestIsRejected() {
        byte[] blob = FriendCodec.encodeRequest(alice, bob, 7, 99L, "hello");
        for (int i = 0; i < blob.length; i++) {
            byte[] bad = blob.clone();
            bad[i] ^= 0x01;
            assertThatThrownBy(() -> FriendCodec.decodeRequest(bad)).as("byte %d", i)
                    .isInstanceOf(DecodeException.class);
        }
    }

    @Test
    void truncatedOversizedAndRandomRequestsAreRejected() {
        byte[] blob = FriendCodec.encodeRequest(alice, bob, 7, 99L, "hello");
        for (int len = 0; len < blob.length; len++) {
            byte[] cut = Arrays.copyOf(blob, len);
            assertThatThrownBy(() -> FriendCodec.decodeRequest(cut)).isInstanceOf(DecodeException.class);
        }
        assertThatThrownBy(() -> FriendCodec.decodeRequest(Arrays.copyOf(blob, blob.length + 1)))
                .isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> FriendCodec.decodeRequest(new byte[FriendCodec.REQUEST_MAX + 1]))
                .isInstanceOf(DecodeException.class);
        Random random = new Random(1);
        for (int i = 0; i < 500; i++) {
            byte[] junk = new byte[random.nextInt(FriendCodec.REQUEST_MAX + 10)];
            random.nextBytes(junk);
            assertThatThrownBy(() -> FriendCodec.decodeRequest(junk)).isInstanceOf(DecodeException.class);
        }
        assertThatThrownBy(() -> FriendCodec.encodeRequest(alice, bob, 7, 99L, "x".repeat(Friends.MAX_HELLO_BYTES + 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void profileAndNoticesRoundTripAndRejectMalformedInput() throws Exception {
        FriendCodec.Profile p = new FriendCodec.Profile(42, Presence.AWAY, "Alice", "on the moon");
        byte[] frame = FriendCodec.encodeProfile(p);
        assertThat(FriendCodec.decodeProfile(frame)).isEqualTo(p);
        for (int len = 0; len < frame.length; len++) {
            byte[] cut = Arrays.copyOf(frame, len);
            assertThatThrownBy(() -> FriendCodec.decodeProfile(cut)).isInstanceOf(DecodeException.class);
        }
        byte[] offline = frame.clone();
        offline[9] = (byte) Presence.OFFLINE.ordinal();
        assertThatThrownBy(() -> FriendCodec.decodeProfile(offline)).isInstanceOf(DecodeException.class);
        byte[] badUtf8 = FriendCodec.encodeProfile(new FriendCodec.Profile(1, Presence.ONLINE, "ab", ""));
        badUtf8[11] = (byte) 0xff;
        assertThatThrownBy(() -> FriendCodec.decodeProfile(badUtf8)).isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> FriendCodec.decodeProfile(new byte[FriendCodec.PROFILE_MAX + 1]))
                .isInstanceOf(DecodeException.class);

        assertThat(FriendCodec.decodeNotice(FriendCodec.encodeNotice(777L))).isEqualTo(777L);
        assertThatThrownBy(() -> FriendCodec.decodeNotice(new byte[8])).isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> FriendCodec.decodeNotice(new byte[10])).isInstanceOf(DecodeException.class);
    }
}
