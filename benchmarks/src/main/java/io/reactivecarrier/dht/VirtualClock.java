package io.reactivecarrier.dht;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * A single-threaded virtual-time {@link Scheduler} for the DHT simulator, with a resolution of one
 * millisecond: a timing wheel of one-millisecond slots for the next 8 s (where nearly every task
 * of the DHT falls: RPC delivery, soft and hard timeouts) and a binary heap beyond. Cancelled
 * tasks are skipped when their time comes.
 *
 * <p>Reactor-test's {@code VirtualTimeScheduler} removes a cancelled task from a
 * {@code PriorityBlockingQueue} (a linear scan under a lock); a DHT lookup cancels a timeout for
 * every answered RPC, which made a 10000-node run spend most of its time there. Here a cancel is
 * a flag, and nothing runs until {@link #advance} is called on the simulation thread.
 */
final class VirtualClock implements Scheduler {

    private static final class Task implements Disposable {
        final long at;
        final long seq;
        final Runnable run;
        final long period;
        final Worker owner;
        long nextAt;
        boolean cancelled;

        Task(long at, long seq, Runnable run, long period, Worker owner) {
            this.at = at;
            this.nextAt = at;
            this.seq = seq;
            this.run = run;
            this.period = period;
            this.owner = owner;
        }

        @Override
        public void dispose() {
            cancelled = true;
        }

        @Override
        public boolean isDisposed() {
            return cancelled;
        }
    }

    /** Slots of one virtual millisecond each: tasks due within the window wait in their slot. */
    private static final int WHEEL = 1 << 13;
    private static final int MASK = WHEEL - 1;

    @SuppressWarnings("unchecked")
    private final ArrayDeque<Task>[] wheel = new ArrayDeque[WHEEL];
    private long inWheel;
    /** Tasks due beyond the wheel's window, ordered by (time, sequence). */
    private Task[] heap = new Task[1024];
    private int size;
    private long seq;
    private long nowMs;
    private long executed;

    /** Virtual milliseconds since the start. */
    long nowMs() {
        return nowMs;
    }

    long executed() {
        return executed;
    }

    long pending() {
        return size + inWheel;
    }

    /**
     * Runs every task due up to now + {@code ms}, in time order (tasks due in the same millisecond
     * run in the order they were scheduled), then sets the clock there.
     */
    void advance(long ms) {
        long until = nowMs + ms;
        long t = nowMs;
        while (t <= until) {
            if (inWheel == 0) {
                // nothing in the window: jump to the next far task
                long next = size > 0 ? heap[0].nextAt : Long.MAX_VALUE;
                if (next > until) {
                    break;
                }
                t = Math.max(t, next);
            }
            nowMs = t;
            while (size > 0 && heap[0].nextAt <= t) {
                run(poll());
            }
            ArrayDeque<Task> slot = wheel[(int) (t & MASK)];
            if (slot != null) {
                Task task;
                while ((task = slot.pollFirst()) != null) {
                    inWheel--;
                    run(task);
                }
            }
            if (t == until) {
                break;
            }
            t++;
        }
        nowMs = until;
    }

    private void run(Task t) {
        if (t.cancelled || (t.owner != null && t.owner.isDisposed())) {
            return;
        }
        executed++;
        t.run.run();
        if (t.period > 0 && !t.cancelled) {
            t.nextAt = nowMs + t.period;
            place(t);
        }
    }

    private Task add(Runnable r, long delayNanos, long periodNanos, Worker owner) {
        long delayMs = delayNanos <= 0 ? 0 : (delayNanos + 999_999L) / 1_000_000L;
        long periodMs = periodNanos <= 0 ? 0 : Math.max(1, (periodNanos + 999_999L) / 1_000_000L);
        Task t = new Task(nowMs + delayMs, seq++, r, periodMs, owner);
        place(t);
        return t;
    }

    private void place(Task t) {
        if (t.nextAt - nowMs < WHEEL) {
            int i = (int) (t.nextAt & MASK);
            ArrayDeque<Task> slot = wheel[i];
            if (slot == null) {
                slot = new ArrayDeque<>();
                wheel[i] = slot;
            }
            slot.addLast(t);
            inWheel++;
        } else {
            push(t);
        }
    }

    private static boolean before(Task a, Task b) {
        return a.nextAt < b.nextAt || (a.nextAt == b.nextAt && a.seq < b.seq);
    }

    private void push(Task t) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!before(t, heap[p])) {
                break;
            }
            heap[i] = heap[p];
            i = p;
        }
        heap[i] = t;
    }

    private Task poll() {
        Task top = heap[0];
        Task last = heap[--size];
        heap[size] = null;
        if (size > 0) {
            int i = 0;
            while (true) {
                int l = 2 * i + 1;
                if (l >= size) {
                    break;
                }
                int c = l + 1 < size && before(heap[l + 1], heap[l]) ? l + 1 : l;
                if (!before(heap[c], last)) {
                    break;
                }
                heap[i] = heap[c];
                i = c;
            }
            heap[i] = last;
        }
        return top;
    }

    @Override
    public Disposable schedule(Runnable task) {
        return add(task, 0, 0, null);
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        return add(task, unit.toNanos(delay), 0, null);
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        return add(task, unit.toNanos(initialDelay), Math.max(1, unit.toNanos(period)), null);
    }

    @Override
    public long now(TimeUnit unit) {
        return unit.convert(nowMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public Worker createWorker() {
        return new ClockWorker();
    }

    private final class ClockWorker implements Worker {
        private boolean disposed;

        @Override
        public Disposable schedule(Runnable task) {
            return disposed ? reactor.core.Disposables.disposed() : add(task, 0, 0, this);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return disposed ? reactor.core.Disposables.disposed() : add(task, unit.toNanos(delay), 0, this);
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            return disposed ? reactor.core.Disposables.disposed()
                    : add(task, unit.toNanos(initialDelay), Math.max(1, unit.toNanos(period)), this);
        }

        @Override
        public void dispose() {
            disposed = true;
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }
}
