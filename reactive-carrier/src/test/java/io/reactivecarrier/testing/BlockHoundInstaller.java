package io.reactivecarrier.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs BlockHound once in every test JVM of the library, before the first test runs, and
 * sets a default StepVerifier timeout
 * (registered in {@code META-INF/services}). From then on a blocking call on a non-blocking
 * thread (a Netty event loop, a Reactor parallel worker) fails the test that made it. The
 * configuration is {@link BlockHoundSetup}; child JVMs started by tests install it too.
 */
public final class BlockHoundInstaller implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        // a forgotten verify(Duration) must not hang CI
        reactor.test.StepVerifier.setDefaultTimeout(java.time.Duration.ofMinutes(2));
        BlockHoundSetup.install();
    }
}
