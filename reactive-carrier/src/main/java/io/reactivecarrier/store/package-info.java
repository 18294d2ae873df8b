/**
 * The node's durable state in its data directory: one MVStore file holding the identity,
 * profile, friends, requests, the message outbox and named key-value maps, with one commit per write
 * and an exclusive lock per directory.
 */
package io.reactivecarrier.store;
