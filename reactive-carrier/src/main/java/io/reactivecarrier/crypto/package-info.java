/**
 * Cryptographic primitives on the JDK: Ed25519 identities, X25519 key agreement, HKDF,
 * counter-nonce AES-256-GCM packets and HPKE sealed boxes.
 */
package io.reactivecarrier.crypto;
