package io.reactivecarrier.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * The node's long-term secret keys and its anti-spam value, as stored. The store keeps bytes
 * only; the crypto layer turns them into key pairs. {@link #toString()} never shows the secrets.
 *
 * @param ed25519Seed the Ed25519 private seed (copied)
 * @param x25519Private the X25519 private key (copied)
 * @param nospam the anti-spam value of the address
 *
 * <pre>{@code
 * Ed25519KeyPair signing = Ed25519KeyPair.generate();
 * X25519KeyPair agreement = X25519KeyPair.generate();
 * Mono<StoredIdentity> identity = store.identityOrCreate(
 *         () -> new StoredIdentity(signing.seed(), agreement.privateKey(), 0x1234abcd));
 * }</pre>
 */
public record StoredIdentity(byte[] ed25519Seed, byte[] x25519Private, int nospam) {

    /** Copies the arrays. */
    public StoredIdentity {
        ed25519Seed = Objects.requireNonNull(ed25519Seed, "ed25519Seed").clone();
        x25519Private = Objects.requireNonNull(x25519Private, "x25519Private").clone();
    }

    /** A copy of the Ed25519 seed. */
    @Override
    public byte[] ed25519Seed() {
        return ed25519Seed.clone();
    }

    /** A copy of the X25519 private key. */
    @Override
    public byte[] x25519Private() {
        return x25519Private.clone();
    }

    /** The same keys with another nospam. */
    public StoredIdentity withNospam(int newNospam) {
        return new StoredIdentity(ed25519Seed, x25519Private, newNospam);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredIdentity other
                && Arrays.equals(ed25519Seed, other.ed25519Seed)
                && Arrays.equals(x25519Private, other.x25519Private)
                && nospam == other.nospam;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(ed25519Seed), Arrays.hashCode(x25519Private), nospam);
    }

    @Override
    public String toString() {
        return "StoredIdentity[ed25519Seed=<redacted>, x25519Private=<redacted>, nospam=" + nospam + "]";
    }
}
