package io.reactivecarrier.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class AddressTest {

    private static final byte[] KEY = HexFormat.of()
            .parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

    @Test
    void documentedVector() {
        Address a = Address.of(UserId.of(KEY), 0x01020304);
        // the same values stand in docs/PROTOCOL.md, section "Addresses"
        assertThat(a.userId().toString()).isEqualTo("FVen3X669xLzsi6N2V91DoiyzHzg1uAgqiT8jZ9nS96Z");
        assertThat(a.toString()).isEqualTo("Bhd7wTW6YbmjTeuX5mJVbZ6zL3BPqEfUUToEfYfCMB1G6ZAdWe1tzc9");
        assertThat(checksumHex()).isEqualTo("001d0f52");
        assertThat(HexFormat.of().formatHex(a.toBytes())).isEqualTo(
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" + "01020304" + checksumHex());
        assertThat(a.toString()).isEqualTo(Base58.encode(a.toBytes()));
    }

    private static String checksumHex() {
        try {
            byte[] head = new byte[36];
            System.arraycopy(KEY, 0, head, 0, 32);
            head[32] = 1;
            head[33] = 2;
            head[34] = 3;
            head[35] = 4;
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(head);
            return HexFormat.of().formatHex(Arrays.copyOf(d, 4));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Property(tries = 200)
    void roundTrip(@ForAll @Size(32) byte[] key, @ForAll int nospam) {
        Address a = Address.of(UserId.of(key), nospam);
        Address parsed = Address.parse(a.toString());
        assertThat(parsed).isEqualTo(a).hasSameHashCodeAs(a);
        assertThat(parsed.userId().toBytes()).isEqualTo(key);
        assertThat(parsed.nospam()).isEqualTo(nospam);
        assertThat(UserId.parse(a.userId().toString())).isEqualTo(a.userId());
    }

    @Test
    void typoIsABadChecksum() {
        String text = Address.of(UserId.of(KEY), 7).toString();
        char c = text.charAt(10);
        String typo = text.substring(0, 10) + (c == 'a' ? 'b' : 'a') + text.substring(11);
        assertThatThrownBy(() -> Address.parse(typo))
                .isInstanceOfSatisfying(InvalidAddressException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidAddressException.Reason.BAD_CHECKSUM))
                .hasMessageContaining("bad checksum");
    }

    @Test
    void truncatedIsWrongLength() {
        String text = Address.of(UserId.of(KEY), 7).toString();
        assertThatThrownBy(() -> Address.parse(text.substring(0, text.length() - 3)))
                .isInstanceOfSatisfying(InvalidAddressException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidAddressException.Reason.WRONG_LENGTH))
                .hasMessageContaining("wrong length");
    }

    @Test
    void userIdGivenWhereAnAddressIsNeededSaysSo() {
        assertThatThrownBy(() -> Address.parse(UserId.of(KEY).toString()))
                .hasMessageContaining("this is a user id, not an address");
        assertThatThrownBy(() -> UserId.parse(Address.of(UserId.of(KEY), 1).toString()))
                .hasMessageContaining("this is an address, not a user id");
    }

    @Test
    void notBase58() {
        assertThatThrownBy(() -> Address.parse("0OIl"))
                .isInstanceOfSatisfying(InvalidAddressException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidAddressException.Reason.NOT_BASE58))
                .hasMessageContaining("not base58");
        assertThatThrownBy(() -> Address.parse(""))
                .isInstanceOf(InvalidAddressException.class);
    }

    @Test
    void nospamChangeKeepsUserId() {
        Address a = Address.of(UserId.of(KEY), 1);
        Address b = a.withNospam(2);
        assertThat(b.userId()).isEqualTo(a.userId());
        assertThat(b).isNotEqualTo(a);
        assertThat(b.toString()).isNotEqualTo(a.toString());
    }

    @Property(tries = 300)
    void randomTextNeverThrowsAnythingElse(@ForAll String text) {
        try {
            Address.parse(text);
        } catch (InvalidAddressException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
