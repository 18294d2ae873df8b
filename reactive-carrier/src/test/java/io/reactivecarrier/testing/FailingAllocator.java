package io.reactivecarrier.testing;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;

/**
 * An allocator whose allocations throw an {@link Error} when {@code fails} holds for their number
 * (1, 2, ...; heap and direct counted together), as Netty's allocator can (an
 * {@code OutOfDirectMemoryError}, or BlockHound's in a test); the others are unpooled buffers.
 */
public final class FailingAllocator extends AbstractByteBufAllocator {

    private final LongPredicate fails;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong thrown = new AtomicLong();

    public FailingAllocator(LongPredicate fails) {
        super(false);
        this.fails = fails;
    }

    /** How many allocations threw. */
    public long thrown() {
        return thrown.get();
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        maybeFail();
        return UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        maybeFail();
        return UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    private void maybeFail() {
        if (fails.test(calls.incrementAndGet())) {
            thrown.incrementAndGet();
            throw new Error("injected allocation failure");
        }
    }
}
