package io.reactivecarrier.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class NodeStoreTest {

    private static final Duration T = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(NodeStoreTest.class);

    @TempDir
    Path dir;

    private NodeStore store;

    @BeforeEach
    void open() {
        store = NodeStore.open(dir).block(T);
    }

    @AfterEach
    void close() {
        store.close().block(T);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void reopen() {
        store.close().block(T);
        store = NodeStore.open(dir).block(T);
    }

    /**
     * An {@code applied} callback that throws an {@link Error} is logged like one that throws a
     * RuntimeException: the transaction still completes once durable, and the store goes on.
     * Before, the Error escaped the store thread and the transaction's Mono never completed.
     */
    @Test
    void anAppliedCallbackThatThrowsAnErrorStillCompletesItsTransaction() {
        long expires = System.currentTimeMillis() + 3_600_000;
        StepVerifier.create(store.transaction(tx -> tx.markReceived(b("alice"), b("m1"), expires), r -> {
                    throw new Error("injected failure in an applied callback");
                }))
                .expectNext(true).expectComplete().verify(Duration.ofSeconds(30));
        // the store goes on, with the first transaction's change in it
        StepVerifier.create(store.transaction(tx -> tx.markReceived(b("alice"), b("m1"), expires)))
                .expectNext(false).expectComplete().verify(Duration.ofSeconds(30));
    }

    @Test
    void identityIsCreatedOnceAndKeepsItsNospam() {
        StoredIdentity id = new StoredIdentity(new byte[] {1, 2, 3}, new byte[] {4, 5, 6}, 42);
        AtomicInteger created = new AtomicInteger();
        StepVerifier.create(store.identity()).expectNext(Optional.empty()).expectComplete().verify(T);
        StepVerifier.create(Flux.range(0, 5).concatMap(i -> store.identityOrCreate(() -> {
            created.incrementAndGet();
            return id;
        }))).expectNextCount(5).expectComplete().verify(T);
        assertThat(created).hasValue(1);
        StepVerifier.create(store.setNospam(7)).expectComplete().verify(T);
        reopen();
        StepVerifier.create(store.identity()).expectNext(Optional.of(id.withNospam(7))).expectComplete().verify(T);
        assertThat(id.toString()).doesNotContain("1, 2, 3").contains("redacted");
    }

    @Test
    void setNospamWithoutIdentityFails() {
        StepVerifier.create(store.setNospam(1)).expectError(IllegalStateException.class).verify(T);
    }

    @Test
    void profileRoundTrip() {
        StepVerifier.create(store.profile()).expectNext(StoredProfile.EMPTY).expectComplete().verify(T);
        StoredProfile p = new StoredProfile("Alice ✓", "out for lunch");
        StepVerifier.create(store.setProfile(p).then(store.profile())).expectNext(p).expectComplete().verify(T);
        reopen();
        StepVerifier.create(store.profile()).expectNext(p).expectComplete().verify(T);
    }

    @Test
    void friendsRoundTrip() {
        FriendRecord bob = new FriendRecord(b("bob"), "Bobby", "Bob", "hi", 1000, 0, new byte[] {9});
        FriendRecord carol = new FriendRecord(b("carol"), "", "Carol", "", 2000, 5, new byte[0]);
        StepVerifier.create(store.putFriend(carol).then(store.putFriend(bob)).thenMany(store.friends()))
                .expectNext(bob, carol).expectComplete().verify(T);
        StepVerifier.create(store.updateLastSeen(b("bob"), 3000)).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(store.updateLabel(b("bob"), "B.")).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(store.updateLabel(b("dave"), "D")).expectNext(false).expectComplete().verify(T);
        reopen();
        StepVerifier.create(store.friend(b("bob")))
                .expectNext(Optional.of(bob.withLastSeen(3000).withLabel("B."))).expectComplete().verify(T);
        StepVerifier.create(store.removeFriend(b("carol"))).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(store.removeFriend(b("carol"))).expectNext(false).expectComplete().verify(T);
        StepVerifier.create(store.friends().count()).expectNext(1L).expectComplete().verify(T);
    }

    @Test
    void friendRequestsRoundTripAndAccept() {
        FriendRequestRecord in = new FriendRequestRecord(b("bob"), true, "hello", 10, new byte[] {1});
        FriendRequestRecord in2 = new FriendRequestRecord(b("bob"), true, "hello again", 11, new byte[] {1});
        FriendRequestRecord out = new FriendRequestRecord(b("bob"), false, "hi bob", 12, new byte[0]);
        StepVerifier.create(store.putFriendRequest(in).then(store.putFriendRequest(in2))
                .then(store.putFriendRequest(out))).expectComplete().verify(T);
        reopen();
        StepVerifier.create(store.friendRequests(true)).expectNext(in2).expectComplete().verify(T);
        StepVerifier.create(store.friendRequests(false)).expectNext(out).expectComplete().verify(T);
        FriendRecord bob = new FriendRecord(b("bob"), "", "Bob", "", 20, 0, new byte[0]);
        StepVerifier.create(store.acceptFriendRequest(bob)).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(store.friendRequests(true)).expectComplete().verify(T);
        StepVerifier.create(store.friend(b("bob"))).expectNext(Optional.of(bob)).expectComplete().verify(T);
        StepVerifier.create(store.removeFriendRequest(b("bob"), false)).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(store.friendRequest(b("bob"), false)).expectNext(Optional.empty()).expectComplete()
                .verify(T);
    }

    @Test
    void outboxAssignsSequencesPerRecipientAndKeepsOrder() {
        Outbox first = store.outbox();
        StepVerifier.create(Flux.just("m1", "m2", "m3", "m4")
                .concatMap(m -> first.append(b(m), b(m.equals("m2") ? "alice" : "bob"), 100, b("payload " + m)))
                .map(OutboxEntry::sequence)).expectNext(1L, 1L, 2L, 3L).expectComplete().verify(T);
        Outbox box = first;
        // idempotent by message id
        StepVerifier.create(box.append(b("m3"), b("bob"), 999, b("other")).map(OutboxEntry::sequence))
                .expectNext(2L).expectComplete().verify(T);
        StepVerifier.create(box.markState(b("m3"), "SENT")).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(box.remove(b("m1"))).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(box.remove(b("m1"))).expectNext(false).expectComplete().verify(T);
        reopen();
        box = store.outbox();
        StepVerifier.create(box.append(b("m5"), b("bob"), 100, b("p5")).map(OutboxEntry::sequence))
                .expectNext(4L).expectComplete().verify(T); // never reused after removal
        List<OutboxEntry> all = box.pending().collectList().block(T);
        assertThat(all).extracting(e -> new String(e.messageId(), StandardCharsets.UTF_8))
                .containsExactly("m2", "m3", "m4", "m5"); // "alice" < "bob"
        assertThat(all.get(1)).isEqualTo(new OutboxEntry(b("m3"), b("bob"), 2, 100, b("payload m3"), "SENT"));
        StepVerifier.create(box.pending(b("bob")).map(OutboxEntry::sequence)).expectNext(2L, 3L, 4L)
                .expectComplete().verify(T);
        StepVerifier.create(box.entry(b("nope"))).expectNext(Optional.empty()).expectComplete().verify(T);
    }

    @Test
    void idsThatArePrefixesOfOthersDoNotMix() {
        // binary keys (schema 2): "ab" + "c" and "a" + "bc" are different received ids
        StepVerifier.create(store.markReceived(b("ab"), b("c"), Long.MAX_VALUE)).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(store.markReceived(b("a"), b("bc"), Long.MAX_VALUE)).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(store.markReceived(b("ab"), b("c"), Long.MAX_VALUE)).expectNext(false).expectComplete().verify(T);
        // the outbox of "ab" holds only its own messages, not those of "ab\0" or "abc"
        StepVerifier.create(store.transaction(tx -> {
            for (String r : List.of("ab", "abc", "ab\0", "ab", "a")) {
                tx.appendOutbox(b("id-" + r + "-" + tx.outbox().size()), b(r), 1, b(r));
            }
            return tx.outbox(b("ab")).size();
        })).expectNext(2).expectComplete().verify(T);
        reopen();
        StepVerifier.create(store.outbox().pending(b("ab")).map(OutboxEntry::sequence)).expectNext(1L, 2L)
                .expectComplete().verify(T);
        StepVerifier.create(store.outbox().pending(b("abc")).map(OutboxEntry::sequence)).expectNext(1L)
                .expectComplete().verify(T);
        // appendOutboxSequence is idempotent by message id too, within a transaction and across them
        StepVerifier.create(store.transaction(tx -> List.of(tx.appendOutboxSequence(b("twice"), b("ab"), 1, b("x")),
                tx.appendOutboxSequence(b("twice"), b("ab"), 2, b("y")),
                tx.appendOutboxSequence(b("id-abc-1"), b("abc"), 1, b("z")))))
                .expectNext(List.of(3L, 3L, 1L)).expectComplete().verify(T);
        StepVerifier.create(store.outbox().pending(b("ab")).map(OutboxEntry::sequence)).expectNext(1L, 2L, 3L)
                .expectComplete().verify(T);
        StepVerifier.create(store.transaction(tx -> tx.appendOutboxSequence(b("next"), b("ab"), 1, b("x"))))
                .expectNext(4L).expectComplete().verify(T);
        // the last sequence of a recipient, written once per transaction, survives the reopen
        reopen();
        StepVerifier.create(store.outbox().append(b("last"), b("ab"), 1, b("x")).map(OutboxEntry::sequence))
                .expectNext(5L).expectComplete().verify(T);
    }

    @Test
    void aCallerMayNumberOutboxMessagesAfterTheLastOne() {
        StepVerifier.create(store.transaction(tx -> tx.appendOutboxSequence(b("m1"), b("bob"), 1, b("x"))))
                .expectNext(1L).expectComplete().verify(T);
        StepVerifier.create(store.transaction(tx -> {
            long last = tx.outboxSequenceLast(b("bob"));
            tx.appendOutboxAt(b("m2"), b("bob"), last + 1, 1, b("y"));
            tx.appendOutboxAt(b("m3"), b("bob"), last + 3, 1, b("z")); // a gap is allowed
            return tx.outboxSequenceLast(b("bob"));
        })).expectNext(4L).expectComplete().verify(T);
        // not after the last one, or an id already there: the transaction fails and changes nothing
        StepVerifier.create(store.transaction(tx -> {
            tx.appendOutboxAt(b("m5"), b("bob"), 5, 1, b("w"));
            tx.appendOutboxAt(b("m4"), b("bob"), 4, 1, b("v"));
            return 0;
        })).expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not after the last one")).verify(T);
        StepVerifier.create(store.transaction(tx -> {
            tx.appendOutboxAt(b("m2"), b("bob"), 9, 1, b("y"));
            return 0;
        })).expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("in the outbox already")).verify(T);
        StepVerifier.create(store.outbox().pending(b("bob")).map(OutboxEntry::sequence)).expectNext(1L, 2L, 4L)
                .expectComplete().verify(T);
        // the store numbers on after the caller's numbers (a failed transaction's numbers are skipped)
        StepVerifier.create(store.transaction(tx -> tx.appendOutboxSequence(b("m6"), b("bob"), 1, b("u"))))
                .assertNext(seq -> assertThat(seq).isGreaterThan(4L)).expectComplete().verify(T);
    }

    @Test
    void receivedIdsAreDedupedUntilTheyExpire() {
        store.close().block(T);
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        clock.advanceTimeBy(Duration.ofMillis(1_000));
        store = NodeStore.open(dir, clock).block(T);
        StepVerifier.create(store.markReceived(b("bob"), b("m1"), 5_000)).expectNext(true).expectComplete()
                .verify(T);
        StepVerifier.create(store.markReceived(b("bob"), b("m1"), 5_000)).expectNext(false).expectComplete()
                .verify(T);
        StepVerifier.create(store.markReceived(b("carol"), b("m1"), 5_000)).expectNext(true).expectComplete()
                .verify(T);
        store.close().block(T);
        store = NodeStore.open(dir, clock).block(T);
        StepVerifier.create(store.markReceived(b("bob"), b("m1"), 5_000)).expectNext(false).expectComplete()
                .verify(T);
        clock.advanceTimeBy(Duration.ofMillis(4_000));
        StepVerifier.create(store.purgeExpired()).expectNext(2).expectComplete().verify(T);
        StepVerifier.create(store.markReceived(b("bob"), b("m1"), 9_000)).expectNext(true).expectComplete()
                .verify(T);
    }

    @Test
    void keyValueMapRoundTripExpiryAndBound() {
        store.close().block(T);
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        store = NodeStore.open(dir, clock).block(T);
        KeyValueMap values = store.map("dht.values", 3);
        StepVerifier.create(values.put(new byte[] {1, 1}, b("a"))
                .then(values.putUntil(new byte[] {1, 2}, b("b"), 1_000))
                .then(values.put(new byte[] {(byte) 0xff}, b("c")))).expectComplete().verify(T);
        StepVerifier.create(values.put(new byte[] {2}, b("d"))).expectError(StoreFullException.class).verify(T);
        StepVerifier.create(values.put(new byte[] {1, 1}, b("a2"))).expectComplete().verify(T); // replace is fine
        KeyValueMap full = values;
        StepVerifier.create(store.transaction(tx -> {
            tx.put(full, new byte[] {1, 1}, b("a"), b("2"), Long.MAX_VALUE); // head ‖ tail: the same value
            return tx.get(full, new byte[] {1, 1}).map(String::new).orElse("");
        })).expectNext("a2").expectComplete().verify(T);
        StepVerifier.create(values.scan(new byte[] {1}).map(e -> new String(e.value(), StandardCharsets.UTF_8)))
                .expectNext("a2", "b").expectComplete().verify(T);
        store.close().block(T);
        store = NodeStore.open(dir, clock).block(T);
        values = store.map("dht.values", 3);
        StepVerifier.create(values.get(new byte[] {1, 2}).map(o -> o.map(String::new)))
                .expectNext(Optional.of("b")).expectComplete().verify(T);
        clock.advanceTimeBy(Duration.ofMillis(1_000));
        StepVerifier.create(values.get(new byte[] {1, 2})).expectNext(Optional.empty()).expectComplete().verify(T);
        // the expired entry makes room
        StepVerifier.create(values.put(new byte[] {2}, b("d")).then(values.size())).expectNext(3L).expectComplete()
                .verify(T);
        StepVerifier.create(values.scan().map(e -> e.key()[0])).expectNext((byte) 1, (byte) 2, (byte) 0xff)
                .expectComplete().verify(T);
        StepVerifier.create(values.remove(new byte[] {2})).expectNext(true).expectComplete().verify(T);
        StepVerifier.create(store.map("other").scan()).expectComplete().verify(T);
    }

    @Test
    void getAllReadsKeysInAnyOrderAcrossPagesAndAfterARestart() {
        store.close().block(T);
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        store = NodeStore.open(dir, clock).block(T);
        KeyValueMap m = store.map("message.inbox");
        // 3000 entries of 1 KiB over many pages; every third key absent, key 7 expires
        store.transaction(tx -> {
            for (int i = 0; i < 3000; i++) {
                if (i % 3 != 2) {
                    tx.put(m, key(i), value(i), i == 7 ? 1_000 : Long.MAX_VALUE);
                }
            }
            return null;
        }).block(T);
        store.close().block(T); // on disk: read back through the file, not from pages in memory
        store = NodeStore.open(dir, clock).block(T);
        KeyValueMap again = store.map("message.inbox");
        clock.advanceTimeBy(Duration.ofMillis(1_000));
        List<Integer> wanted = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            wanted.add(i); // ascending: one cursor
        }
        wanted.addAll(List.of(2999, 5, 4, 2500, 100, 3001, 0, -1, 1000, 1001, 1900)); // backwards, far ahead, absent
        List<byte[]> keys = new ArrayList<>();
        wanted.forEach(i -> keys.add(i < 0 ? null : key(i)));
        List<byte[]> got = store.transaction(tx -> tx.getAll(again, keys)).block(T);
        assertThat(got).hasSize(keys.size());
        for (int j = 0; j < wanted.size(); j++) {
            int i = wanted.get(j);
            boolean present = i >= 0 && i < 3000 && i % 3 != 2 && i != 7;
            if (present) {
                assertThat(got.get(j)).as("key %d", i).isEqualTo(value(i));
            } else {
                assertThat(got.get(j)).as("key %d", i).isNull();
            }
        }
    }

    private static byte[] key(int i) {
        return java.nio.ByteBuffer.allocate(40).put(new byte[32]).putLong(i).array();
    }

    private static byte[] value(int i) {
        byte[] v = new byte[1024];
        java.nio.ByteBuffer.wrap(v).putInt(i);
        return v;
    }

    @Test
    void aFailedTransactionKeepsNothing() {
        KeyValueMap m = store.map("m");
        KeyValueMap old = store.map("old");
        StepVerifier.create(old.put(b("k"), b("v"))).expectComplete().verify(T);
        StepVerifier.create(store.transaction(tx -> {
            tx.putFriend(new FriendRecord(b("bob"), "", "", "", 1, 1, new byte[0]));
            for (int i = 0; i < 5_000; i++) {
                tx.put(m, b("k" + i), new byte[1024], Long.MAX_VALUE); // 5 MB: more than MVStore's auto-commit buffer
                tx.put(old, b("k" + i), new byte[16], Long.MAX_VALUE);
            }
            throw new IllegalStateException("boom");
        })).expectErrorMessage("boom").verify(T);
        StepVerifier.create(store.friends()).expectComplete().verify(T);
        StepVerifier.create(m.size()).expectNext(0L).expectComplete().verify(T);
        StepVerifier.create(old.scan().map(e -> new String(e.key(), StandardCharsets.UTF_8))).expectNext("k")
                .expectComplete().verify(T);
        // the map that the failed transaction created is usable afterwards
        StepVerifier.create(m.put(b("k"), b("v")).then(m.size())).expectNext(1L).expectComplete().verify(T);
        reopen();
        StepVerifier.create(store.friends()).expectComplete().verify(T);
        StepVerifier.create(store.map("m").size()).expectNext(1L).expectComplete().verify(T);
        StepVerifier.create(store.map("old").size()).expectNext(1L).expectComplete().verify(T);
    }

    @Test
    void aTransactionCommitsSeveralChangesTogether() {
        StepVerifier.create(store.transaction(tx -> {
            tx.putFriendRequest(new FriendRequestRecord(b("bob"), false, "hi", 1, new byte[0]));
            tx.setProfile(new StoredProfile("me", ""));
            return tx.appendOutbox(b("m1"), b("bob"), 1, b("x")).sequence();
        })).expectNext(1L).expectComplete().verify(T);
        reopen();
        StepVerifier.create(store.friendRequests(false).count().concatWith(store.outbox().pending().count()))
                .expectNext(1L, 1L).expectComplete().verify(T);
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() {
        StepVerifier.create(store.close().then(store.close())).expectComplete().verify(T);
        StepVerifier.create(store.profile()).expectErrorMatches(e -> e instanceof StoreException
                && e.getMessage().contains("closed")).verify(T);
        store = NodeStore.open(dir).block(T); // the lock was released
    }

    @Test
    void callsFromNonBlockingThreadsDoNotBlockThem() {
        // BlockHound is installed: any file I/O on a parallel thread would fail this test
        StepVerifier.create(Mono.defer(() -> store.putFriend(new FriendRecord(b("bob"), "", "", "", 1, 1,
                        new byte[0])).then(store.outbox().append(b("m"), b("bob"), 1, b("x")))
                        .then(store.map("x").put(b("k"), b("v"))).then(store.friends().count()))
                .subscribeOn(Schedulers.parallel())).expectNext(1L).expectComplete().verify(T);
    }

    @Test
    void cancelledCallsLeaveTheStoreUsable() {
        // a cancel must not interrupt the store thread in the middle of file I/O
        for (int i = 0; i < 300; i++) {
            store.outbox().append(b("c" + i), b("bob"), i, new byte[10]).subscribe().dispose();
        }
        StepVerifier.create(store.outbox().append(b("last"), b("bob"), 0, new byte[1]).then(store.friends().count()))
                .expectNext(0L).expectComplete().verify(T);
        reopen();
        List<OutboxEntry> all = store.outbox().pending().collectList().block(T);
        assertThat(all).extracting(OutboxEntry::sequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, all.size()).boxed().toList());
    }

    @Test
    void aCancelledOpenDoesNotKeepTheLock() {
        store.close().block(T);
        for (int i = 0; i < 20; i++) {
            // an open that completed before the dispose handed its store to this subscriber, which
            // owns it then and closes it; one disposed in time must close itself
            NodeStore.open(dir).subscribe(s -> s.close().subscribe(), e -> { }).dispose();
        }
        // the cancelled opens finish in their own time (each opens, sees the cancel, closes): retry
        // while one of them still holds the lock, for up to 30 s (1 s was too short once)
        store = NodeStore.open(dir)
                .retryWhen(reactor.util.retry.Retry.fixedDelay(1500, Duration.ofMillis(20))
                        .filter(StoreLockedException.class::isInstance))
                .block(T);
        assertThat(store).isNotNull();
    }

    @Test
    void durableWriteLatency() {
        int n = 200;
        long start = System.nanoTime();
        Flux.range(0, n).concatMap(i -> store.outbox().append(b("m" + i), b("bob"), i, new byte[100]))
                .blockLast(T.multipliedBy(6));
        double ms = (System.nanoTime() - start) / 1e6 / n;
        log.info("durable outbox append (log record + fdatasync): {} ms per write over {} writes",
                String.format("%.2f", ms), n);
        StepVerifier.create(store.outbox().pending().count()).expectNext((long) n).expectComplete().verify(T);
    }
}
