/**
 * The Kademlia DHT: routing table, iterative lookups, stored values, signed peer records,
 * sealed per-user mailboxes, NAT detection and LAN discovery. A node reaches it as
 * {@code node.dht()} ({@link io.reactivecarrier.dht.Dht}).
 */
package io.reactivecarrier.dht;
