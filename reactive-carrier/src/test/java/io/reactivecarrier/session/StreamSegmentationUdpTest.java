package io.reactivecarrier.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.Epoll;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.X25519KeyPair;
import io.reactivecarrier.link.LinkIdentity;
import io.reactivecarrier.link.LinkManager;
import io.reactivecarrier.link.LinkOptions;
import io.reactivecarrier.link.PeerContact;
import io.reactivecarrier.link.PeerResolver;
import io.reactivecarrier.transport.PacketRouter;
import io.reactivecarrier.transport.UdpTransport;
import io.reactivecarrier.transport.UdpTransportOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;

/**
 * Streams of Ethernet-size packets (so a send turn batches many) between real loopback sockets
 * with UDP GSO/GRO on either side, off, or on NIO: the same wire, every byte intact.
 */
class StreamSegmentationUdpTest {

    static final Duration TIMEOUT = Duration.ofSeconds(180);

    final Map<UserId, PeerContact> directory = new ConcurrentHashMap<>();
    final PeerResolver resolver = friend -> Mono.justOrEmpty(directory.get(friend));
    final List<Node> nodes = new ArrayList<>();

    final class Node {
        final LinkIdentity identity = new LinkIdentity(Ed25519KeyPair.generate(), X25519KeyPair.generate());
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final UdpTransport transport;
        final LinkManager links;
        final Sessions sessions;

        Node(boolean nativeTransport, boolean offload) {
            transport = UdpTransport.bind(UdpTransportOptions.create().host("127.0.0.1").port(0)
                    .preferNative(nativeTransport).segmentationOffload(offload).meterRegistry(registry)).block(TIMEOUT);
            PacketRouter router = PacketRouter.create(registry);
            transport.receive(router);
            links = LinkManager.create(transport, router, identity, resolver, LinkOptions.create().meterRegistry(registry));
            sessions = Sessions.create(links, transport, router, registry);
            directory.put(identity.userId(), new PeerContact(identity.userId(), identity.staticKey().publicKey(),
                    identity.binding(), List.of(transport.localAddress())));
            nodes.add(this);
        }
    }

    @AfterEach
    void tearDown() {
        for (Node n : nodes) {
            n.sessions.close().block(TIMEOUT);
            n.links.close().block(TIMEOUT);
            n.transport.close().block(TIMEOUT);
        }
    }

    @ParameterizedTest(name = "sender native={0} offload={1}, receiver native={2} offload={3}, encrypted={4}")
    @CsvSource({
            "true,true,true,true,true",
            "true,true,true,true,false",
            "true,true,true,false,true",
            "true,false,true,true,true",
            "true,true,false,true,true",
            "false,true,true,true,true"})
    void ethernetSizePacketsArriveIntact(boolean sendNative, boolean sendOffload, boolean recvNative,
            boolean recvOffload, boolean encrypted) throws Exception {
        Node a = new Node(sendNative, sendOffload);
        Node b = new Node(recvNative, recvOffload);
        a.links.setAuthorizer(b.identity.userId()::equals);
        b.links.setAuthorizer(a.identity.userId()::equals);
        Mono<Object[]> received = b.sessions.requests().next()
                .flatMap(SessionRequest::accept)
                .flatMap(s -> StreamEngineTest.hashOf(s.receive()))
                .cache();
        received.subscribe();
        long bytes = 8 << 20;
        CarrierStream s = a.sessions.open(b.identity.userId(),
                StreamOptions.reliable().encrypted(encrypted).maxPacketSize(1472)).block(TIMEOUT);
        s.send(StreamEngineTest.data(bytes, 1200, 5)).block(TIMEOUT);
        Object[] r = received.block(TIMEOUT);
        assertThat((Long) r[1]).isEqualTo(bytes);
        assertThat((byte[]) r[0]).isEqualTo(StreamEngineTest.sha256(bytes, 1200, 5));
        assertThat(s.stats().maxPacketSize()).isLessThanOrEqualTo(1472);
        double gsoWrites = a.registry.counter("carrier.transport.gso.writes").count();
        if (sendNative && sendOffload && Epoll.isAvailable()) {
            assertThat(a.transport.isSegmentationOffload()).isTrue();
            assertThat(gsoWrites).as("the stream's batches left as GSO writes").isPositive();
        } else {
            assertThat(gsoWrites).isZero();
        }
        assertThat(a.registry.counter("carrier.transport.packets.dropped", "reason", "gso_error").count()).isZero();
        s.close().block(TIMEOUT);
    }
}
