package io.reactivecarrier.dht;

/**
 * One entry a node agreed to hold, as it is persisted: plain bytes, so any store can keep it.
 *
 * @param key the 32-byte DHT key
 * @param entryId the 32-byte entry id (equal to the key except for sealed values)
 * @param kind 1 immutable, 2 mutable, 3 sealed ({@code value} kinds of docs/protocol/dht.md), 4 peer record
 * @param encoded the value (or peer record) in its wire encoding
 * @param expiresAt expiry, ms on the DHT clock
 * @param source who stored it (an IP address), for the per-source bound
 *
 * <pre>{@code
 * ValueStorePersistence logging = new ValueStorePersistence() {
 *     public void save(StoredEntry e) { log.debug("holding kind {} until {}", e.kind(), e.expiresAt()); }
 *     public void remove(StoredEntry e) { log.debug("dropped an entry from {}", e.source()); }
 *     public Iterable<StoredEntry> loadAll() { return List.of(); }
 * };
 * }</pre>
 */
public record StoredEntry(byte[] key, byte[] entryId, int kind, byte[] encoded, long expiresAt, String source) {
}
