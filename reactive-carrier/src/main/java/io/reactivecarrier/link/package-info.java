/**
 * Secure links between friends: Noise IK handshakes, counter-nonce AEAD transport with a
 * replay window, keepalives, rekeying, and NAT traversal (hole punching, relays). Higher layers
 * register handlers by link frame type.
 *
 * <pre>{@code
 * LinkManager links = LinkManager.create(transport, router, identity, DhtPeerResolver.over(dht), LinkOptions.create());
 * links.setAuthorizer(friends::isFriend);
 * links.handle(0x60, (link, payload) -> log.info("{} bytes from {}", payload.readableBytes(), link.peer()));
 * links.connect(friend).subscribe(link -> link.send(0x60, Unpooled.wrappedBuffer(bytes)));
 * }</pre>
 */
package io.reactivecarrier.link;
