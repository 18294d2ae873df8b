package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reactivecarrier.dht.NatInfo;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.dht.RelayDirectory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The NAT parts of the node facade on loopback: NAT info and the opt-in relay role. */
class CarrierNodeNatTest {

    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<CarrierNode> nodes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        Flux.fromIterable(nodes).flatMap(n -> n.stop().onErrorResume(e -> Mono.empty())).then().block(T);
    }

    private CarrierNode start(String name, CarrierBuilder b) {
        CarrierNode node = b.dataDir(dir.resolve(name)).bindHost("127.0.0.1").build();
        nodes.add(node);
        node.start().block(T);
        return node;
    }

    @Test
    void aRelayNodeIsFoundInTheDhtAndNodesKnowTheirAddress() {
        CarrierNode boot = start("boot", Carrier.builder());
        CarrierNode relay = start("relay", Carrier.builder().relay(true).bootstrap(boot.bootstrapInfo()));
        CarrierNode peer = start("peer", Carrier.builder().bootstrap(boot.bootstrapInfo())
                .bootstrap(relay.bootstrapInfo()));
        // the peer pinged two distinct nodes at start: both saw it at its own loopback address
        InetSocketAddress self = peer.localAddress();
        assertThat(peer.natInfo()).isEqualTo(new NatInfo(self, NatInfo.Type.CONE, 2));
        await().atMost(T).until(() -> {
            List<NodeInfo> relays = RelayDirectory.find(peer.dht()).block(T);
            return relays.size() == 1 && relays.get(0).id().equals(relay.nodeId())
                    && relays.get(0).address().equals(relay.localAddress());
        });
    }

    @Test
    void aNodeThatStartedBeforeAnyRelayRegistersWithOneAnnouncedLater() {
        CarrierNode boot = start("boot", Carrier.builder());
        CarrierNode peer = start("peer", Carrier.builder().bootstrap(boot.bootstrapInfo()));
        // the peer's first lookups (right after its start, then 2 s later) find no relay
        await().pollDelay(Duration.ofSeconds(3)).atMost(T)
                .until(() -> ((DefaultCarrierNode) peer).registeredRelays().isEmpty());
        CarrierNode relay = start("relay", Carrier.builder().relay(true).bootstrap(boot.bootstrapInfo()));
        // looked up again while none is registered (not only every 5 minutes)
        await().atMost(T).until(() -> ((DefaultCarrierNode) peer).registeredRelays().contains(relay.localAddress()));
    }

    @Test
    void usersStartedBeforeWhileAndAfterTheRelayAllRegisterWithIt() {
        CarrierNode boot = start("boot", Carrier.builder());
        List<CarrierNode> users = new ArrayList<>();
        users.add(start("early1", Carrier.builder().bootstrap(boot.bootstrapInfo())));
        users.add(start("early2", Carrier.builder().bootstrap(boot.bootstrapInfo())));
        CarrierBuilder relayConfig = Carrier.builder().relay(true).bootstrap(boot.bootstrapInfo());
        CarrierNode relay = relayConfig.dataDir(dir.resolve("relay")).bindHost("127.0.0.1").build();
        nodes.add(relay);
        // a user joining while the relay starts and makes its first announcement
        CarrierNode during = Carrier.builder().bootstrap(boot.bootstrapInfo()).dataDir(dir.resolve("during"))
                .bindHost("127.0.0.1").build();
        nodes.add(during);
        Mono.when(relay.start(), during.start()).block(T);
        users.add(during);
        users.add(start("late1", Carrier.builder().bootstrap(boot.bootstrapInfo()).bootstrap(relay.bootstrapInfo())));
        users.add(start("late2", Carrier.builder().bootstrap(boot.bootstrapInfo())));
        for (CarrierNode u : users) {
            await().atMost(Duration.ofSeconds(90)).until(
                    () -> ((DefaultCarrierNode) u).registeredRelays().contains(relay.localAddress()));
        }
    }
}
