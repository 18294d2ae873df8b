package io.reactivecarrier.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.store.KeyValueMap;
import io.reactivecarrier.store.NodeStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

/**
 * What a receiver hands out after a restart, from what its store holds: the inbox and each
 * friend's cursor record (cursor, handed out through, lease). Messages handed out on arrival or in
 * the commit that accepts them have no inbox record, and their receipts go out after
 * {@code onNext}; the record tells a start which inbox entries were surely handed out (deleted, not
 * handed out again), which may have been (handed out again, flagged) and from where the sender's
 * resends are taken again (flagged up to the lease).
 */
class MessagesRestartTest {

    private static final Duration T = MsgNode.T;

    @TempDir
    Path dir;

    private final UserId alice = UserId.of(Ed25519KeyPair.generate().publicKey());
    private MsgNode.DhtOnly boot;
    private MsgNode bob;

    @AfterEach
    void stop() {
        if (bob != null) {
            bob.stop();
        }
        if (boot != null) {
            boot.stop();
        }
    }

    @Test
    void afterACrashTheInboxEntriesOfTheLastHandOutAreFlaggedAndTheResendsTakenInOrder() {
        // a crash after the commit that moved the cursor from 3 to 6 (handing out 4 and 5 from the inbox
        // and 6 without a record), before the hand-out; 2 and 3 were handed out before, their entries not
        // deleted yet; 8 waits for 7
        write(MessageCodec.cursorRecord(6, 3, 6), 2, 3, 4, 5, 8);
        List<Message> got = start();
        await().atMost(T).until(() -> got.size() == 2);
        assertThat(got).extracting(Message::text).containsExactly("m4", "m5");
        assertThat(got).allMatch(Message::redelivered);

        // the sender resends 6 (no receipt went out for it) and sends 7
        for (int seq : new int[] {3, 6, 7}) {
            StepVerifier.create(bob.messages.onMailboxItem(alice, item(seq))).expectComplete().verify(T);
        }
        await().atMost(T).until(() -> got.size() == 5);
        assertThat(got).extracting(Message::text).containsExactly("m4", "m5", "m6", "m7", "m8");
        assertThat(got).extracting(Message::redelivered).containsExactly(true, true, true, false, false);
        await().atMost(T).until(() -> bob.messages.inboxCount() == 0); // 2 and 3 deleted, not handed out
        assertThat(got).hasSize(5);
    }

    @Test
    void afterACrashTheCopiesUpToTheLeaseAreFlagged() {
        // the last durable record moved the cursor to 4 and leased up to 7: 5 and 6 were handed out on
        // arrival and acknowledged, 7 handed out but its receipt died with the process
        write(MessageCodec.cursorRecord(4, 4, 7));
        List<Message> got = start();
        for (int seq : new int[] {7, 8}) { // the sender resends 7; 8 is new
            StepVerifier.create(bob.messages.onMailboxItem(alice, item(seq, 7))).expectComplete().verify(T);
        }
        await().atMost(T).until(() -> got.size() == 2);
        assertThat(got).extracting(Message::text).containsExactly("m7", "m8");
        assertThat(got).extracting(Message::redelivered).containsExactly(true, false);
    }

    /**
     * Within the lease, a message its sender sends for the first time after the restart (link frame
     * 0x20, not 0x22) cannot be one handed out before the crash: not flagged.
     */
    @Test
    void withinTheLeaseAMessageSentForTheFirstTimeIsNotFlagged() {
        boot = MsgNode.dhtOnly(List.of());
        MsgNode sender = MsgNode.start(dir.resolve("sender"), List.of(boot.info()), MessageOptions.create(), 0);
        try {
            NodeStore store = NodeStore.open(dir.resolve("bob")).block(T);
            try {
                store.transaction(tx -> {
                    tx.put(store.map(MessageService.CURSORS), sender.userId().toBytes(), MessageCodec.cursorRecord(0, 0, 100),
                            Long.MAX_VALUE);
                    return true;
                }).block(T);
            } finally {
                store.close().block(T);
            }
            List<Message> got = start();
            sender.befriend(bob);
            sender.messages.send(bob.userId(), "one").block(T);
            sender.messages.send(bob.userId(), "two").block(T);
            await().atMost(T).until(() -> got.size() == 2);
            assertThat(got).extracting(Message::text).containsExactly("one", "two");
            assertThat(got).noneMatch(Message::redelivered);
        } finally {
            sender.stop();
        }
    }

    @Test
    void aRecordWithoutTheSecondValueOwesTheWholeInboxUpToTheCursor() {
        write(MessageCodec.longBytes(5), 2, 3, 4, 5, 7); // as written before the second value
        List<Message> got = start();
        await().atMost(T).until(() -> got.size() == 4);
        StepVerifier.create(bob.messages.onMailboxItem(alice, item(6))).expectComplete().verify(T);
        await().atMost(T).until(() -> got.size() == 6);
        assertThat(got).extracting(Message::text).containsExactly("m2", "m3", "m4", "m5", "m6", "m7");
        assertThat(got).extracting(Message::redelivered).containsExactly(true, true, true, true, false, false);
    }

    @Test
    void aGracefulStopLeavesNothingToHandOutAgain() {
        List<Message> got = start();
        for (int seq = 1; seq <= 3; seq++) {
            StepVerifier.create(bob.messages.onMailboxItem(alice, item(seq))).expectComplete().verify(T);
        }
        await().atMost(T).until(() -> got.size() == 3);
        bob.stop();
        bob = null;
        NodeStore store = NodeStore.open(dir.resolve("bob")).block(T);
        try {
            byte[] record = store.transaction(tx -> tx.get(store.map(MessageService.CURSORS), alice.toBytes()).orElseThrow())
                    .block(T);
            assertThat(MessageCodec.longAt(record, 0)).isEqualTo(3);
            assertThat(MessageCodec.longAt(record, 8)).as("handed out through").isEqualTo(3);
            assertThat(MessageCodec.longAt(record, 16)).as("no lease: nothing more handed out").isEqualTo(3);
        } finally {
            store.close().block(T);
        }

        List<Message> again = start();
        StepVerifier.create(bob.messages.onMailboxItem(alice, item(3))).expectComplete().verify(T); // a late copy
        StepVerifier.create(bob.messages.onMailboxItem(alice, item(4))).expectComplete().verify(T);
        await().atMost(T).until(() -> again.size() == 1);
        assertThat(again.get(0).text()).isEqualTo("m4");
        assertThat(again.get(0).redelivered()).isFalse();
        await().pollDelay(Duration.ofMillis(300)).atMost(T).until(() -> true);
        assertThat(again).hasSize(1);
    }

    /** Writes bob's store as a crash would have left it: alice's cursor record and these inbox entries. */
    private void write(byte[] cursorRecord, int... inboxSeqs) {
        NodeStore store = NodeStore.open(dir.resolve("bob")).block(T);
        try {
            KeyValueMap inbox = store.map(MessageService.INBOX);
            KeyValueMap cursors = store.map(MessageService.CURSORS);
            store.transaction(tx -> {
                tx.put(cursors, alice.toBytes(), cursorRecord, Long.MAX_VALUE);
                for (int seq : inboxSeqs) {
                    tx.put(inbox, MessageCodec.inboxKey(alice.toBytes(), seq),
                            MessageCodec.inboxHead(seq, System.currentTimeMillis(), false, false, MessageId.random().raw()),
                            text(seq), Long.MAX_VALUE);
                }
                return true;
            }).block(T);
        } finally {
            store.close().block(T);
        }
    }

    /** Starts bob with alice as a friend and a subscriber on its incoming messages. */
    private List<Message> start() {
        if (boot == null) {
            boot = MsgNode.dhtOnly(List.of());
        }
        bob = MsgNode.start(dir.resolve("bob"), List.of(boot.info()), MessageOptions.create(), 0);
        bob.friends.set.add(alice);
        List<Message> got = new CopyOnWriteArrayList<>();
        bob.messages.incoming().subscribe(got::add);
        return got;
    }

    private static byte[] text(int seq) {
        return ("m" + seq).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] item(int seq) {
        return item(seq, 1);
    }

    /** A mailbox copy of message {@code seq}, from a sender whose lowest unacknowledged one is {@code floor}. */
    private static byte[] item(int seq, int floor) {
        byte[] body = text(seq);
        return MessageCodec.fragment(MessageId.random().raw(), seq, floor, System.currentTimeMillis(), body, 0,
                body.length);
    }
}
