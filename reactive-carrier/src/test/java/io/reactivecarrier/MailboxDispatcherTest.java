package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.dht.Mailbox;
import io.reactivecarrier.friend.MailboxDispatcher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;

/** The node's mailbox dispatcher over real UDP: dispatch by type, delete only after the handler. */
class MailboxDispatcherTest {

    private static final Duration T = Duration.ofSeconds(60);

    @RegisterExtension
    final TestNodes nodes = new TestNodes(T);

    private DefaultCarrierNode start(String name, CarrierNode... bootstrap) {
        return (DefaultCarrierNode) nodes.start(name, bootstrap);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void itemsGoToTheirTypesHandlerAndAreDeletedOnlyAfterItCompleted() {
        CarrierNode boot = start("boot");
        DefaultCarrierNode alice = start("alice", boot);
        DefaultCarrierNode bob = start("bob", boot);
        MailboxDispatcher fromAlice = alice.friendService().mailbox();
        MailboxDispatcher bobs = bob.friendService().mailbox();

        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        bobs.register(0x1e, (sender, body) -> {
            assertThat(sender).isEqualTo(alice.userId());
            seen.add(text(body));
            return calls.incrementAndGet() == 1
                    ? Mono.error(new IllegalStateException("disk full, try later"))
                    : Mono.empty();
        });
        assertThat(fromAlice.deposit(bob.userId(), 0x1e, "one".getBytes(StandardCharsets.UTF_8),
                Duration.ofMinutes(5)).block(T)).isPositive();
        assertThat(fromAlice.deposit(bob.userId(), 0x42, "nobody's".getBytes(StandardCharsets.UTF_8),
                Duration.ofMinutes(5)).block(T)).isPositive();

        assertThat(bobs.poll().block(T)).as("the failed handler leaves its item").isZero();
        assertThat(bobs.poll().block(T)).isEqualTo(1);
        assertThat(seen).containsExactly("one", "one");
        assertThat(bobs.poll().block(T)).as("handled items are deleted").isZero();
        assertThat(seen).hasSize(2);

        // the item of an unregistered type is still there
        List<Mailbox.Item> raw = Mailbox.of(bob.dht(), bob.identityForTests()).fetch().collectList().block(T);
        assertThat(raw).extracting(Mailbox.Item::type).containsExactly(0x42);
        List<String> late = new CopyOnWriteArrayList<>();
        bobs.register(0x42, (sender, body) -> Mono.fromRunnable(() -> late.add(text(body))));
        assertThat(bobs.poll().block(T)).isEqualTo(1);
        assertThat(late).containsExactly("nobody's");

        assertThatThrownBy(() -> bobs.register(0, (s, b) -> Mono.empty())).hasMessageContaining("1..255");
        assertThatThrownBy(() -> fromAlice.deposit(bob.userId(), 256, new byte[1], Duration.ofMinutes(1)))
                .hasMessageContaining("1..255");
    }
}
