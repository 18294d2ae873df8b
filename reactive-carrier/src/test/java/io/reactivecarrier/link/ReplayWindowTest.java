package io.reactivecarrier.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {

    @Test
    void acceptsEachCounterOnce() {
        ReplayWindow w = new ReplayWindow();
        assertThat(w.accept(0)).isTrue();
        assertThat(w.accept(0)).isFalse();
        assertThat(w.accept(5)).isTrue();
        assertThat(w.accept(3)).isTrue();
        assertThat(w.accept(3)).isFalse();
        assertThat(w.accept(5)).isFalse();
    }

    @Test
    void rejectsCountersTooFarBehind() {
        ReplayWindow w = new ReplayWindow();
        assertThat(w.accept(10_000)).isTrue();
        assertThat(w.accept(10_000 - ReplayWindow.SIZE)).isFalse();
        assertThat(w.accept(10_000 - ReplayWindow.SIZE + 1)).isTrue();
    }

    @Test
    void bigJumpClearsTheRing() {
        ReplayWindow w = new ReplayWindow();
        for (int i = 0; i < 100; i++) {
            assertThat(w.accept(i)).isTrue();
        }
        long far = 1_000_000;
        assertThat(w.accept(far)).isTrue();
        // a counter in the new window that maps to a bit set before the jump must be fresh
        for (long c = far - 100; c < far; c++) {
            assertThat(w.check(c)).as("counter %d", c).isTrue();
        }
    }

    @Test
    void checkDoesNotMoveTheWindow() {
        ReplayWindow w = new ReplayWindow();
        w.accept(1);
        assertThat(w.check(1_000_000)).isTrue();
        assertThat(w.highest()).isEqualTo(1);
        assertThat(w.accept(2)).isTrue();
    }

    @Test
    void negativeCountersAreRejected() {
        assertThat(new ReplayWindow().accept(-1)).isFalse();
    }

    /** Against a model: a set of seen counters and the window rule. */
    @Property(tries = 300)
    void behavesLikeTheModel(@ForAll @Size(max = 400) List<@LongRange(min = 0, max = 6000) Long> counters) {
        ReplayWindow w = new ReplayWindow();
        Set<Long> seen = new HashSet<>();
        long highest = -1;
        for (long c : counters) {
            boolean expected = !seen.contains(c) && (c > highest || highest - c < ReplayWindow.SIZE);
            assertThat(w.accept(c)).as("counter %d after highest %d", c, highest).isEqualTo(expected);
            if (expected) {
                seen.add(c);
                highest = Math.max(highest, c);
            }
        }
    }
}
