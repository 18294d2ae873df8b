package io.reactivecarrier.dht;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.dht.DhtCodec.Status;
import io.reactivecarrier.wire.DecodeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The values this node holds for others: a Caffeine cache weighed in bytes (bounded total), with
 * a per-entry expiry on the DHT clock, a bound on entries per source address, and a persistence
 * hook. Confined to the node's scheduler (Caffeine runs its maintenance on the calling thread).
 */
final class ValueStore {

    static final int KIND_PEER = 4;
    /** Bookkeeping bytes counted per entry on top of its encoding. */
    static final int ENTRY_OVERHEAD = 96;

    record Slot(NodeId key, NodeId entryId, int kind) {
    }

    static final class Held {
        final Object payload; // DhtValue or PeerRecord
        final byte[] encoded;
        final long expiresAt;
        final String source;

        Held(Object payload, byte[] encoded, long expiresAt, String source) {
            this.payload = payload;
            this.encoded = encoded;
            this.expiresAt = expiresAt;
            this.source = source;
        }

        int weight() {
            return encoded.length + ENTRY_OVERHEAD;
        }
    }

    record Result(Status status, long seq) {
    }

    private final LongSupplier clock;
    private final int maxPerSource;
    private final long maxTtl;
    private final ValueStorePersistence persistence;
    private final Cache<Slot, Held> cache;
    private final Map<NodeId, Set<Slot>> byKey = new HashMap<>();
    private final Map<String, Integer> perSource = new HashMap<>();
    private long bytes;

    ValueStore(long maxBytes, int maxPerSource, long maxTtl, LongSupplier clock, ValueStorePersistence persistence) {
        this.clock = clock;
        this.maxPerSource = maxPerSource;
        this.maxTtl = maxTtl;
        this.persistence = persistence;
        this.cache = Caffeine.newBuilder()
                .executor(Runnable::run)
                .ticker(() -> clock.getAsLong() * 1_000_000L)
                .maximumWeight(maxBytes)
                .weigher((Slot s, Held h) -> h.weight())
                .expireAfter(new Expiry<Slot, Held>() {
                    @Override
                    public long expireAfterCreate(Slot key, Held value, long currentTime) {
                        return Math.max(0, value.expiresAt - clock.getAsLong()) * 1_000_000L;
                    }

                    @Override
                    public long expireAfterUpdate(Slot key, Held value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(Slot key, Held value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .removalListener(this::removed)
                .build();
        for (StoredEntry e : persistence.loadAll()) {
            restore(e);
        }
    }

    private void removed(Slot slot, Held held, RemovalCause cause) {
        if (slot == null || held == null) {
            return;
        }
        bytes -= held.weight();
        perSource.merge(held.source, -1, (a, b) -> a + b == 0 ? null : a + b);
        if (cause != RemovalCause.REPLACED) {
            Set<Slot> set = byKey.get(slot.key());
            if (set != null) {
                set.remove(slot);
                if (set.isEmpty()) {
                    byKey.remove(slot.key());
                }
            }
            persistence.remove(entry(slot, held));
        }
    }

    private static StoredEntry entry(Slot s, Held h) {
        return new StoredEntry(s.key().bytes(), s.entryId().bytes(), s.kind(), h.encoded, h.expiresAt, h.source);
    }

    private void restore(StoredEntry e) {
        try {
            DhtCodec.In in = new DhtCodec.In(e.encoded());
            Object payload = e.kind() == KIND_PEER ? DhtCodec.readRecord(in) : DhtCodec.readValue(in);
            in.end();
            if (e.expiresAt() > clock.getAsLong()) {
                insert(new Slot(NodeId.of(e.key()), NodeId.of(e.entryId()), e.kind()),
                        new Held(payload, e.encoded(), e.expiresAt(), e.source()), false);
            } else {
                persistence.remove(e);
            }
        } catch (DecodeException | RuntimeException bad) {
            persistence.remove(e);
        }
    }

    private void insert(Slot slot, Held held, boolean persist) {
        cache.put(slot, held);
        if (cache.getIfPresent(slot) != held) {
            return; // evicted at once (larger than the whole budget) or already expired
        }
        bytes += held.weight();
        perSource.merge(held.source, 1, Integer::sum);
        byKey.computeIfAbsent(slot.key(), k -> new LinkedHashSet<>()).add(slot);
        if (persist) {
            persistence.save(entry(slot, held));
        }
    }

    private long cappedExpiry(long expiresAt) {
        return Math.min(expiresAt, clock.getAsLong() + maxTtl);
    }

    private Result admit(Slot slot, Object payload, byte[] encoded, long expiresAt, String source, Held existing) {
        long exp = cappedExpiry(expiresAt);
        if (exp <= clock.getAsLong()) {
            return new Result(Status.EXPIRED, 0);
        }
        if (existing == null && perSource.getOrDefault(source, 0) >= maxPerSource) {
            return new Result(Status.FULL, 0);
        }
        insert(slot, new Held(payload, encoded, exp, source), true);
        return null;
    }

    Result put(DhtValue value, String source, boolean cas, long expectedSeq) {
        int kind = value instanceof DhtValue.Immutable ? DhtCodec.KIND_IMMUTABLE
                : value instanceof DhtValue.Mutable ? DhtCodec.KIND_MUTABLE : DhtCodec.KIND_SEALED;
        Slot slot = new Slot(value.key(), value.entryId(), kind);
        Held existing = cache.getIfPresent(slot);
        DhtCodec.Out out = new DhtCodec.Out();
        DhtCodec.writeValue(out, value);
        byte[] encoded = out.toArray();
        long seq = 0;
        if (value instanceof DhtValue.Mutable m) {
            if (!m.verify()) {
                return new Result(Status.BAD_SIGNATURE, 0);
            }
            seq = m.seq();
            long held = existing == null ? 0 : ((DhtValue.Mutable) existing.payload).seq();
            if (cas && held != expectedSeq) {
                // compare-and-swap: "nothing stored" counts as seq 0
                return new Result(Status.CAS_MISMATCH, held);
            }
            if (existing != null) {
                long current = held;
                if (m.seq() < current || (m.seq() == current && !java.util.Arrays.equals(encoded, existing.encoded))) {
                    return new Result(Status.STALE_SEQ, current);
                }
            }
        }
        long expiresAt = value.expiresAt();
        if (existing != null && !(value instanceof DhtValue.Mutable)) {
            expiresAt = Math.max(expiresAt, existing.expiresAt);
        }
        Result r = admit(slot, value, encoded, expiresAt, source, existing);
        return r != null ? r : new Result(Status.OK, seq);
    }

    Result putRecord(PeerRecord record, String source) {
        if (!record.verify()) {
            return new Result(Status.BAD_SIGNATURE, 0);
        }
        Slot slot = new Slot(record.key(), record.key(), KIND_PEER);
        Held existing = cache.getIfPresent(slot);
        DhtCodec.Out out = new DhtCodec.Out();
        DhtCodec.writeRecord(out, record);
        byte[] encoded = out.toArray();
        if (existing != null) {
            long current = ((PeerRecord) existing.payload).seq();
            if (record.seq() < current || (record.seq() == current && !java.util.Arrays.equals(encoded, existing.encoded))) {
                return new Result(Status.STALE_SEQ, current);
            }
        }
        Result r = admit(slot, record, encoded, record.expiresAt(), source, existing);
        return r != null ? r : new Result(Status.OK, record.seq());
    }

    /** Deletes a sealed entry when {@code signature} is by the entry's delete key. */
    Status deleteSealed(NodeId key, NodeId entryId, byte[] signature) {
        Slot slot = new Slot(key, entryId, DhtCodec.KIND_SEALED);
        Held h = cache.getIfPresent(slot);
        if (h == null) {
            return Status.NOT_FOUND;
        }
        DhtValue.Sealed s = (DhtValue.Sealed) h.payload;
        if (!Ed25519KeyPair.verify(s.deleteKey(), DhtValue.deleteMessage(key, entryId), signature)) {
            return Status.BAD_SIGNATURE;
        }
        cache.invalidate(slot);
        return Status.OK;
    }

    private List<Object> payloads(NodeId key, boolean records) {
        Set<Slot> slots = byKey.get(key);
        List<Object> out = new ArrayList<>();
        if (slots == null) {
            return out;
        }
        for (Slot s : new ArrayList<>(slots)) {
            if ((s.kind() == KIND_PEER) != records) {
                continue;
            }
            Held h = cache.getIfPresent(s);
            if (h != null) {
                out.add(h.payload);
            }
        }
        return out;
    }

    /** The live values under {@code key}. */
    List<DhtValue> get(NodeId key) {
        List<DhtValue> out = new ArrayList<>();
        for (Object o : payloads(key, false)) {
            out.add((DhtValue) o);
        }
        return out;
    }

    /** The live peer records under {@code key}. */
    List<PeerRecord> records(NodeId key) {
        List<PeerRecord> out = new ArrayList<>();
        for (Object o : payloads(key, true)) {
            out.add((PeerRecord) o);
        }
        return out;
    }

    /** Runs expiry and eviction now. */
    void cleanUp() {
        cache.cleanUp();
    }

    long count() {
        return cache.estimatedSize();
    }

    long bytes() {
        return bytes;
    }
}
