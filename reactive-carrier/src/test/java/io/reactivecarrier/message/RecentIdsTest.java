package io.reactivecarrier.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecentIdsTest {

    @Test
    void behavesLikeAnInsertionOrderedMapOfTheLastIds() {
        Random r = new Random(7);
        for (int capacity : new int[] {1, 2, 8, 64, 1024}) {
            RecentIds ids = new RecentIds(capacity);
            // reference: id -> owner in insertion order, the eldest dropped beyond capacity
            LinkedHashMap<Integer, Integer> ref = new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Integer, Integer> eldest) {
                    return size() > capacity;
                }
            };
            int universe = capacity * 3; // ids repeat, so lookups hit and miss, and runs in the index collide
            for (int step = 0; step < 50_000; step++) {
                int n = r.nextInt(universe);
                int owner = r.nextInt(3);
                byte[] id = id(n);
                if (r.nextBoolean()) {
                    ids.add(owner, id);
                    ref.put(n, owner);
                }
                assertThat(ids.ownerOf(id)).as("capacity %d step %d: owner of %d", capacity, step, n)
                        .isEqualTo(ref.getOrDefault(n, -1));
                assertThat(ids.size()).isEqualTo(ref.size());
            }
        }
    }

    @Test
    void idsThatCollideInTheIndexAreKeptApart() {
        RecentIds ids = new RecentIds(4);
        byte[] a = id(1);
        byte[] b = a.clone();
        b[15] ^= 1;
        ids.add(0, a);
        ids.add(0, b);
        ids.add(1, a);
        assertThat(ids.ownerOf(a)).isEqualTo(1);
        assertThat(ids.ownerOf(b)).isEqualTo(0);
        assertThat(ids.ownerOf(id(2))).isEqualTo(-1);
        assertThat(ids.size()).as("a known id changes owner, it takes no slot").isEqualTo(2);
    }

    @Test
    void aCapacityThatIsNotAPowerOfTwoIsRefused() {
        assertThatThrownBy(() -> new RecentIds(1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("power of two");
    }

    private static byte[] id(int n) {
        return ByteBuffer.allocate(16).putLong(0, n * 0x9E3779B97F4A7C15L).putLong(8, n).array();
    }
}
