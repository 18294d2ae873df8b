package io.reactivecarrier.samples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.Carrier;
import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.message.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The sample application's friends and messages endpoints, driven with WebTestClient, with a
 * second node (the friend) on loopback UDP; both joined through a bootstrap node, where each
 * finds the other's peer record.
 */
@SpringBootTest(classes = CarrierWebApplication.class)
class FriendsControllerTest {

    private static final Duration T = Duration.ofSeconds(90);
    private static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> SSE =
            new ParameterizedTypeReference<>() { };
    private static CarrierNode boot;
    private static CarrierNode friend;

    @DynamicPropertySource
    static void carrier(DynamicPropertyRegistry registry) throws IOException {
        Path root = Files.createTempDirectory("carrier-friends-web-test");
        boot = Carrier.builder().bindHost("127.0.0.1").dataDir(root.resolve("boot")).build();
        boot.start().block(T);
        friend = Carrier.builder().bindHost("127.0.0.1").dataDir(root.resolve("friend"))
                .bootstrap(boot.bootstrapInfo())
                .friendOptions(FriendOptions.create().mailboxPollInterval(Duration.ofSeconds(2))
                        .reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4)))
                .build();
        friend.start().block(T);
        registry.add("carrier.data-dir", () -> root.resolve("web").toString());
        registry.add("carrier.bind-host", () -> "127.0.0.1");
        registry.add("carrier.bootstrap[0]", () -> boot.bootstrapInfo().toString());
        registry.add("carrier.friends.mailbox-poll-interval", () -> "2s");
        registry.add("carrier.friends.reconnect-min", () -> "500ms");
        registry.add("carrier.friends.reconnect-max", () -> "4s");
    }

    @AfterAll
    static void stopOthers() {
        Flux.just(friend, boot).concatMap(n -> n.stop().onErrorResume(e -> Mono.empty())).then().block(T);
    }

    @Autowired
    ApplicationContext context;

    @Autowired
    CarrierNode node;

    WebTestClient web;

    @BeforeEach
    void client() {
        web = WebTestClient.bindToApplicationContext(context).configureClient().responseTimeout(T).build();
    }

    @Test
    void requestAcceptMessageBothWaysAndTheStreamsShowIt() {
        web.get().uri("/friends/address").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.address").isEqualTo(node.address().toString())
                .jsonPath("$.userId").isEqualTo(node.userId().toString());

        Flux<ServerSentEvent<Map<String, Object>>> friendEvents = web.get().uri("/friends/events")
                .accept(MediaType.TEXT_EVENT_STREAM).exchange().expectStatus().isOk()
                .returnResult(SSE).getResponseBody().filter(e -> e.data() != null);
        Flux<ServerSentEvent<Map<String, Object>>> messageEvents = web.get().uri("/messages/events")
                .accept(MediaType.TEXT_EVENT_STREAM).exchange().expectStatus().isOk()
                .returnResult(SSE).getResponseBody().filter(e -> e.data() != null);

        // the friend asks; the application lists the request and accepts it over HTTP
        StepVerifier.create(friendEvents)
                .then(() -> friend.friends().request(node.address(), "hello from the friend").block(T))
                .expectNextMatches(e -> e.data().get("type").equals("REQUEST")
                        && e.data().get("userId").equals(friend.userId().toString())
                        && e.data().get("hello").equals("hello from the friend"))
                .then(() -> {
                    web.get().uri("/friends/requests").exchange().expectStatus().isOk().expectBody()
                            .jsonPath("$[0].from").isEqualTo(friend.userId().toString())
                            .jsonPath("$[0].hello").isEqualTo("hello from the friend");
                    web.post().uri("/friends/requests/{id}/accept", friend.userId().toString()).exchange()
                            .expectStatus().isOk().expectBody()
                            .jsonPath("$.userId").isEqualTo(friend.userId().toString());
                })
                .thenConsumeWhile(e -> !e.data().get("type").equals("ADDED"))
                .thenConsumeWhile(e -> !e.data().get("type").equals("ONLINE"))
                .thenCancel()
                .verify(T);
        await().atMost(T).until(() -> friend.friends().presence(node.userId()).isOnline());
        web.get().uri("/friends").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$[0].userId").isEqualTo(friend.userId().toString())
                .jsonPath("$[0].online").isEqualTo(true);
        web.get().uri("/friends/requests").exchange().expectStatus().isOk().expectBody().json("[]");

        // the application sends; the friend receives
        Mono<Message> atFriend = friend.messages().incoming().next().cache();
        atFriend.subscribe();
        web.post().uri("/friends/{id}/messages", friend.userId().toString()).contentType(MediaType.TEXT_PLAIN)
                .bodyValue("hello over http").exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.to").isEqualTo(friend.userId().toString())
                .jsonPath("$.status").isEqualTo("DELIVERED")
                .jsonPath("$.id").isNotEmpty();
        Message got = atFriend.block(T);
        assertThat(got.text()).isEqualTo("hello over http");
        assertThat(got.sender()).isEqualTo(node.userId());

        // the friend answers; the message stream shows it
        StepVerifier.create(messageEvents)
                .then(() -> friend.messages().send(node.userId(), "hello back").block(T))
                .assertNext(e -> {
                    assertThat(e.event()).isEqualTo("message");
                    assertThat(e.data()).containsEntry("from", friend.userId().toString())
                            .containsEntry("text", "hello back");
                })
                .thenCancel()
                .verify(T);
    }

    @Test
    void mistakesAreClearHttpErrors() {
        web.post().uri("/friends/requests").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("address", "not-an-address", "hello", "hi")).exchange()
                .expectStatus().isBadRequest();
        web.post().uri("/friends/requests").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("hello", "hi")).exchange()
                .expectStatus().isBadRequest();
        web.post().uri("/friends/requests").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("address", node.address().toString())).exchange()
                .expectStatus().isBadRequest();
        web.post().uri("/friends/{id}/messages", boot.userId().toString()).contentType(MediaType.TEXT_PLAIN)
                .bodyValue("to a stranger").exchange()
                .expectStatus().isNotFound()
                .expectBody(String.class).value(text -> assertThat(text).contains("is not a friend"));
        web.post().uri("/friends/requests/{id}/accept", boot.userId().toString()).exchange()
                .expectStatus().isNotFound();
        web.post().uri("/friends/requests/{id}/refuse", "0OIl").exchange().expectStatus().isBadRequest();
    }
}
