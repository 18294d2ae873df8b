package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.InvalidAddressException;
import io.reactivecarrier.friend.Friend;
import io.reactivecarrier.friend.FriendEvent;
import io.reactivecarrier.friend.FriendException;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.friend.FriendRequest;
import io.reactivecarrier.friend.Presence;
import io.reactivecarrier.link.PathType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Friends between whole nodes on real UDP sockets on loopback. */
class FriendsUdpTest {

    private static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<CarrierNode> nodes = new ArrayList<>();
    private final List<Disposable> subscriptions = new ArrayList<>();

    @AfterEach
    void stopAll() {
        subscriptions.forEach(Disposable::dispose);
        Flux.fromIterable(nodes).flatMap(n -> n.stop().onErrorResume(e -> Mono.empty())).then().block(T);
    }

    private CarrierNode start(String name, CarrierNode... bootstrap) {
        CarrierBuilder b = Carrier.builder().dataDir(dir.resolve(name)).bindHost("127.0.0.1")
                .friendOptions(FriendOptions.create().mailboxPollInterval(Duration.ofSeconds(2))
                        .reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4)));
        for (CarrierNode n : bootstrap) {
            b = b.bootstrap(n.bootstrapInfo());
        }
        CarrierNode node = b.build();
        nodes.add(node);
        node.start().block(T);
        return node;
    }

    /** Every event of a node's friends, from now on. */
    private List<FriendEvent> record(CarrierNode node) {
        List<FriendEvent> list = new CopyOnWriteArrayList<>();
        subscriptions.add(node.friends().events().subscribe(list::add));
        return list;
    }

    private static boolean has(List<FriendEvent> events, FriendEvent.Type type, CarrierNode who) {
        return has(events, type, who.userId());
    }

    private static boolean has(List<FriendEvent> events, FriendEvent.Type type, io.reactivecarrier.core.UserId who) {
        return events.stream().anyMatch(e -> e.type() == type && e.id().equals(who));
    }

    private void befriend(CarrierNode a, CarrierNode b) {
        a.friends().request(b.address(), "hi from " + a.userId().shortString()).block(T);
        // direct, or through b's mailbox when the RPC did not get through on a loaded machine
        b.friends().requests().filter(r -> r.from().equals(a.userId())).blockFirst(T).accept().block(T);
        await().atMost(T).until(() -> a.friends().isFriend(b.userId())
                && a.friends().presence(b.userId()).isOnline() && b.friends().presence(a.userId()).isOnline());
    }

    @Test
    void onlineRequestAndAcceptBothWaysThenProfileAndStatusReachTheFriend() {
        CarrierNode boot = start("boot");
        CarrierNode alice = start("alice", boot);
        CarrierNode bob = start("bob", boot);
        CarrierNode carol = start("carol", boot);
        List<FriendEvent> aliceEvents = record(alice);

        StepVerifier.create(bob.friends().requests().take(1))
                .then(() -> alice.friends().request(bob.address(), "hi, it's Alice").block(T))
                .assertNext(r -> {
                    assertThat(r.from()).isEqualTo(alice.userId());
                    assertThat(r.hello()).isEqualTo("hi, it's Alice");
                })
                .verifyComplete();
        Friend aliceAtBob = bob.friends().accept(alice.userId()).block(T);
        assertThat(aliceAtBob.id()).isEqualTo(alice.userId());
        await().atMost(T).until(() -> alice.friends().isFriend(bob.userId()));
        await().atMost(T).until(() -> alice.friends().presence(bob.userId()) == Presence.ONLINE
                && bob.friends().presence(alice.userId()) == Presence.ONLINE);
        assertThat(has(aliceEvents, FriendEvent.Type.ADDED, bob)).isTrue();
        await().atMost(T).until(() -> has(aliceEvents, FriendEvent.Type.ONLINE, bob));
        // on loopback the friends reach each other's own address: a direct path, seen from both ends
        await().atMost(T).until(() -> alice.friends().path(bob.userId()).isPresent()
                && bob.friends().path(alice.userId()).isPresent());
        assertThat(alice.friends().path(bob.userId())).contains(PathType.DIRECT);
        assertThat(bob.friends().path(alice.userId())).contains(PathType.DIRECT);
        assertThat(alice.friends().path(carol.userId())).as("not a friend (yet)").isEmpty();

        // the other direction: carol asks alice
        carol.friends().request(alice.address().toString(), "carol here").block(T);
        FriendRequest fromCarol = alice.friends().requests().filter(r -> r.from().equals(carol.userId()))
                .blockFirst(T);
        fromCarol.accept().block(T);
        await().atMost(T).until(() -> carol.friends().presence(alice.userId()) == Presence.ONLINE);
        assertThat(alice.friends().list().map(Friend::id).collectList().block(T))
                .containsExactlyInAnyOrder(bob.userId(), carol.userId());

        // profile and status reach the friends
        List<FriendEvent> bobEvents = record(bob);
        alice.friends().setProfile("Alice", "on the moon").block(T);
        await().atMost(T).until(() -> "Alice".equals(bob.friends().friend(alice.userId()).block(T).name()));
        assertThat(bob.friends().friend(alice.userId()).block(T).description()).isEqualTo("on the moon");
        assertThat(has(bobEvents, FriendEvent.Type.PROFILE_CHANGED, alice)).isTrue();
        alice.friends().setStatus(Presence.BUSY).block(T);
        await().atMost(T).until(() -> bob.friends().presence(alice.userId()) == Presence.BUSY);
        assertThat(has(bobEvents, FriendEvent.Type.PRESENCE_CHANGED, alice)).isTrue();
    }

    @Test
    void refusedRequestLeavesNoFriendshipAndMisuseFailsFast() {
        CarrierNode boot = start("boot");
        CarrierNode alice = start("alice", boot);
        CarrierNode bob = start("bob", boot);

        alice.friends().request(bob.address(), "hello").block(T);
        FriendRequest r = bob.friends().requests().blockFirst(T);
        r.refuse().block(T);
        assertThat(bob.friends().requests().take(Duration.ofSeconds(1)).collectList().block(T)).isEmpty();
        assertThat(bob.friends().isFriend(alice.userId())).isFalse();
        assertThatThrownBy(() -> bob.friends().accept(alice.userId()).block(T))
                .isInstanceOf(FriendException.class).hasMessageContaining("no pending request");

        assertThatThrownBy(() -> alice.friends().request(alice.address(), "me").block(T))
                .isInstanceOf(FriendException.class).hasMessageContaining("own address");
        assertThatThrownBy(() -> alice.friends().request(bob.address(), "x".repeat(513)).block(T))
                .isInstanceOf(FriendException.class).hasMessageContaining("limit is 512");
        String text = bob.address().toString();
        String typo = text.substring(0, 10) + (text.charAt(10) == 'a' ? 'b' : 'a') + text.substring(11);
        assertThatThrownBy(() -> alice.friends().request(typo, "hi").block(T))
                .isInstanceOf(InvalidAddressException.class);
        assertThatThrownBy(() -> alice.friends().remove(bob.userId()).block(T))
                .isInstanceOf(FriendException.class).hasMessageContaining("not a friend");

        // a new nospam: the old address stops working for new requests
        Address old = bob.address();
        Address fresh = bob.friends().setNospam(old.nospam() + 1).block(T);
        assertThat(bob.address()).isEqualTo(fresh).isNotEqualTo(old);
        CarrierNode carol = start("carol", boot);
        assertThatThrownBy(() -> carol.friends().request(old, "hi").block(T))
                .isInstanceOf(FriendException.class)
                .satisfies(e -> assertThat(((FriendException) e).reason())
                        .isEqualTo(FriendException.Reason.NOSPAM_REJECTED));
        carol.friends().request(fresh, "hi").block(T);
        assertThat(bob.friends().requests().filter(q -> q.from().equals(carol.userId())).blockFirst(T)).isNotNull();

        befriend(carol, bob);
        assertThatThrownBy(() -> carol.friends().request(fresh, "again").block(T))
                .isInstanceOf(FriendException.class).hasMessageContaining("friend already");
    }

    @Test
    void aRequestToAnOfflineNodeIsDeliveredWhenItStarts() {
        CarrierNode boot = start("boot");
        CarrierNode helper = start("helper", boot);
        CarrierNode alice = start("alice", boot);
        CarrierNode bob = start("bob", boot);
        Address bobAddress = bob.address();
        bob.stop().block(T);

        alice.friends().request(bobAddress, "are you there?").block(T); // stored in bob's DHT mailbox

        CarrierNode bobAgain = start("bob", boot, helper);
        FriendRequest r = bobAgain.friends().requests().blockFirst(T);
        assertThat(r.from()).isEqualTo(alice.userId());
        assertThat(r.hello()).isEqualTo("are you there?");
        r.accept().block(T);
        await().atMost(T).until(() -> alice.friends().isFriend(bobAgain.userId())
                && alice.friends().presence(bobAgain.userId()).isOnline());
    }

    @Test
    void removeEndsTheLinkAndTheFriendMayAskAgain() {
        CarrierNode boot = start("boot");
        CarrierNode alice = start("alice", boot);
        CarrierNode bob = start("bob", boot);
        befriend(alice, bob);
        List<FriendEvent> bobEvents = record(bob);

        alice.friends().remove(bob.userId()).block(T);
        assertThat(alice.friends().isFriend(bob.userId())).isFalse();
        await().atMost(T).until(() -> has(bobEvents, FriendEvent.Type.REMOVED, alice));
        assertThat(bob.friends().isFriend(alice.userId())).isFalse();
        DefaultCarrierNode a = (DefaultCarrierNode) alice;
        DefaultCarrierNode b = (DefaultCarrierNode) bob;
        await().atMost(T).until(() -> a.links().link(bob.userId()).map(l -> !l.isUp()).orElse(true)
                && b.links().link(alice.userId()).map(l -> !l.isUp()).orElse(true));

        // a removed friend may ask again
        befriend(bob, alice);
        assertThat(alice.friends().isFriend(bob.userId())).isTrue();
    }

    @Test
    void labelsAndFriendsSurviveARestartAndPresenceFollowsThePeer() {
        CarrierNode boot = start("boot");
        CarrierNode alice = start("alice", boot);
        CarrierNode bob = start("bob", boot);
        befriend(alice, bob);
        alice.friends().label(bob.userId(), "Bobby").block(T);

        List<FriendEvent> bobEvents = record(bob);
        io.reactivecarrier.core.UserId aliceId = alice.userId();
        alice.stop().block(T);
        await().atMost(T).until(() -> has(bobEvents, FriendEvent.Type.OFFLINE, aliceId));
        assertThat(bob.friends().presence(aliceId)).isEqualTo(Presence.OFFLINE);
        assertThat(bob.friends().path(aliceId)).as("no link up to an offline friend").isEmpty();

        CarrierNode aliceAgain = start("alice", boot);
        Friend f = aliceAgain.friends().friend(bob.userId()).block(T);
        assertThat(f).isNotNull();
        assertThat(f.label()).isEqualTo("Bobby");
        await().atMost(T).until(() -> has(bobEvents, FriendEvent.Type.ONLINE, aliceId));
        await().atMost(T).until(() -> aliceAgain.friends().presence(bob.userId()).isOnline());
        await().atMost(T).until(() -> aliceAgain.friends().path(bob.userId()).isPresent());
        assertThat(aliceAgain.friends().path(bob.userId())).contains(PathType.DIRECT);
    }

    @Test
    void pendingRequestsInBothDirectionsSurviveRestarts() {
        CarrierNode boot = start("boot");
        CarrierNode alice = start("alice", boot);
        CarrierNode bob = start("bob", boot);
        alice.friends().request(bob.address(), "still there?").block(T);
        alice.stop().block(T);
        bob.stop().block(T);

        CarrierNode bobAgain = start("bob", boot);
        CarrierNode aliceAgain = start("alice", boot);
        FriendRequest r = bobAgain.friends().requests().blockFirst(T);
        assertThat(r.from()).isEqualTo(aliceAgain.userId());
        assertThat(r.hello()).isEqualTo("still there?");
        r.accept().block(T);
        // alice's side remembered that she asked: bob's link is admitted and makes them friends
        await().atMost(T).until(() -> aliceAgain.friends().isFriend(bobAgain.userId())
                && aliceAgain.friends().presence(bobAgain.userId()).isOnline());
    }

    @Test
    void aNonFriendHandshakeIsRefused() {
        CarrierNode boot = start("boot");
        io.micrometer.core.instrument.simple.SimpleMeterRegistry aliceMeters =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        CarrierNode alice = Carrier.builder().dataDir(dir.resolve("alice")).bindHost("127.0.0.1")
                .bootstrap(boot.bootstrapInfo()).meterRegistry(aliceMeters).build();
        nodes.add(alice);
        alice.start().block(T);
        // the node's store reports to the node's registry, tagged with the node's id
        assertThat(aliceMeters.find("carrier.store.fsync").tag("node", alice.userId().shortString()).timer())
                .isNotNull();
        assertThat(aliceMeters.find("carrier.store.checkpoints").tag("node", alice.userId().shortString())
                .functionCounter()).isNotNull();
        CarrierNode mallory = start("mallory", boot);
        DefaultCarrierNode m = (DefaultCarrierNode) mallory;
        // mallory's own side allows the link; alice's side must refuse it
        m.links().setAuthorizer(u -> true);
        Disposable connecting = m.links().connect(alice.userId()).subscribe(l -> { }, e -> { });
        subscriptions.add(connecting);
        await().atMost(T).until(() -> aliceMeters.counter("carrier.link.packets.dropped", "reason", "unauthorized")
                .count() >= 1);
        assertThat(m.links().link(alice.userId()).map(l -> l.isUp()).orElse(false)).isFalse();
        assertThat(((DefaultCarrierNode) alice).links().link(mallory.userId())).isEmpty();
        assertThat(alice.friends().presence(mallory.userId())).isEqualTo(Presence.OFFLINE);
    }
}
