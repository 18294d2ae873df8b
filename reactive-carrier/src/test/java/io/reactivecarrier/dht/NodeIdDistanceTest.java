package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The word-wise distance comparison and prefix length against a byte-by-byte reference. */
class NodeIdDistanceTest {

    static int referenceCompare(byte[] t, byte[] a, byte[] b) {
        for (int i = 0; i < NodeId.LENGTH; i++) {
            int da = (a[i] ^ t[i]) & 0xff;
            int db = (b[i] ^ t[i]) & 0xff;
            if (da != db) {
                return da < db ? -1 : 1;
            }
        }
        return 0;
    }

    static int referencePrefix(byte[] a, byte[] b) {
        for (int i = 0; i < NodeId.LENGTH; i++) {
            int x = (a[i] ^ b[i]) & 0xff;
            if (x != 0) {
                return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
            }
        }
        return NodeId.BITS;
    }

    @Test
    void agreesWithTheByteWiseDefinition() {
        Random r = new Random(5);
        for (int n = 0; n < 20_000; n++) {
            byte[] t = new byte[32];
            byte[] a = new byte[32];
            byte[] b = new byte[32];
            r.nextBytes(t);
            r.nextBytes(a);
            // ids sharing long prefixes with each other and with the target, down to equal ids
            int shared = r.nextInt(33);
            System.arraycopy(t, 0, a, 0, shared);
            b = a.clone();
            int flip = r.nextInt(257);
            if (flip < 256) {
                b[flip / 8] ^= (byte) (0x80 >> (flip % 8));
            }
            NodeId target = NodeId.of(t);
            NodeId x = NodeId.of(a);
            NodeId y = NodeId.of(b);
            assertThat(Integer.signum(target.compareDistance(x, y))).isEqualTo(referenceCompare(t, a, b));
            assertThat(Integer.signum(target.compareDistance(y, x))).isEqualTo(referenceCompare(t, b, a));
            assertThat(x.commonPrefixLength(y)).isEqualTo(referencePrefix(a, b));
            assertThat(target.commonPrefixLength(x)).isEqualTo(referencePrefix(t, a));
        }
    }
}
