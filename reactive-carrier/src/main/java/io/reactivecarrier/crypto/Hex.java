package io.reactivecarrier.crypto;

import java.util.HexFormat;

/**
 * Lower-case hexadecimal, for logs of public values and for test vectors.
 *
 * <pre>{@code
 * String hex = Hex.encode(nodeKey.publicKey());   // "9f86d0..."
 * byte[] key = Hex.decode(hex);
 * }</pre>
 */
public final class Hex {

    private static final HexFormat HEX = HexFormat.of();

    private Hex() {
    }

    public static String encode(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    public static byte[] decode(CharSequence hex) {
        return HEX.parseHex(hex);
    }
}
