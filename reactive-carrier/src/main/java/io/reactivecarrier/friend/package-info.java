/**
 * Friends: requests (direct or through the DHT mailbox), accept and refuse, presence,
 * profiles, labels and events, reached as {@code node.friends()} ({@link io.reactivecarrier.friend.Friends}).
 *
 * <pre>{@code
 * node.friends().request(Address.parse(text), "hi, it's Alice").subscribe();
 * node.friends().requests().flatMap(FriendRequest::accept).subscribe();
 * node.friends().events().subscribe(e -> log.info("{} {}", e.type(), e.friend().id()));
 * }</pre>
 */
package io.reactivecarrier.friend;
