package io.reactivecarrier.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class NatDetectorTest {

    static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        return NodeId.of(b);
    }

    static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void settlesWhenTwoDistinctNodesAgree() {
        NatDetector d = new NatDetector();
        d.observe(id(1), at("203.0.113.1", 4000), 0);
        assertThat(d.info().type()).isEqualTo(NatInfo.Type.UNKNOWN);
        assertThat(d.info().external()).isNull();
        d.observe(id(1), at("203.0.113.1", 4000), 1); // the same node again is not a second opinion
        assertThat(d.info().external()).isNull();
        d.observe(id(2), at("203.0.113.1", 4000), 2);
        assertThat(d.info()).isEqualTo(new NatInfo(at("203.0.113.1", 4000), NatInfo.Type.CONE, 2));
    }

    @Test
    void aPortPerDestinationIsSymmetric() {
        NatDetector d = new NatDetector();
        d.observe(id(1), at("203.0.113.1", 4000), 0);
        d.observe(id(2), at("203.0.113.1", 5123), 0);
        assertThat(d.info().type()).isEqualTo(NatInfo.Type.SYMMETRIC);
        assertThat(d.info().external()).isNull();
    }

    @Test
    void noticesAChangedMapping() {
        NatDetector d = new NatDetector();
        d.observe(id(1), at("203.0.113.1", 4000), 0);
        d.observe(id(2), at("203.0.113.1", 4000), 0);
        assertThat(d.observe(id(1), at("198.51.100.7", 6000), 10)).isTrue();
        assertThat(d.observe(id(2), at("198.51.100.7", 6000), 11)).isTrue();
        assertThat(d.info().external()).isEqualTo(at("198.51.100.7", 6000));
        assertThat(d.info().type()).isEqualTo(NatInfo.Type.CONE);
    }

    @Test
    void oldReportsExpireAndObserversAreBounded() {
        NatDetector d = new NatDetector();
        d.observe(id(1), at("203.0.113.1", 4000), 0);
        d.observe(id(2), at("203.0.113.1", 4000), 0);
        d.observe(id(3), at("203.0.113.9", 1), NatDetector.OBSERVATION_TTL_MS + 1);
        assertThat(d.info().observers()).isEqualTo(1);
        assertThat(d.info().external()).isNull();
        for (int i = 0; i < 100; i++) {
            d.observe(id(10 + i), at("203.0.113.2", 7), NatDetector.OBSERVATION_TTL_MS + 2);
        }
        assertThat(d.info().observers()).isEqualTo(NatDetector.MAX_OBSERVERS);
    }
}
