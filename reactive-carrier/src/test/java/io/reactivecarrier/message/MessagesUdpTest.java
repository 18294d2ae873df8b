package io.reactivecarrier.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.core.MessageTooLargeException;
import io.reactivecarrier.core.UnknownFriendException;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.dht.NodeInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Two message nodes and a few DHT storage nodes on real UDP sockets on 127.0.0.1. */
class MessagesUdpTest {

    static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    final List<MsgNode.DhtOnly> storage = new ArrayList<>();
    final List<MsgNode> nodes = new ArrayList<>();
    List<NodeInfo> boot;

    static MessageOptions fast() {
        return MessageOptions.create().offlineAfter(Duration.ofSeconds(1)).connectRetry(Duration.ofMillis(500))
                .mailboxPoll(Duration.ofSeconds(1)).retransmitTimeout(Duration.ofMillis(500));
    }

    @BeforeEach
    void storageNodes() {
        MsgNode.DhtOnly first = MsgNode.dhtOnly(List.of());
        storage.add(first);
        for (int i = 0; i < 4; i++) {
            storage.add(MsgNode.dhtOnly(List.of(first.info())));
        }
        boot = List.of(first.info());
    }

    @AfterEach
    void stopAll() {
        nodes.forEach(MsgNode::stop);
        storage.forEach(MsgNode.DhtOnly::stop);
    }

    MsgNode node(String name, MessageOptions options, UserId... friends) {
        return node(name, options, 0, friends);
    }

    MsgNode node(String name, MessageOptions options, int port, UserId... friends) {
        MsgNode n = MsgNode.start(dir.resolve(name), boot, options, port, friends);
        nodes.add(n);
        return n;
    }

    static Thread loopThread(MsgNode n) {
        return Mono.fromCallable(Thread::currentThread).subscribeOn(n.links.scheduler()).block(T);
    }

    /** Holds {@code n}'s store thread with a transaction that waits until the returned latch is counted down. */
    static java.util.concurrent.CountDownLatch holdStore(MsgNode n) throws InterruptedException {
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        n.store.transaction(tx -> {
            held.countDown();
            try {
                return release.await(T.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }).subscribe();
        assertThat(held.await(T.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return release;
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void messagesArriveOnceInOrderWithReceipts() {
        MsgNode alice = node("alice", fast());
        MsgNode bob = node("bob", fast());
        alice.befriend(bob);
        List<Message> got = new CopyOnWriteArrayList<>();
        Set<Thread> handedOutOn = ConcurrentHashMap.newKeySet();
        bob.messages.incoming().subscribe(m -> {
            handedOutOn.add(Thread.currentThread());
            got.add(m);
        });
        List<Receipt> receipts = new CopyOnWriteArrayList<>();
        Set<Thread> receiptsOn = ConcurrentHashMap.newKeySet();
        alice.messages.receipts().subscribe(r -> {
            receiptsOn.add(Thread.currentThread());
            receipts.add(r);
        });

        int count = 300;
        List<MessageId> ids = Flux.range(0, count)
                .concatMap(i -> alice.messages.enqueue(bob.userId(), "m" + i))
                .collectList().block(T);
        await().atMost(T).until(() -> got.size() >= count);
        assertThat(got).extracting(Message::text).containsExactlyElementsOf(
                Flux.range(0, count).map(i -> "m" + i).collectList().block(T));
        assertThat(got).extracting(Message::id).containsExactlyElementsOf(ids);
        assertThat(got).allSatisfy(m -> {
            assertThat(m.sender()).isEqualTo(alice.userId());
            assertThat(m.offline()).isFalse();
            assertThat(m.redelivered()).isFalse();
        });
        for (MessageId id : ids) {
            Receipt r = alice.messages.delivered(id).block(T);
            assertThat(r.status()).isEqualTo(Receipt.Status.DELIVERED);
            assertThat(r.friend()).isEqualTo(bob.userId());
        }
        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == 0);
        // messages and receipts are signalled on the node's event loop (Messages, docs/messages.md)
        assertThat(handedOutOn).containsExactly(loopThread(bob));
        assertThat(receiptsOn).containsExactly(loopThread(alice));
        // and back the other way
        bob.messages.send(alice.userId(), "reply").block(T);
        assertThat(alice.messages.incoming().blockFirst(T).text()).isEqualTo("reply");
        assertThat(got).hasSize(count);
    }

    @Test
    void cancellingASendAfterTheOutboxCommitKeepsTheMessage() {
        // the offline path waits an hour here: while bob is away nothing completes the send
        MsgNode alice = node("alice", fast().offlineAfter(Duration.ofHours(1)));
        MsgNode bob = node("bob", fast());
        alice.befriend(bob);
        UserId bobId = bob.userId();
        int bobPort = bob.transport.localAddress().getPort();
        bob.stop();
        nodes.remove(bob);
        List<Receipt> receipts = new CopyOnWriteArrayList<>();
        alice.messages.receipts().subscribe(receipts::add);

        AtomicReference<Receipt> outcome = new AtomicReference<>();
        Disposable waiting = alice.messages.send(bobId, "kept").subscribe(outcome::set);
        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == 1);
        waiting.dispose(); // the caller gives up waiting: the message is durable and stays
        assertThat(outcome.get()).isNull();
        assertThat(alice.store.outbox().pending().count().block(T)).isEqualTo(1);

        MsgNode bob2 = node("bob", fast(), bobPort, alice.userId());
        List<Message> got = new CopyOnWriteArrayList<>();
        bob2.messages.incoming().subscribe(got::add);
        await().atMost(T).until(() -> got.size() == 1
                && receipts.stream().anyMatch(r -> r.status() == Receipt.Status.DELIVERED));
        assertThat(got.get(0).text()).isEqualTo("kept");
        assertThat(receipts).filteredOn(r -> r.status() == Receipt.Status.DELIVERED)
                .extracting(Receipt::id).containsExactly(got.get(0).id());
        assertThat(outcome.get()).isNull(); // the cancelled Mono stays silent
        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == 0);
        assertThat(got).hasSize(1);
    }

    @Test
    void sendFailsWhenTheServiceClosesAndTheMessageStaysInTheOutbox() {
        MsgNode alice = node("alice", fast().offlineAfter(Duration.ofHours(1)));
        UserId away = UserId.of(Ed25519KeyPair.generate().publicKey());
        alice.friends.set.add(away);
        reactor.core.publisher.Mono<Receipt> pending = alice.messages.send(away, "later").cache();
        pending.subscribe(r -> { }, e -> { });
        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == 1);
        alice.messages.close().block(T);
        assertThatThrownBy(() -> pending.block(T)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stays in the outbox");
        assertThat(alice.store.outbox().pending().count().block(T)).isEqualTo(1);
    }

    /**
     * A task of the service that throws an {@link Error} (an allocation can, as BlockHound's did
     * from Netty's allocator) must not stop the service: its queue was drained by one task at a
     * time, and an Error left it marked as scheduled with nothing scheduled, for ever.
     */
    @Test
    void aServiceTaskThatThrowsAnErrorDoesNotStopTheService() {
        MsgNode alice = node("alice", fast());
        MsgNode bob = node("bob", fast());
        alice.befriend(bob);
        alice.messages.runForTest(() -> {
            throw new Error("injected failure in a sender's task");
        });
        bob.messages.runForTest(() -> {
            throw new Error("injected failure in a receiver's task");
        });
        assertThat(alice.messages.send(bob.userId(), "after the failures").block(T).status())
                .isEqualTo(Receipt.Status.DELIVERED);
        assertThat(bob.messages.incoming().blockFirst(T).text()).isEqualTo("after the failures");
    }

    @Test
    void misuseFailsFast() {
        MsgNode alice = node("alice", fast().maxMessageBytes(1000));
        UserId stranger = UserId.of(Ed25519KeyPair.generate().publicKey());
        assertThatThrownBy(() -> alice.messages.send(stranger, "hi").block(T))
                .isInstanceOf(UnknownFriendException.class).hasMessageContaining("add the friend first");
        assertThatThrownBy(() -> alice.messages.enqueue(stranger, "hi").block(T))
                .isInstanceOf(UnknownFriendException.class).hasMessageContaining("add the friend first");
        alice.friends.set.add(stranger);
        assertThatThrownBy(() -> alice.messages.send(stranger, new byte[1001]).block(T))
                .isInstanceOf(MessageTooLargeException.class).hasMessageContaining("1000");
        assertThatThrownBy(() -> alice.messages.enqueue(stranger, new byte[1001]).block(T))
                .isInstanceOf(MessageTooLargeException.class).hasMessageContaining("1000");
        alice.messages.incoming().subscribe();
        assertThatThrownBy(() -> alice.messages.incoming().blockFirst(T))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already has a subscriber");
    }

    @Test
    void aFiveMebibyteMessageIsFragmentedAndReassembled() {
        MsgNode alice = node("alice", fast());
        MsgNode bob = node("bob", fast());
        alice.befriend(bob);
        byte[] big = new byte[MessageOptions.DEFAULT_MAX_MESSAGE_BYTES];
        new Random(7).nextBytes(big);
        AtomicReference<Message> got = new AtomicReference<>();
        bob.messages.incoming().subscribe(got::set);
        Receipt receipt = alice.messages.send(bob.userId(), big).block(T);
        assertThat(receipt.status()).isEqualTo(Receipt.Status.DELIVERED);
        MessageId id = receipt.id();
        Receipt again = alice.messages.delivered(id).block(T); // (its own atMillis: when it was asked)
        assertThat(again.id()).isEqualTo(id);
        assertThat(again.status()).isEqualTo(Receipt.Status.DELIVERED);
        assertThat(again.friend()).isEqualTo(bob.userId());
        await().atMost(T).until(() -> got.get() != null);
        assertThat(got.get().id()).isEqualTo(id);
        assertThat(got.get().body()).isEqualTo(big);
        assertThatThrownBy(() -> alice.messages.send(bob.userId(), new byte[big.length + 1]).block(T))
                .isInstanceOf(MessageTooLargeException.class).hasMessageContaining(String.valueOf(big.length));
    }

    @Test
    void aSlowSubscriberHoldsTheSenderBack() {
        MsgNode alice = node("alice", fast());
        MsgNode bob = node("bob", fast().inbox(50, 1 << 20));
        alice.befriend(bob);
        List<Message> got = new CopyOnWriteArrayList<>();
        AtomicReference<Subscription> sub = new AtomicReference<>();
        bob.messages.incoming().subscribe(new BaseSubscriber<Message>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                sub.set(s); // no demand yet
            }

            @Override
            protected void hookOnNext(Message m) {
                got.add(m);
            }
        });
        int count = 200;
        Flux.range(0, count).concatMap(i -> alice.messages.enqueue(bob.userId(), "m" + i)).then().block(T);
        await().atMost(T).until(() -> bob.messages.inboxCount() == 50);
        // the inbox stays at its bound; the rest waits in alice's outbox
        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == count - 50);
        assertThat(bob.messages.inboxCount()).isEqualTo(50);
        assertThat(got).isEmpty();
        sub.get().request(10);
        await().atMost(T).until(() -> got.size() == 10);
        sub.get().request(Long.MAX_VALUE);
        await().atMost(T).until(() -> got.size() >= count);
        assertThat(got).extracting(Message::text).containsExactlyElementsOf(
                Flux.range(0, count).map(i -> "m" + i).collectList().block(T));
        Set<MessageId> unique = new HashSet<>();
        got.forEach(m -> assertThat(unique.add(m.id())).isTrue());
    }

    /**
     * A subscriber that cancels in the middle of a hand-out: the messages of that hand-out it did
     * not take go to the next subscriber, in order, once, unflagged. First with the messages
     * waiting in the inbox, then with messages arriving and handed out in the commit that stores
     * them (the receiver's store held meanwhile, so that they arrive as one batch).
     */
    @Test
    void aSubscriberThatLeavesInTheMiddleOfAHandOutLosesNothing() throws Exception {
        MsgNode alice = node("alice", fast());
        MsgNode bob = node("bob", fast());
        alice.befriend(bob);
        int count = 100;
        Flux.range(0, count).concatMap(i -> alice.messages.enqueue(bob.userId(), "m" + i)).then().block(T);
        await().atMost(T).until(() -> bob.messages.inboxCount() == count);
        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == 0);

        List<Message> got = new CopyOnWriteArrayList<>();
        // all 100 are handed out in one go; takeUntil cancels after the third and drops what follows
        bob.messages.incoming().takeUntil(m -> m.text().equals("m2")).subscribe(got::add);
        await().atMost(T).until(() -> got.size() == 3);
        Thread.sleep(200);
        List<Message> rest = new CopyOnWriteArrayList<>();
        Disposable second = bob.messages.incoming().subscribe(rest::add);
        await().atMost(T).until(() -> got.size() + rest.size() >= count);

        // now messages that arrive: bob's store is held, so that after the commit of the first read's
        // frames (no subscriber then: to the inbox) the rest queue up for one commit, which hands them out
        // with no inbox record (the hand-out on arrival waits behind the queued ones)
        second.dispose();
        java.util.concurrent.CountDownLatch release = holdStore(bob);
        Thread.sleep(200);
        Flux.range(count, count).concatMap(i -> alice.messages.enqueue(bob.userId(), "m" + i)).then().block(T);
        Thread.sleep(500);
        List<Message> third = new CopyOnWriteArrayList<>();
        bob.messages.incoming().takeUntil(m -> m.text().equals("m" + (count + count / 2 - 1))).subscribe(third::add);
        Thread.sleep(200);
        release.countDown();
        await().atMost(T).until(() -> third.size() == count / 2);
        Thread.sleep(200);
        List<Message> last = new CopyOnWriteArrayList<>();
        bob.messages.incoming().subscribe(last::add);
        await().atMost(T).until(() -> got.size() + rest.size() + third.size() + last.size() >= 2 * count);

        List<Message> all = new ArrayList<>(got);
        all.addAll(rest);
        all.addAll(third);
        all.addAll(last);
        assertThat(all).extracting(Message::text).containsExactlyElementsOf(
                Flux.range(0, 2 * count).map(i -> "m" + i).collectList().block(T));
        assertThat(all).noneMatch(Message::redelivered);
        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == 0);
        Thread.sleep(300);
        assertThat(got.size() + rest.size() + third.size() + last.size()).isEqualTo(2 * count);
    }

    @Test
    void anOfflineFriendGetsTheMessagesThroughTheMailbox() {
        MsgNode alice = node("alice", fast());
        MsgNode bob = node("bob", fast());
        alice.befriend(bob);
        UserId bobId = bob.userId();
        int bobPort = bob.transport.localAddress().getPort();
        bob.stop();
        nodes.remove(bob);
        List<Receipt> receipts = new CopyOnWriteArrayList<>();
        alice.messages.receipts().subscribe(receipts::add);
        int count = 20;
        List<MessageId> ids = Flux.range(0, count)
                .concatMap(i -> alice.messages.enqueue(bobId, i == 7 ? new String(new char[3000]).replace('\0', 'x')
                        : "offline " + i))
                .collectList().block(T);
        await().atMost(T).until(() -> receipts.stream()
                .filter(r -> r.status() == Receipt.Status.STORED_OFFLINE).count() == count);

        // alice goes offline too; bob comes back (on his port: a DHT node that comes back with the same id from
        // another port does not see its mailbox, see the report); the mailbox has everything, in order, once
        alice.stop();
        nodes.remove(alice);
        MsgNode bob2 = node("bob", fast(), bobPort, alice.userId());
        List<Message> got = new CopyOnWriteArrayList<>();
        bob2.messages.incoming().subscribe(got::add);
        await().atMost(T).until(() -> got.size() >= count);
        assertThat(got).extracting(Message::id).containsExactlyElementsOf(ids);
        assertThat(got).allSatisfy(m -> assertThat(m.offline()).isTrue());
        // alice comes back: her outbox resumes, the receipts reach her once a link is up, the outbox empties
        MsgNode alice2 = node("alice", fast(), bobId);
        for (MessageId id : ids) {
            assertThat(alice2.messages.delivered(id).block(T).status()).isEqualTo(Receipt.Status.DELIVERED);
        }
        await().atMost(T).until(() -> alice2.store.outbox().pending().count().block(T) == 0);
        // nothing more arrives (the link retransmissions were duplicates)
        bob2.messages.fetchMailbox().block(T);
        assertThat(got).hasSize(count);
    }

    @Test
    void aMessageGoesOutWhileTheSendersStoreIsBusy() throws Exception {
        MsgNode alice = node("alice", fast());
        MsgNode bob = node("bob", fast());
        alice.befriend(bob);
        List<Message> got = new CopyOnWriteArrayList<>();
        bob.messages.incoming().subscribe(got::add);
        // the first message: alice's store numbers it and reserves the sequences after it
        alice.messages.send(bob.userId(), "first").block(T);
        await().atMost(T).until(() -> got.size() == 1);
        // alice's store thread is held: the next message can be numbered and sent without it
        java.util.concurrent.CountDownLatch release = holdStore(alice);
        AtomicReference<MessageId> enqueued = new AtomicReference<>();
        alice.messages.enqueue(bob.userId(), "second").subscribe(enqueued::set);
        try {
            // well before the held transaction gives up (T)
            await().atMost(Duration.ofSeconds(20)).until(() -> got.size() == 2);
            assertThat(got.get(1).text()).isEqualTo("second");
            assertThat(enqueued.get()).as("enqueue() completes only once the outbox holds the message").isNull();
        } finally {
            release.countDown();
        }
        await().atMost(T).until(() -> enqueued.get() != null);
        assertThat(alice.messages.delivered(enqueued.get()).block(T).status()).isEqualTo(Receipt.Status.DELIVERED);
        await().atMost(T).until(() -> alice.store.outbox().pending().count().block(T) == 0);
        assertThat(got).extracting(Message::text).containsExactly("first", "second");
    }

    /**
     * Once a commit has recorded a lease past its cursor, the receiver hands the next messages out
     * on arrival and acknowledges them after {@code onNext}, before any commit of its own: here
     * while its store thread is held.
     */
    @Test
    void aMessageIsHandedOutAndAcknowledgedWhileTheReceiversStoreIsBusy() throws Exception {
        MsgNode alice = node("alice", fast());
        MsgNode bob = node("bob", fast());
        alice.befriend(bob);
        List<Message> got = new CopyOnWriteArrayList<>();
        bob.messages.incoming().subscribe(got::add);
        // the first message goes through a commit of bob's, which records the lease
        assertThat(alice.messages.send(bob.userId(), "first").block(T).status()).isEqualTo(Receipt.Status.DELIVERED);
        java.util.concurrent.CountDownLatch release = holdStore(bob);
        try {
            Receipt r = alice.messages.send(bob.userId(), "second").block(Duration.ofSeconds(20));
            assertThat(r.status()).isEqualTo(Receipt.Status.DELIVERED);
            assertThat(got).extracting(Message::text).containsExactly("first", "second");
            assertThat(got).noneMatch(Message::redelivered);
        } finally {
            release.countDown();
        }
        assertThat(alice.messages.send(bob.userId(), "third").block(T).status()).isEqualTo(Receipt.Status.DELIVERED);
        assertThat(got).extracting(Message::text).containsExactly("first", "second", "third");
    }
}
