package io.reactivecarrier.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivecarrier.session.SessionsUdpTest.Node;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** Reliable streams with CUBIC and with NewReno congestion control on real loopback UDP sockets, directly and through a fault proxy. */
class CongestionControlUdpTest {

    final SessionsUdpTest env = new SessionsUdpTest();

    @AfterEach
    void tearDown() {
        env.tearDown();
    }

    static StreamOptions cubic() {
        return StreamOptions.reliable().congestionControl(StreamOptions.CongestionControl.CUBIC);
    }

    @Test
    void aCubicStreamCarries32MiBIntact() throws Exception {
        Node[] n = env.friends(null);
        Mono<Object[]> received = SessionsUdpTest.acceptAndHash(n[1]);
        received.subscribe();
        long bytes = 32L << 20;
        CarrierStream s = n[0].sessions.open(n[1].id(), cubic()).block(SessionsUdpTest.TIMEOUT);
        assertThat(((StreamConnection) s).cc).isInstanceOf(Cubic.class);
        s.send(StreamEngineTest.data(bytes, 1200, 21)).block(SessionsUdpTest.TIMEOUT);
        Object[] r = received.block(SessionsUdpTest.TIMEOUT);
        assertThat((Long) r[1]).isEqualTo(bytes);
        assertThat((byte[]) r[0]).isEqualTo(StreamEngineTest.sha256(bytes, 1200, 21));
        assertThat(s.stats().congestionWindow()).isPositive();
        s.close().block(SessionsUdpTest.TIMEOUT);
    }

    @Test
    void aCubicStreamIsIntactThroughAFaultyProxy() throws Exception {
        Faults faults = new Faults(0.05, 0.03, 0.25, 0.02, 0, TimeUnit.MILLISECONDS.toNanos(2), 3);
        Node[] n = env.friends(FaultProxy.start(faults));
        Mono<Object[]> received = SessionsUdpTest.acceptAndHash(n[1]);
        received.subscribe();
        long bytes = 16L << 20;
        CarrierStream s = n[0].sessions.open(n[1].id(), cubic()).block(SessionsUdpTest.TIMEOUT);
        assertThat(((StreamConnection) s).cc).isInstanceOf(Cubic.class);
        s.send(StreamEngineTest.data(bytes, 1200, 23)).block(SessionsUdpTest.TIMEOUT);
        Object[] r = received.block(SessionsUdpTest.TIMEOUT);
        assertThat((Long) r[1]).isEqualTo(bytes);
        assertThat((byte[]) r[0]).isEqualTo(StreamEngineTest.sha256(bytes, 1200, 23));
        assertThat(faults.dropped).isPositive();
        assertThat(s.stats().retransmittedBytes()).isPositive();
        assertThat(s.stats().packetsLost()).isPositive();
    }

    @Test
    void aNewRenoStreamIsIntactThroughAFaultyProxy() throws Exception {
        Faults faults = new Faults(0.05, 0.03, 0.25, 0.02, 0, TimeUnit.MILLISECONDS.toNanos(2), 5);
        Node[] n = env.friends(FaultProxy.start(faults));
        Mono<Object[]> received = SessionsUdpTest.acceptAndHash(n[1]);
        received.subscribe();
        long bytes = 16L << 20;
        StreamOptions reno = StreamOptions.reliable().congestionControl(StreamOptions.CongestionControl.NEWRENO);
        CarrierStream s = n[0].sessions.open(n[1].id(), reno).block(SessionsUdpTest.TIMEOUT);
        assertThat(((StreamConnection) s).cc).isInstanceOf(NewReno.class);
        s.send(StreamEngineTest.data(bytes, 1200, 25)).block(SessionsUdpTest.TIMEOUT);
        Object[] r = received.block(SessionsUdpTest.TIMEOUT);
        assertThat((Long) r[1]).isEqualTo(bytes);
        assertThat((byte[]) r[0]).isEqualTo(StreamEngineTest.sha256(bytes, 1200, 25));
        assertThat(s.stats().retransmittedBytes()).isPositive();
    }

    @Test
    void theDefaultIsCubicAndNewRenoIsChosenPerStream() {
        assertThat(StreamOptions.reliable().congestionControl()).isEqualTo(StreamOptions.CongestionControl.CUBIC);
        StreamOptions reno = StreamOptions.reliable().congestionControl(StreamOptions.CongestionControl.NEWRENO);
        assertThat(reno.plain().maxPacketSize(1400).congestionControl()).isEqualTo(StreamOptions.CongestionControl.NEWRENO);
        assertThat(cubic().congestionControl()).isEqualTo(StreamOptions.CongestionControl.CUBIC);
        assertThatThrownBy(() -> StreamOptions.reliable().congestionControl(null)).hasMessageContaining("NEWRENO or CUBIC");
    }
}
