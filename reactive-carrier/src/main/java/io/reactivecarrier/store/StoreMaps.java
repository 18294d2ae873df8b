package io.reactivecarrier.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * The MVStore maps of an open store. Only the store's own thread touches them, so nothing here
 * is synchronized.
 */
final class StoreMaps {

    static final String META = "meta";
    /** Prefix of the key-value maps (schema 2: binary keys; schema 1 used "kv." and hex keys). */
    static final String KV_PREFIX = "kv2.";
    static final String OUTBOX = "outbox2";
    static final String OUTBOX_IDS = "outbox2.ids";
    static final String OUTBOX_SEQ = "outbox2.seq";
    static final String RECEIVED = "received2";
    static final int PURGE_EVERY = 1024;

    final Path file;
    final MVStore store;
    final LongSupplier clock;
    final MVMap<String, String> meta;
    /** "identity", "profile" → encoded records. */
    final MVMap<String, byte[]> node;
    /** user id hex → friend. */
    final MVMap<String, byte[]> friends;
    /** "in:" or "out:" + user id hex → request. */
    final MVMap<String, byte[]> requests;
    /** recipient ‖ sequence (8 bytes, big-endian) → entry ({@link #outboxKey}). */
    final MVMap<byte[], byte[]> outbox;
    /** message id → outbox key. */
    final MVMap<byte[], byte[]> outboxIds;
    /**
     * recipient → the highest sequence reserved: none up to it is handed out again, even after a
     * crash (see {@link #outboxSequences}). Stores before session 7 kept the last one handed out
     * here, which is a valid reservation as well.
     */
    final MVMap<byte[], byte[]> outboxSeq;
    /**
     * Sequences ahead of this many are reserved at a time ({@link #outboxSeq}), again when fewer
     * than half are left: one write per 2,048 messages to a recipient, and a message may be sent
     * before its own transaction is durable once a durable one reserved its sequence.
     */
    static final long SEQUENCE_RESERVE = 4096;
    /**
     * recipient → its sequences; store thread only. Loaded from {@link #outboxSeq} on first use, so
     * a store that was not closed cleanly goes on after everything it may have handed out.
     */
    final Map<java.nio.ByteBuffer, Sequences> outboxSequences = new HashMap<>();

    /** The outbox sequences of one recipient. */
    static final class Sequences {
        final byte[] recipient;
        /** The last sequence handed out. */
        long last;
        /** The reservation in the log. */
        long logged;
        /** The reservation of the transaction under way (0: none). */
        long pending;

        Sequences(byte[] recipient, long reserved) {
            this.recipient = recipient;
            this.last = reserved;
            this.logged = reserved;
        }

        long reserved() {
            return Math.max(logged, pending);
        }
    }
    /** (sender length - 1) ‖ sender ‖ message id → expiry millis ({@link #receivedKey}). */
    final MVMap<byte[], byte[]> received;
    private final Map<String, MVMap<byte[], byte[]>> kv = new HashMap<>();
    /** The changes of the transaction under way: every write below goes through it. */
    final Journal journal = new Journal();
    /** The decision of {@link Tx#markReceived}: store thread only. */
    final PutIfExpired putIfExpired = new PutIfExpired();
    int receivedSincePurge;
    /** Where the next {@link #purgeReceivedSome} continues (null: from the start). */
    private byte[] purgeFrom;

    StoreMaps(Path file, MVStore store, LongSupplier clock) {
        this.file = file;
        this.store = store;
        this.clock = clock;
        this.meta = store.openMap(META);
        this.node = store.openMap("node");
        this.friends = store.openMap("friends");
        this.requests = store.openMap("requests");
        this.outbox = bytesMap(store, OUTBOX);
        this.outboxIds = bytesMap(store, OUTBOX_IDS);
        this.outboxSeq = bytesMap(store, OUTBOX_SEQ);
        this.received = bytesMap(store, RECEIVED);
        journal.register(node, "node");
        journal.register(friends, "friends");
        journal.register(requests, "requests");
        journal.register(outbox, OUTBOX);
        journal.register(outboxIds, OUTBOX_IDS);
        journal.register(outboxSeq, OUTBOX_SEQ);
        journal.register(received, RECEIVED);
    }

    // ---- writes: applied to the map and recorded in the journal (redo for the log, undo on failure)

    <K> void put(MVMap<K, byte[]> map, K key, byte[] value) {
        byte[] old = map.put(key, value);
        journal.put(map, key, value, old);
    }

    /** Removes {@code key}; its old value (null: it was not there, nothing recorded). */
    <K> byte[] remove(MVMap<K, byte[]> map, K key) {
        byte[] old = map.remove(key);
        if (old != null) {
            journal.removed(map, key, old);
        }
        return old;
    }

    /** Puts unless {@code key} is there; the value there (null: put). */
    byte[] putIfAbsent(MVMap<byte[], byte[]> map, byte[] key, byte[] value) {
        byte[] existing = map.putIfAbsent(key, value);
        if (existing == null) {
            journal.put(map, key, value, null);
        }
        return existing;
    }

    /** {@link Tx#markReceived}'s one tree operation: puts unless a live record is there; true if it put. */
    boolean putReceivedIfExpired(byte[] key, byte[] value, long now) {
        putIfExpired.now = now;
        putIfExpired.stored = false;
        byte[] old = received.operate(key, value, putIfExpired);
        if (putIfExpired.stored) {
            journal.put(received, key, value, old);
        }
        return putIfExpired.stored;
    }

    /**
     * The number of the last log record the store file holds ({@link Wal#CHECKPOINTED} in the meta
     * map), or -1 for a file from before session 6, which did not record it.
     */
    long checkpointedRecord() {
        String n = meta.get(Wal.CHECKPOINTED);
        return n == null ? -1 : Long.parseLong(n);
    }

    /** Records, for the next commit of the file, that it holds the log up to record {@code number}. */
    void checkpointedRecord(long number) {
        meta.put(Wal.CHECKPOINTED, Long.toString(number));
    }

    /**
     * Applies a change read back from the write-ahead log (on open, before any transaction): a put,
     * or a removal when {@code value} is null.
     */
    void replay(String name, boolean stringKey, byte[] key, byte[] value) {
        if (stringKey) {
            MVMap<String, byte[]> m = store.openMap(name);
            String k = new String(key, java.nio.charset.StandardCharsets.UTF_8);
            if (value == null) {
                m.remove(k);
            } else {
                m.put(k, value);
            }
        } else {
            MVMap<byte[], byte[]> m = name.startsWith(KV_PREFIX) ? kv(name.substring(KV_PREFIX.length()))
                    : bytesMap(store, name);
            if (value == null) {
                m.remove(key);
            } else {
                m.put(key, value);
            }
        }
    }

    /** Puts unless the key holds an expiry after {@link #now}; {@link #stored} tells which. */
    static final class PutIfExpired extends MVMap.DecisionMaker<byte[]> {
        long now;
        boolean stored;

        @Override
        public MVMap.Decision decide(byte[] existing, byte[] provided) {
            stored = existing == null || longOf(existing) <= now;
            return stored ? MVMap.Decision.PUT : MVMap.Decision.ABORT;
        }
    }

    static MVMap<byte[], byte[]> bytesMap(MVStore store, String name) {
        return store.openMap(name, new MVMap.Builder<byte[], byte[]>().keyType(BytesType.INSTANCE)
                .valueType(BytesType.INSTANCE));
    }

    /**
     * A long as a value of a {@link #bytesMap} (8 bytes, big-endian). All per-message maps have
     * {@link BytesType} keys and values, so MVStore's {@code MVMap.operate} sees one data type
     * less (C2 recompiles it several times as its type profiles change; the effect of this on
     * the compile time measured was within the noise of a shared machine).
     */
    static byte[] longValue(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (56 - 8 * i));
        }
        return b;
    }

    static long longOf(byte[] b) {
        if (b.length != 8) {
            throw new Codec.Malformed("a long value of " + b.length + " bytes", null);
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    /** recipient ‖ sequence (8 bytes, big-endian): per recipient in sequence order. */
    static byte[] outboxKey(byte[] recipient, long seq) {
        byte[] k = Arrays.copyOf(recipient, recipient.length + 8);
        for (int i = 0; i < 8; i++) {
            k[recipient.length + i] = (byte) (seq >>> (56 - 8 * i));
        }
        return k;
    }

    /** (sender length - 1) ‖ sender ‖ message id: unambiguous for ids of any length 1..256. */
    static byte[] receivedKey(byte[] sender, byte[] messageId) {
        byte[] k = new byte[1 + sender.length + messageId.length];
        k[0] = (byte) (sender.length - 1);
        System.arraycopy(sender, 0, k, 1, sender.length);
        System.arraycopy(messageId, 0, k, 1 + sender.length, messageId.length);
        return k;
    }

    MVMap<byte[], byte[]> kv(String name) {
        return kv.computeIfAbsent(name, n -> {
            MVMap<byte[], byte[]> m = bytesMap(store, KV_PREFIX + n);
            journal.register(m, KV_PREFIX + n);
            return m;
        });
    }

    int purgeReceived(long now) {
        List<byte[]> expired = new ArrayList<>();
        Cursor<byte[], byte[]> c = received.cursor(null);
        while (c.hasNext()) {
            byte[] key = c.next();
            if (longOf(c.getValue()) <= now) {
                expired.add(key);
            }
        }
        expired.forEach(k -> remove(received, k));
        receivedSincePurge = 0;
        return expired.size();
    }

    /**
     * Removes expired received ids among at most {@code max} entries, continuing where the last
     * call stopped (wrapping around), so the periodic purge costs the same however big the map is.
     */
    int purgeReceivedSome(long now, int max) {
        List<byte[]> expired = new ArrayList<>();
        Cursor<byte[], byte[]> c = received.cursor(purgeFrom);
        byte[] last = null;
        int seen = 0;
        while (seen < max && c.hasNext()) {
            byte[] key = c.next();
            seen++;
            last = key;
            if (longOf(c.getValue()) <= now) {
                expired.add(key);
            }
        }
        purgeFrom = seen < max || last == null ? null : Arrays.copyOf(last, last.length + 1); // just after last
        expired.forEach(k -> remove(received, k));
        receivedSincePurge = 0;
        return expired.size();
    }

    int purgeKv(MVMap<byte[], byte[]> map, long now) {
        List<byte[]> expired = new ArrayList<>();
        Cursor<byte[], byte[]> c = map.cursor(null);
        while (c.hasNext()) {
            byte[] key = c.next();
            if (Codec.expiresAt(c.getValue()) <= now) {
                expired.add(key);
            }
        }
        expired.forEach(k -> remove(map, k));
        return expired.size();
    }

    /** Keys of {@code map} that start with {@code prefix}, in order. */
    static <V> List<Map.Entry<byte[], V>> prefixed(MVMap<byte[], V> map, byte[] prefix) {
        List<Map.Entry<byte[], V>> out = new ArrayList<>();
        Cursor<byte[], V> c = map.cursor(prefix.length == 0 ? null : prefix);
        while (c.hasNext()) {
            byte[] key = c.next();
            if (key.length < prefix.length || !Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length)) {
                break;
            }
            out.add(Map.entry(key, c.getValue()));
        }
        return out;
    }

    /** Keys of {@code map} that start with {@code prefix}, in order. */
    static <V> List<Map.Entry<String, V>> prefixed(MVMap<String, V> map, String prefix) {
        List<Map.Entry<String, V>> out = new ArrayList<>();
        Cursor<String, V> c = map.cursor(prefix.isEmpty() ? null : prefix);
        while (c.hasNext()) {
            String key = c.next();
            if (!key.startsWith(prefix)) {
                break;
            }
            out.add(Map.entry(key, c.getValue()));
        }
        return out;
    }
}
