package io.reactivecarrier.samples.testing;

import java.time.Duration;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import reactor.blockhound.BlockHound;
import reactor.test.StepVerifier;

/**
 * Installs BlockHound in the samples's test JVM (registered in {@code META-INF/services}), as the
 * library's tests do: a blocking call on a Netty event loop or a Reactor parallel worker fails the test.
 */
public final class BlockHoundInstaller implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        StepVerifier.setDefaultTimeout(Duration.ofMinutes(2));
        BlockHound.install(builder -> builder
                .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "writeBytes")
                .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "subAppend")
                .allowBlockingCallsInside("org.junit.platform.launcher.core.CompositeTestExecutionListener", "executionFinished")
                .allowBlockingCallsInside("java.security.SecureRandom", "nextBytes")
                .allowBlockingCallsInside("java.security.SecureRandom", "<init>")
                .allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "implNextBytes"));
    }
}
