/**
 * Messages between friends, exactly once and in order per sender, over the link with
 * receipts or sealed into the friend's DHT mailbox while it is offline, reached as
 * {@code node.messages()} ({@link io.reactivecarrier.message.Messages}).
 *
 * <pre>{@code
 * node.messages().send(friend, "hello").subscribe(r -> log.info("{}", r.status()));
 * node.messages().incoming().subscribe(m -> log.info("{}: {}", m.sender().shortString(), m.text()));
 * }</pre>
 */
package io.reactivecarrier.message;
