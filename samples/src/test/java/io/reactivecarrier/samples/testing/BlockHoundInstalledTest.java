package io.reactivecarrier.samples.testing;

import io.reactivecarrier.testing.BlockHoundConfigurationTest;

/**
 * The samples' tests run under the library's one BlockHound configuration (its installer is named
 * in this module's {@code META-INF/services}): the library's checks, in this JVM.
 */
class BlockHoundInstalledTest extends BlockHoundConfigurationTest {
}
