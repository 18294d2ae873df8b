package io.reactivecarrier.dht;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * A single-threaded virtual-time {@link Scheduler} for the DHT simulator: a binary heap of timed
 * tasks ordered by (time, sequence), cancelled tasks skipped lazily when they reach the top.
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

    private Task[] heap = new Task[1 << 16];
    private int size;
    private long seq;
    private long nowNanos;
    private long executed;

    /** Virtual milliseconds since the start. */
    long nowMs() {
        return nowNanos / 1_000_000L;
    }

    long executed() {
        return executed;
    }

    int pending() {
        return size;
    }

    /** Runs every task due up to now + {@code ms}, in time order, then sets the clock there. */
    void advance(long ms) {
        long until = nowNanos + ms * 1_000_000L;
        while (size > 0 && heap[0].nextAt <= until) {
            Task t = poll();
            if (t.cancelled || (t.owner != null && t.owner.isDisposed())) {
                continue;
            }
            nowNanos = Math.max(nowNanos, t.nextAt);
            executed++;
            t.run.run();
            if (t.period > 0 && !t.cancelled) {
                t.nextAt = nowNanos + t.period;
                push(t);
            }
        }
        nowNanos = until;
    }

    private Task add(Runnable r, long delayNanos, long periodNanos, Worker owner) {
        Task t = new Task(nowNanos + Math.max(0, delayNanos), seq++, r, periodNanos, owner);
        push(t);
        return t;
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
        return unit.convert(nowNanos, TimeUnit.NANOSECONDS);
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
