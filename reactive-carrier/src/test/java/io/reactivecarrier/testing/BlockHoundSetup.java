package io.reactivecarrier.testing;

import reactor.blockhound.BlockHound;

/**
 * The one BlockHound configuration of the library's tests: installed by {@link BlockHoundInstaller}
 * in every test JVM and by {@link #install()} in the child JVMs some tests start (DHT processes,
 * crash tests), which must be started with {@link #JVM_OPTION}. Depends on BlockHound only, not on
 * JUnit, so a child's classpath needs nothing more.
 */
public final class BlockHoundSetup {

    /** The option a JVM on Java 13+ needs for BlockHound's instrumentation. */
    public static final String JVM_OPTION = "-XX:+AllowRedefinitionToAddDeleteMethods";

    private BlockHoundSetup() {
    }

    /** Installs BlockHound with the integrations every test JVM uses (idempotent). */
    public static void install() {
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
                // handing a task to a thread pool takes its LinkedBlockingQueue's put lock, and the take lock
                // to wake the sleeping worker, each for an instant. Never a wait for I/O, but BlockHound threw
                // out of a contended lock() after the task was queued and before the worker was signalled: the
                // worker (the node store's thread) then slept for ever with tasks in its queue, and a node
                // start hung 60 s in its first store reads (NodeStoreNonBlockingCallersTest)
                .allowBlockingCallsInside("java.util.concurrent.LinkedBlockingQueue", "offer")
                // the JDK's logging reads logging.properties once, when the first System.Logger is made
                // (Caffeine's class initializer makes one): a fresh child JVM does that on an event loop
                .allowBlockingCallsInside("java.util.logging.LogManager", "ensureLogManagerInitialized")
                // Netty's adaptive allocator briefly locks a shared magazine when it grows or frees one
                // (contended only when several event loops allocate at once): an allocator detail, not I/O
                .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines")
                .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free"));
    }
}
