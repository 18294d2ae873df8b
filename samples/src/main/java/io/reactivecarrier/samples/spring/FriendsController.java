package io.reactivecarrier.samples.spring;

import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.InvalidAddressException;
import io.reactivecarrier.core.MessageTooLargeException;
import io.reactivecarrier.core.UnknownFriendException;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.friend.Friend;
import io.reactivecarrier.friend.FriendException;
import io.reactivecarrier.friend.FriendRequest;
import io.reactivecarrier.message.Message;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Friends and messages over HTTP: this node's address, friend requests (send, list, accept,
 * refuse), the friend list, messages to a friend, and server-sent-event streams of incoming
 * messages and friend events. Every handler returns the node's {@code Mono} or {@code Flux}.
 *
 * <pre>
 * curl localhost:8080/friends/address
 * curl -H 'Content-Type: application/json' -d '{"address":"6hfE...","hello":"hi"}' localhost:8080/friends/requests
 * curl localhost:8080/friends/requests
 * curl -X POST localhost:8080/friends/requests/8itTmu.../accept
 * curl -H 'Content-Type: text/plain' -d 'hello' localhost:8080/friends/8itTmu.../messages
 * curl -N localhost:8080/messages/events
 * curl -N localhost:8080/friends/events
 * </pre>
 */
@RestController
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
public class FriendsController {

    /** Events buffered per SSE client; a slower client loses the oldest. */
    static final int EVENT_BUFFER = 256;

    private final CarrierNode node;
    private final IncomingMessages incoming;

    public FriendsController(CarrierNode node, IncomingMessages incoming) {
        this.node = node;
        this.incoming = incoming;
    }

    /** This node's address: what a friend types into {@code POST /friends/requests}. */
    public record AddressView(String userId, String address) {
    }

    /** A friend request to send. */
    public record FriendRequestForm(String address, String hello) {
    }

    /** A pending friend request this node received. */
    public record RequestView(String from, String hello, String receivedAt) {
        static RequestView of(FriendRequest r) {
            return new RequestView(r.from().toString(), r.hello(), r.receivedAt().toString());
        }
    }

    /** A friend. */
    public record FriendView(String userId, String label, String name, String presence, boolean online,
            String lastSeen) {
        static FriendView of(Friend f) {
            return new FriendView(f.id().toString(), f.label(), f.name(), f.presence().name(), f.presence().isOnline(),
                    f.lastSeen().toString());
        }
    }

    /** A friend event, or (type {@code REQUEST}) an incoming friend request. */
    public record FriendEventView(String type, String userId, String name, String presence, String hello) {
    }

    /** A message from a friend. */
    public record MessageView(String id, String from, String text, long sentAtMillis, boolean offline) {
        static MessageView of(Message m) {
            return new MessageView(m.id().toString(), m.sender().toString(), m.text(), m.sentAtMillis(), m.offline());
        }
    }

    /**
     * A message that was sent, with its first receipt: {@code DELIVERED} (the friend's node has it) or
     * {@code STORED_OFFLINE} (sealed in the friend's DHT mailbox; delivered when the friend is back).
     */
    public record SentView(String id, String to, String status) {
    }

    @GetMapping("/friends/address")
    public Mono<AddressView> address() {
        return Mono.fromSupplier(() -> new AddressView(node.userId().toString(), node.address().toString()));
    }

    /**
     * Sends a friend request: {@code {"address": "...", "hello": "..."}}. 202 once it reached the
     * node or was stored in the DHT for it; 400 for a bad address, 409 when the library refuses.
     */
    @PostMapping(path = "/friends/requests", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.ACCEPTED)
    public Mono<AddressView> request(@RequestBody FriendRequestForm body) {
        if (body == null || body.address() == null || body.address().isBlank()) {
            return Mono.error(new ResponseStatusException(HttpStatus.BAD_REQUEST,
                    "send {\"address\": \"<the friend's address>\", \"hello\": \"...\"}"));
        }
        Address address = Address.parse(body.address().strip()); // InvalidAddressException: 400
        String hello = body.hello() == null ? "" : body.hello();
        return node.friends().request(address, hello)
                .thenReturn(new AddressView(address.userId().toString(), address.toString()));
    }

    /** The requests this node received and has not answered, oldest first. */
    @GetMapping("/friends/requests")
    public Flux<RequestView> requests() {
        return node.friends().pending().map(RequestView::of);
    }

    /** Accepts the pending request of {@code userId}; the new friend. 404 when there is none. */
    @PostMapping("/friends/requests/{userId}/accept")
    public Mono<FriendView> accept(@PathVariable String userId) {
        return node.friends().accept(userIdOf(userId)).map(FriendView::of);
    }

    /** Refuses (drops) the pending request of {@code userId}; the requester is not told. */
    @PostMapping("/friends/requests/{userId}/refuse")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public Mono<Void> refuse(@PathVariable String userId) {
        return node.friends().refuse(userIdOf(userId));
    }

    /** The friends, with their presence now. */
    @GetMapping("/friends")
    public Flux<FriendView> friends() {
        return node.friends().list().map(FriendView::of);
    }

    /**
     * Sends the text body to a friend and answers with the first receipt (DELIVERED or STORED_OFFLINE).
     * 404 for someone who is not a friend, 413 when too large. A message over the offline size limit to
     * an offline friend waits for the friend; when the client gives up, the message stays in the outbox.
     */
    @PostMapping(path = "/friends/{userId}/messages", consumes = MediaType.TEXT_PLAIN_VALUE)
    public Mono<SentView> send(@PathVariable String userId, @RequestBody String text) {
        UserId to = userIdOf(userId);
        return node.messages().send(to, text)
                .map(r -> new SentView(r.id().toString(), to.toString(), r.status().name()));
    }

    /**
     * Incoming messages as server-sent events (event {@code message}): the last
     * {@value IncomingMessages#RECENT}, then new ones. A slow client loses the oldest of a burst.
     */
    @GetMapping(path = "/messages/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<ServerSentEvent<MessageView>> messageEvents() {
        Flux<ServerSentEvent<MessageView>> messages = incoming.messages()
                .onBackpressureBuffer(EVENT_BUFFER, dropped -> { }, BufferOverflowStrategy.DROP_OLDEST)
                .map(m -> ServerSentEvent.builder(MessageView.of(m)).id(m.id().toString()).event("message").build());
        return Flux.merge(messages, Mono.just(ServerSentEvent.<MessageView>builder()
                .comment("messages to " + node.userId()).build()));
    }

    /**
     * Friend events as server-sent events (event {@code friend}): incoming requests (type
     * {@code REQUEST}, the pending ones first), and ADDED, REMOVED, ONLINE, OFFLINE, ... A slow
     * client loses the oldest of a burst.
     */
    @GetMapping(path = "/friends/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<ServerSentEvent<FriendEventView>> friendEvents() {
        Flux<FriendEventView> requests = node.friends().requests()
                .map(r -> new FriendEventView("REQUEST", r.from().toString(), "", "OFFLINE", r.hello()));
        Flux<FriendEventView> events = node.friends().events()
                .map(e -> new FriendEventView(e.type().name(), e.id().toString(), e.friend().name(),
                        e.friend().presence().name(), ""));
        Flux<ServerSentEvent<FriendEventView>> all = Flux.merge(events, requests)
                .onBackpressureBuffer(EVENT_BUFFER, dropped -> { }, BufferOverflowStrategy.DROP_OLDEST)
                .map(e -> ServerSentEvent.builder(e).event("friend").build());
        return Flux.merge(all, Mono.just(ServerSentEvent.<FriendEventView>builder()
                .comment("friend events of " + node.userId()).build()));
    }

    @ExceptionHandler(InvalidAddressException.class)
    @ResponseStatus(HttpStatus.BAD_REQUEST)
    public Mono<String> badAddress(InvalidAddressException e) {
        return Mono.just(e.getMessage());
    }

    @ExceptionHandler(UnknownFriendException.class)
    @ResponseStatus(HttpStatus.NOT_FOUND)
    public Mono<String> unknownFriend(UnknownFriendException e) {
        return Mono.just(e.getMessage());
    }

    @ExceptionHandler(MessageTooLargeException.class)
    @ResponseStatus(HttpStatus.PAYLOAD_TOO_LARGE)
    public Mono<String> tooLarge(MessageTooLargeException e) {
        return Mono.just(e.getMessage());
    }

    @ExceptionHandler(FriendException.class)
    public Mono<org.springframework.http.ResponseEntity<String>> friendError(FriendException e) {
        HttpStatus status = switch (e.reason()) {
            case NO_SUCH_REQUEST, NOT_A_FRIEND -> HttpStatus.NOT_FOUND;
            case HELLO_TOO_LONG, PROFILE_TOO_LONG, OWN_ADDRESS -> HttpStatus.BAD_REQUEST;
            case UNDELIVERED, RECIPIENT_FULL, STOPPED -> HttpStatus.SERVICE_UNAVAILABLE;
            default -> HttpStatus.CONFLICT;
        };
        return Mono.just(org.springframework.http.ResponseEntity.status(status).body(e.getMessage()));
    }

    private static UserId userIdOf(String text) {
        try {
            return UserId.parse(text);
        } catch (InvalidAddressException e) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "user id: " + e.getMessage());
        }
    }
}
