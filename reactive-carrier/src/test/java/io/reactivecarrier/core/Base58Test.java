package io.reactivecarrier.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Base58Test {

    /** The Bitcoin Core base58 test vectors (src/test/data/base58_encode_decode.json). */
    @ParameterizedTest
    @CsvSource({
        "'', ''",
        "61, 2g",
        "626262, a3gV",
        "636363, aPEr",
        "00eb15231dfceb60925886b67d065299925915aeb172c06647, 1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
        "516b6fcd0f, ABnLTmg",
        "bf4f89001e670274dd, 3SEo3LWLoPntC",
        "572e4794, 3EFU7m",
        "ecac89cad93923c02321, EJDM8drfXA6uyA",
        "10c8511e, Rt5zm",
        "00000000000000000000, 1111111111",
    })
    void bitcoinVectors(String hex, String text) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        assertThat(Base58.encode(bytes)).isEqualTo(text);
        assertThat(Base58.decode(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @CsvSource({"'simply a long string', 2cFupjhnEsSn59qHXstmK2ffpLv2"})
    void textVector(String plain, String text) {
        assertThat(Base58.encode(plain.getBytes(StandardCharsets.US_ASCII))).isEqualTo(text);
    }

    @Property(tries = 500)
    void roundTrip(@ForAll byte[] bytes) {
        if (bytes.length <= 64) {
            assertThat(Base58.decode(Base58.encode(bytes))).isEqualTo(bytes);
        }
    }

    @Property(tries = 500)
    void arbitraryTextFailsOnlyWithIllegalArgument(@ForAll String text) {
        try {
            Base58.decode(text);
        } catch (IllegalArgumentException expected) {
            assertThat(expected.getMessage()).startsWith("not base58");
        }
    }

    @org.junit.jupiter.api.Test
    void rejectsCharactersOutsideTheAlphabet() {
        assertThatThrownBy(() -> Base58.decode("abc0def"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'0' at position 3");
    }
}
