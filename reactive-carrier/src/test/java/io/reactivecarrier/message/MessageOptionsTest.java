package io.reactivecarrier.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MessageOptionsTest {

    @Test
    void theOutboxSyncDelayIsCheckedWhenSetNamingTheSettingAndItsRange() {
        assertThat(MessageOptions.create().outboxSyncDelay()).isEqualTo(Duration.ofMillis(10));
        assertThat(MessageOptions.create().outboxSyncDelay(Duration.ZERO).outboxSyncDelay()).isZero();
        assertThatThrownBy(() -> MessageOptions.create().outboxSyncDelay(Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("outboxSyncDelay must be between 0 and PT1S, got PT2S");
        assertThatThrownBy(() -> MessageOptions.create().outboxSyncDelay(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("outboxSyncDelay must be");
    }
}
