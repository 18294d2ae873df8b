package io.reactivecarrier.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Copies of a message that arrive while the first copy is on its way to the store: the receiver
 * recognises them by sequence number (there is no record of received ids), stores and hands out
 * the message once, and acknowledges every copy.
 */
class MessagesDedupeTest {

    private static final Duration T = MsgNode.T;

    @TempDir
    Path dir;

    @Test
    void copiesArrivingWhileTheFirstIsBeingStoredAreStoredAndHandedOutOnce() throws Exception {
        MsgNode.DhtOnly boot = MsgNode.dhtOnly(List.of());
        MsgNode bob = MsgNode.start(dir.resolve("bob"), List.of(boot.info()), MessageOptions.create(), 0);
        try {
            UserId alice = UserId.of(Ed25519KeyPair.generate().publicKey());
            bob.friends.set.add(alice);
            byte[] one = item(1, "one");
            byte[] two = item(2, "two");
            // hold the store's thread: message 1's commit waits behind it, and meanwhile the two copies of
            // message 2 queue up for the next commit (one batch), while a third copy of message 1 queues too
            CountDownLatch release = new CountDownLatch(1);
            Mono<String> blocker = bob.store.transaction(tx -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "released";
            });
            blocker.subscribe();
            Mono<Void> first = bob.messages.onMailboxItem(alice, one).cache();
            Mono<Void> twoA = bob.messages.onMailboxItem(alice, two).cache();
            Mono<Void> twoB = bob.messages.onMailboxItem(alice, two).cache();
            Mono<Void> oneAgain = bob.messages.onMailboxItem(alice, one).cache();
            first.subscribe(null, e -> { });
            twoA.subscribe(null, e -> { });
            twoB.subscribe(null, e -> { });
            oneAgain.subscribe(null, e -> { });
            Thread.sleep(300); // the service thread queues all four (microseconds); the store is held
            release.countDown();
            for (Mono<Void> copy : List.of(first, twoA, twoB, oneAgain)) {
                StepVerifier.create(copy).expectComplete().verify(T); // stored or known: the item may be deleted
            }
            // no subscriber so far: both wait in the inbox, once each
            StepVerifier.create(bob.messages.incoming().map(m -> new String(m.body(), StandardCharsets.UTF_8)))
                    .expectNext("one", "two")
                    .expectNoEvent(Duration.ofMillis(500))
                    .thenCancel()
                    .verify(T);
            assertThat(counter(bob, "carrier.messages.received")).as("stored once each").isEqualTo(2);
            assertThat(counter(bob, "carrier.messages.duplicates")).as("the other copies").isEqualTo(2);
            assertThat(bob.messages.inboxCount()).isLessThanOrEqualTo(2);
        } finally {
            bob.stop();
            boot.stop();
        }
    }

    private static byte[] item(long seq, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        return MessageCodec.fragment(MessageId.random().raw(), seq, 1, System.currentTimeMillis(), body, 0, body.length);
    }

    private static double counter(MsgNode n, String name) {
        return n.registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
