/**
 * The facade of reactive-carrier: {@link io.reactivecarrier.Carrier#builder()} configures a
 * {@link io.reactivecarrier.CarrierNode}, which owns one identity, one UDP socket, one DHT membership and
 * one data directory, and exposes friends, messages, streams and the DHT.
 *
 * <pre>{@code
 * CarrierNode node = Carrier.builder().dataDir(Path.of("alice")).build();
 * node.start().block(Duration.ofSeconds(30));
 * node.friends().requests().flatMap(FriendRequest::accept).subscribe();
 * node.messages().incoming().subscribe(m -> log.info("{}: {}", m.sender().shortString(), m.text()));
 * }</pre>
 */
package io.reactivecarrier;
