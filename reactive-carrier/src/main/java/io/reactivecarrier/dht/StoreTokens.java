package io.reactivecarrier.dht;

import java.security.GeneralSecurityException;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.random.RandomGenerator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Write tokens bound to the requester's address: the first 8 bytes of HMAC-SHA256(secret,
 * IP || port). The secret rotates every {@code rotationMs} (lazily, on use); a token made with the
 * previous secret is still accepted, so a token lives between one and two rotation periods.
 */
final class StoreTokens {

    private final RandomGenerator random;
    private final long rotationMs;
    private byte[] current;
    private byte[] previous;
    private long rotatedAt;

    StoreTokens(RandomGenerator random, long rotationMs, long now) {
        this.random = random;
        this.rotationMs = rotationMs;
        this.current = secret();
        this.previous = secret();
        this.rotatedAt = now;
    }

    private byte[] secret() {
        byte[] s = new byte[32];
        random.nextBytes(s);
        return s;
    }

    private void rotate(long now) {
        while (now - rotatedAt >= rotationMs) {
            previous = current;
            current = secret();
            rotatedAt += rotationMs;
            if (now - rotatedAt >= 2 * rotationMs) {
                rotatedAt = now - rotationMs; // long idle: one more turn invalidates everything
            }
        }
    }

    private static byte[] mac(byte[] secret, InetSocketAddress a) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(a.getAddress().getAddress());
            mac.update(new byte[] {(byte) (a.getPort() >> 8), (byte) a.getPort()});
            return Arrays.copyOf(mac.doFinal(), DhtCodec.TOKEN_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] issue(InetSocketAddress requester, long now) {
        rotate(now);
        return mac(current, requester);
    }

    boolean valid(byte[] token, InetSocketAddress requester, long now) {
        rotate(now);
        return MessageDigest.isEqual(token, mac(current, requester))
                || MessageDigest.isEqual(token, mac(previous, requester));
    }
}
