package io.reactivecarrier.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import reactor.blockhound.BlockHound;

/**
 * Installs BlockHound once in every test JVM of the library, before the first test runs, and
 * sets a default StepVerifier timeout
 * (registered in {@code META-INF/services}). From then on a blocking call on a non-blocking
 * thread (a Netty event loop, a Reactor parallel worker) fails the test that made it.
 */
public final class BlockHoundInstaller implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        // a forgotten verify(Duration) must not hang CI
        reactor.test.StepVerifier.setDefaultTimeout(java.time.Duration.ofMinutes(2));
        BlockHound.install(builder -> builder
                // logback's console appender takes a lock per event; logging is not protocol I/O
                .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "writeBytes")
                .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "subAppend")
                // JUnit and jqwik reporters
                .allowBlockingCallsInside("org.junit.platform.launcher.core.CompositeTestExecutionListener", "executionFinished")
                // SecureRandom may read /dev/urandom once when seeding; it never blocks after that
                .allowBlockingCallsInside("java.security.SecureRandom", "nextBytes")
                .allowBlockingCallsInside("java.security.SecureRandom", "<init>")
                .allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "implNextBytes")
                // Netty's adaptive allocator briefly locks a shared magazine when it grows or frees one
                // (contended only when several event loops allocate at once): an allocator detail, not I/O
                .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines")
                .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free"));
    }
}
