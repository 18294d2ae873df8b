/**
 * Cryptographic primitives on the JDK: Ed25519 identities, X25519 key agreement, HKDF,
 * counter-nonce AES-256-GCM packets and HPKE sealed boxes.
 *
 * <pre>{@code
 * Ed25519KeyPair identity = Ed25519KeyPair.generate();
 * byte[] box = SealedBox.seal(IdentityAgreement.publicKey(identity.publicKey()), plaintext, info);
 * byte[] plain = SealedBox.open(IdentityAgreement.keyPair(identity), box, info);
 * }</pre>
 */
package io.reactivecarrier.crypto;
