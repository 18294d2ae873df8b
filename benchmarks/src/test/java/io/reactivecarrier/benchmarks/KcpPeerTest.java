package io.reactivecarrier.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The KCP peer of {@code stream-compare}: kcp-netty on its own Netty 4.1 in an isolated class
 * loader, on real loopback UDP, in the same process as the project's Netty 4.2.
 */
class KcpPeerTest {

    @Test
    void kcpRunsOnItsOwnNetty41BesideTheProjectsNetty42() throws Exception {
        Class<?> runner = StreamPeers.KcpLoader.runner();
        assertThat(runner.getClassLoader()).isInstanceOf(StreamPeers.KcpLoader.class);
        assertThat((String) runner.getMethod("nettyVersion").invoke(null)).startsWith("4.1.");
        assertThat(io.netty.util.Version.identify().get("netty-transport").artifactVersion()).startsWith("4.2.");

        Json j = StreamPeers.kcp(4L << 20, 1200, 1024);
        assertThat(j.get("peer")).isEqualTo("kcp");
        assertThat((Double) j.get("mb_per_s")).isPositive();
        assertThat((Double) j.get("cpu_s_per_gb")).isPositive();
        assertThat((Double) j.get("segments_sent")).isGreaterThanOrEqualTo((4 << 20) / 1200.0);
        assertThat((String) j.get("settings")).contains("nodelay 1", "interval 10", "resend 2", "nc 1", "1024");
    }
}
