/**
 * Secure links between friends: Noise IK handshakes, counter-nonce AEAD transport with a
 * replay window, keepalives, rekeying, and NAT traversal (hole punching, relays). Higher layers
 * register handlers by link frame type.
 */
package io.reactivecarrier.link;
