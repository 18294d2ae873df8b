package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.core.UnknownFriendException;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.message.Message;
import io.reactivecarrier.message.MessageId;
import io.reactivecarrier.message.MessageOptions;
import io.reactivecarrier.message.Receipt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Messages between whole nodes ({@code node.messages()}) on real UDP: the message service as the
 * node wires it, over the friends layer's links and mailbox dispatcher.
 */
class NodeMessagesTest {

    private static final Duration T = Duration.ofSeconds(60);

    @RegisterExtension
    final TestNodes nodes = new TestNodes(T, b -> b
            .friendOptions(FriendOptions.create().mailboxPollInterval(Duration.ofSeconds(2))
                    .reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4)))
            .messageOptions(MessageOptions.create().offlineAfter(Duration.ofSeconds(2))));

    private CarrierNode start(String name, CarrierNode... bootstrap) {
        return nodes.start(name, bootstrap);
    }

    @Test
    void friendsExchangeMessagesBothWaysWithReceipts() {
        CarrierNode boot = start("boot");
        CarrierNode alice = start("alice", boot);
        CarrierNode bob = start("bob", boot);
        CarrierNode stranger = start("stranger", boot);
        nodes.befriend(alice, bob);

        int concurrent = 50;
        Mono<List<Message>> atBob = bob.messages().incoming().take(3 + concurrent).collectList().cache();
        atBob.subscribe();
        // send() completes with the receipt: the friend is online, so DELIVERED
        List<Receipt> sent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sent.add(alice.messages().send(bob.userId(), "hello bob " + i).block(T));
        }
        assertThat(sent).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(Receipt.Status.DELIVERED);
            assertThat(r.friend()).isEqualTo(bob.userId());
        });
        // many sends in flight at once: each completes DELIVERED, and they arrive in the order they were sent
        List<Receipt> many = Flux.range(0, concurrent)
                .flatMapSequential(i -> alice.messages().send(bob.userId(), "burst " + i), 16)
                .collectList().block(T);
        assertThat(many).hasSize(concurrent).allSatisfy(r -> assertThat(r.status()).isEqualTo(Receipt.Status.DELIVERED));
        sent.addAll(many);
        List<Message> got = atBob.block(T);
        assertThat(got).extracting(Message::id).containsExactlyElementsOf(sent.stream().map(Receipt::id).toList());
        assertThat(got.subList(0, 3)).extracting(Message::text)
                .containsExactly("hello bob 0", "hello bob 1", "hello bob 2");
        assertThat(alice.messages().delivered(sent.get(2).id()).block(T).status()).isEqualTo(Receipt.Status.DELIVERED);
        // enqueue(): accepted once durable in the outbox; the outcome on delivered(id)
        MessageId queued = alice.messages().enqueue(bob.userId(), "queued").block(T);
        assertThat(alice.messages().delivered(queued).block(T).status()).isEqualTo(Receipt.Status.DELIVERED);

        Mono<Message> atAlice = alice.messages().incoming().next().cache();
        atAlice.subscribe();
        bob.messages().send(alice.userId(), "hi alice").block(T);
        Message reply = atAlice.block(T);
        assertThat(reply.text()).isEqualTo("hi alice");
        assertThat(reply.sender()).isEqualTo(bob.userId());

        // only friends: a stranger's send fails fast and says what to do
        assertThatThrownBy(() -> stranger.messages().send(alice.userId(), "spam").block(T))
                .isInstanceOf(UnknownFriendException.class);
    }

    @Test
    void aMessageToAnOfflineFriendArrivesWhenTheFriendReturns() {
        CarrierNode boot = start("boot");
        List<CarrierNode> storage = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            storage.add(start("dht-" + i, boot));
        }
        CarrierNode alice = start("alice", boot);
        CarrierNode bob = start("bob", boot);
        nodes.befriend(alice, bob);
        io.reactivecarrier.core.UserId bobId = bob.userId();
        io.reactivecarrier.core.UserId aliceId = alice.userId();
        nodes.stop(bob);
        await().atMost(T).until(() -> !alice.friends().presence(bobId).isOnline());

        Mono<Receipt> storedOffline = alice.messages().receipts()
                .filter(r -> r.status() == Receipt.Status.STORED_OFFLINE).next().cache();
        storedOffline.subscribe();
        // bob is offline: send() completes once enough DHT storage nodes hold the sealed message
        Receipt receipt = alice.messages().send(bobId, "while you were away").block(T);
        assertThat(receipt.status()).isEqualTo(Receipt.Status.STORED_OFFLINE);
        assertThat(receipt.friend()).isEqualTo(bobId);
        MessageId id = receipt.id();
        assertThat(storedOffline.block(T).id()).isEqualTo(id);

        // alice goes offline too: the DHT alone holds the message
        nodes.stop(alice);
        CarrierNode bobAgain = start("bob", boot);
        Message got = bobAgain.messages().incoming().next().block(T);
        assertThat(got.text()).isEqualTo("while you were away");
        assertThat(got.sender()).isEqualTo(aliceId);
        assertThat(got.offline()).isTrue();
        assertThat(got.id()).isEqualTo(id);
        assertThat(bobAgain.userId()).isEqualTo(bobId);
    }
}
