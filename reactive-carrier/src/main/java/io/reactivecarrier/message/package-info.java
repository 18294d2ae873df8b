/**
 * Messages between friends, exactly once and in order per sender, over the link with
 * receipts or sealed into the friend's DHT mailbox while it is offline, reached as
 * {@code node.messages()} ({@link io.reactivecarrier.message.Messages}).
 */
package io.reactivecarrier.message;
