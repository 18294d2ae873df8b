/**
 * The node's durable state in its data directory: one MVStore file holding the identity,
 * profile, friends, requests, the message outbox and named key-value maps, with one commit per write
 * and an exclusive lock per directory.
 *
 * <pre>{@code
 * NodeStore store = NodeStore.open(Path.of("carrier-data")).block(Duration.ofSeconds(10));
 * store.friends().subscribe(f -> log.info("{}", f.label()));
 * store.close().block();
 * }</pre>
 */
package io.reactivecarrier.store;
