/**
 * The Kademlia DHT: routing table, iterative lookups, stored values, signed peer records,
 * sealed per-user mailboxes, NAT detection and LAN discovery. A node reaches it as
 * {@code node.dht()} ({@link io.reactivecarrier.dht.Dht}).
 *
 * <pre>{@code
 * node.dht().findPeer(friend.toBytes())
 *         .subscribe(record -> log.info("{} is at {}", friend, record.endpoints()));
 * node.dht().storeValue(DhtValue.immutable(data, System.currentTimeMillis() + 3_600_000)).subscribe();
 * }</pre>
 */
package io.reactivecarrier.dht;
