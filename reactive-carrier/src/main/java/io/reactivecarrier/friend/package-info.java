/**
 * Friends: requests (direct or through the DHT mailbox), accept and refuse, presence,
 * profiles, labels and events, reached as {@code node.friends()} ({@link io.reactivecarrier.friend.Friends}).
 */
package io.reactivecarrier.friend;
