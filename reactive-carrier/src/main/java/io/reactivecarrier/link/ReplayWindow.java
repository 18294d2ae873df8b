package io.reactivecarrier.link;

/**
 * A sliding anti-replay window over 64-bit packet counters (the RFC 6479 bitmap scheme, as in
 * WireGuard and IPsec). It accepts each counter at most once, and rejects counters that fall
 * more than {@link #SIZE} behind the highest seen. Not thread-safe: a link is confined to its
 * node's event loop.
 *
 * <p>Call {@link #check} before decrypting (cheap rejection of obvious replays) and
 * {@link #accept} only after the packet authenticated, so forged packets cannot move the window.
 */
final class ReplayWindow {

    /** How many counters behind the highest one are still accepted. */
    static final int SIZE = 2048;

    private static final int WORD_BITS = 64;
    private static final int WORDS = SIZE / WORD_BITS + 1; // one spare word for the ring
    private static final int RING_BITS = WORDS * WORD_BITS;

    private final long[] bitmap = new long[WORDS];
    private long highest = -1;

    /** Whether {@code counter} could be fresh: not too old and not already accepted. */
    boolean check(long counter) {
        if (counter < 0) {
            return false; // counters are unsigned in principle; we never use the top half
        }
        if (counter > highest) {
            return true;
        }
        if (highest - counter >= SIZE) {
            return false;
        }
        int bit = (int) (counter % RING_BITS);
        return (bitmap[bit / WORD_BITS] & (1L << (bit % WORD_BITS))) == 0;
    }

    /** Records an authenticated counter. Returns false (and changes nothing) for a replay. */
    boolean accept(long counter) {
        if (!check(counter)) {
            return false;
        }
        if (counter > highest) {
            long currentWord = highest < 0 ? -1 : highest / WORD_BITS;
            long newWord = counter / WORD_BITS;
            long clear = Math.min(newWord - currentWord, WORDS);
            for (long i = 1; i <= clear; i++) {
                bitmap[(int) ((currentWord + i) % WORDS)] = 0;
            }
            highest = counter;
        }
        int bit = (int) (counter % RING_BITS);
        bitmap[bit / WORD_BITS] |= 1L << (bit % WORD_BITS);
        return true;
    }

    long highest() {
        return highest;
    }
}
