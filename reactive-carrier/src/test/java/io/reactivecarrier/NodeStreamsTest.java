package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivecarrier.friend.FriendOptions;
import io.reactivecarrier.session.CarrierStream;
import io.reactivecarrier.session.SessionRequest;
import io.reactivecarrier.session.StreamOptions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Streams between whole nodes ({@code node.sessions()}): encrypted and intact. */
class NodeStreamsTest {

    private static final Duration T = Duration.ofSeconds(90);
    private static final int CHUNK = 16 * 1024;

    @RegisterExtension
    final TestNodes nodes = new TestNodes(T, b -> b
            .friendOptions(FriendOptions.create().reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(4))));

    private static Flux<ByteBuf> data(long bytes, long seed) {
        Random r = new Random(seed);
        return Flux.range(0, (int) (bytes / CHUNK)).map(i -> {
            byte[] b = new byte[CHUNK];
            r.nextBytes(b);
            return Unpooled.wrappedBuffer(b);
        });
    }

    private static byte[] sha256(long bytes, long seed) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (ByteBuf b : data(bytes, seed).toIterable()) {
            md.update(b.nioBuffer());
            b.release();
        }
        return md.digest();
    }

    /** SHA-256 and byte count of everything a stream receives, releasing each buffer. */
    private static Mono<Object[]> hashOf(Flux<ByteBuf> in) {
        return Mono.defer(() -> {
            MessageDigest md;
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (Exception e) {
                return Mono.error(e);
            }
            long[] n = {0};
            return in.doOnNext(b -> {
                n[0] += b.readableBytes();
                md.update(b.nioBuffer());
                b.release();
            }).then(Mono.fromSupplier(() -> new Object[] {md.digest(), n[0]}));
        });
    }

    @Test
    void friendsStream32MiBEncryptedAndIntact() throws Exception {
        CarrierNode boot = nodes.start("boot");
        CarrierNode alice = nodes.start("alice", boot);
        CarrierNode bob = nodes.start("bob", boot);
        nodes.befriend(alice, bob);

        Mono<Object[]> received = bob.sessions().requests().next().flatMap(SessionRequest::accept)
                .flatMap(s -> hashOf(s.receive())).cache();
        received.subscribe();
        long bytes = 32L << 20;
        CarrierStream s = alice.sessions().open(bob.userId(), StreamOptions.reliable()).block(T);
        assertThat(s.transportInfo().encrypted()).isTrue();
        assertThat(s.peer()).isEqualTo(bob.userId());
        s.send(data(bytes, 7)).block(T);
        Object[] r = received.block(T);
        assertThat((Long) r[1]).isEqualTo(bytes);
        assertThat((byte[]) r[0]).isEqualTo(sha256(bytes, 7));
        s.close().block(T);

    }
}
