package io.reactivecarrier.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * The synchronous view of the store inside {@link NodeStore#transaction(java.util.function.Function)}.
 * Everything done through one {@code Tx} is committed to disk together, or not at all if the
 * function throws. A {@code Tx} is valid only while its function runs, on the store's thread; do
 * not keep it or hand it to another thread, and do no slow or blocking work besides the store's.
 *
 * <pre>{@code
 * Mono<Boolean> accepted = store.transaction(tx -> {
 *     Optional<FriendRequestRecord> request = tx.friendRequest(aliceId, true);
 *     request.ifPresent(r -> tx.acceptFriendRequest(
 *             new FriendRecord(aliceId, "Alice", "", "", tx.now(), tx.now(), r.extra())));
 *     return request.isPresent();
 * });
 * }</pre>
 */
public final class Tx {

    private final StoreMaps maps;
    private final boolean writable;
    private boolean active = true;
    /** Sequence state of the recipients whose reservation this transaction moves ({@link #flush()}). */
    private List<StoreMaps.Sequences> reserving;

    Tx(StoreMaps maps, boolean writable) {
        this.maps = maps;
        this.writable = writable;
    }

    void end() {
        active = false;
    }

    private void check(boolean write) {
        if (!active) {
            throw new IllegalStateException("this Tx has ended; use it only inside its transaction function");
        }
        if (write && !writable) {
            throw new IllegalStateException("read-only Tx");
        }
    }

    /** Now, in epoch millis, on the store's clock. */
    public long now() {
        return maps.clock.getAsLong();
    }

    // ---- identity and profile

    /** The stored identity, if one was created. */
    public Optional<StoredIdentity> identity() {
        check(false);
        return Optional.ofNullable(maps.node.get("identity")).map(Codec::identity);
    }

    /** The stored identity, or the one {@code create} makes, stored now (create once). */
    public StoredIdentity identityOrCreate(Supplier<StoredIdentity> create) {
        Optional<StoredIdentity> existing = identity();
        if (existing.isPresent()) {
            return existing.get();
        }
        check(true);
        StoredIdentity created = Objects.requireNonNull(create.get(), "create returned null");
        maps.put(maps.node, "identity", Codec.identity(created));
        return created;
    }

    /** Changes the nospam of the stored identity; fails if there is no identity yet. */
    public void setNospam(int nospam) {
        StoredIdentity id = identity().orElseThrow(
                () -> new IllegalStateException("no identity stored yet: create it first with identityOrCreate"));
        check(true);
        maps.put(maps.node, "identity", Codec.identity(id.withNospam(nospam)));
    }

    /** The node's profile ({@link StoredProfile#EMPTY} when never set). */
    public StoredProfile profile() {
        check(false);
        byte[] data = maps.node.get("profile");
        return data == null ? StoredProfile.EMPTY : Codec.profile(data);
    }

    /** Replaces the node's profile. */
    public void setProfile(StoredProfile profile) {
        Objects.requireNonNull(profile, "profile");
        check(true);
        maps.put(maps.node, "profile", Codec.profile(profile));
    }

    // ---- friends

    /** Adds or replaces a friend. */
    public void putFriend(FriendRecord friend) {
        Objects.requireNonNull(friend, "friend");
        check(true);
        maps.put(maps.friends, Hex.encode(friend.userId()), Codec.friend(friend));
    }

    /** Removes a friend; false if it was not there. */
    public boolean removeFriend(byte[] userId) {
        check(true);
        return maps.remove(maps.friends, key(userId, "userId")) != null;
    }

    /** One friend. */
    public Optional<FriendRecord> friend(byte[] userId) {
        check(false);
        return Optional.ofNullable(maps.friends.get(key(userId, "userId"))).map(Codec::friend);
    }

    /** All friends, ordered by user id. */
    public List<FriendRecord> friends() {
        check(false);
        List<FriendRecord> out = new ArrayList<>();
        maps.friends.values().forEach(v -> out.add(Codec.friend(v)));
        return out;
    }

    /** Sets when a friend was last seen; false if it is not a friend. */
    public boolean updateLastSeen(byte[] userId, long lastSeenMillis) {
        Optional<FriendRecord> f = friend(userId);
        f.ifPresent(r -> putFriend(r.withLastSeen(lastSeenMillis)));
        return f.isPresent();
    }

    /** Sets a friend's label; false if it is not a friend. */
    public boolean updateLabel(byte[] userId, String label) {
        Objects.requireNonNull(label, "label");
        Optional<FriendRecord> f = friend(userId);
        f.ifPresent(r -> putFriend(r.withLabel(label)));
        return f.isPresent();
    }

    // ---- friend requests

    /** Adds a request, replacing one for the same user id and direction. */
    public void putFriendRequest(FriendRequestRecord request) {
        Objects.requireNonNull(request, "request");
        check(true);
        maps.put(maps.requests, requestKey(request.userId(), request.incoming()), Codec.request(request));
    }

    /** Removes a request; false if there was none. */
    public boolean removeFriendRequest(byte[] userId, boolean incoming) {
        check(true);
        return maps.remove(maps.requests, requestKey(userId, incoming)) != null;
    }

    /** One request. */
    public Optional<FriendRequestRecord> friendRequest(byte[] userId, boolean incoming) {
        check(false);
        return Optional.ofNullable(maps.requests.get(requestKey(userId, incoming))).map(Codec::request);
    }

    /** The requests of one direction, ordered by user id. */
    public List<FriendRequestRecord> friendRequests(boolean incoming) {
        check(false);
        List<FriendRequestRecord> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : StoreMaps.prefixed(maps.requests, incoming ? "in:" : "out:")) {
            out.add(Codec.request(e.getValue()));
        }
        return out;
    }

    /**
     * Accepts an incoming request: removes it and stores {@code friend}, in this transaction.
     * Returns false (and stores the friend all the same) if there was no such request.
     */
    public boolean acceptFriendRequest(FriendRecord friend) {
        boolean had = removeFriendRequest(friend.userId(), true);
        putFriend(friend);
        return had;
    }

    private static String requestKey(byte[] userId, boolean incoming) {
        return (incoming ? "in:" : "out:") + key(userId, "userId");
    }

    // ---- outbox

    /**
     * Appends a message for {@code recipient} in state {@link OutboxEntry#PENDING} with the next
     * sequence number of that recipient. Idempotent by message id: if the id is already in the
     * outbox, the stored entry is returned and nothing changes.
     */
    public OutboxEntry appendOutbox(byte[] messageId, byte[] recipient, long createdAtMillis, byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        Optional<OutboxEntry> existing = outboxEntry(messageId);
        if (existing.isPresent()) {
            return existing.get();
        }
        long seq = append(messageId, recipient, createdAtMillis, payload, 0);
        return new OutboxEntry(messageId, recipient, seq, createdAtMillis, payload, OutboxEntry.PENDING);
    }

    /**
     * {@link #appendOutbox} returning only the sequence number: the same effect, without
     * building (and copying the payload into) the returned entry.
     */
    public long appendOutboxSequence(byte[] messageId, byte[] recipient, long createdAtMillis, byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        checkId(messageId, "messageId");
        if (!writable) {
            return appendOutbox(messageId, recipient, createdAtMillis, payload).sequence(); // fails as appendOutbox does
        }
        return append(messageId, recipient, createdAtMillis, payload, 0);
    }

    /**
     * Appends a new message under a sequence number the caller chose: after {@link
     * #outboxSequenceLast} of that recipient. The one who sends the outbox (the message service)
     * numbers messages itself, so that it can send a message whose sequence a durable commit
     * reserved before this transaction has even run. It must be the outbox's only writer for that
     * recipient. Fails (and so does the transaction) for a sequence that is not after the last one
     * or an id already in the outbox.
     */
    public void appendOutboxAt(byte[] messageId, byte[] recipient, long sequence, long createdAtMillis, byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        checkId(messageId, "messageId");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence " + sequence + " is not positive");
        }
        append(messageId, recipient, createdAtMillis, payload, sequence);
    }

    /** The last sequence number handed out for {@code recipient} (by an append or a reservation after a restart). */
    public long outboxSequenceLast(byte[] recipient) {
        check(false);
        return sequences(checkId(recipient, "recipient")).last;
    }

    /**
     * Appends unless the id is in the outbox (then returns its sequence): one tree operation for the
     * id index (put if absent) and one for the entry. Sequences come from memory; the reservation
     * in {@link StoreMaps#outboxSeq} is written once per {@code SEQUENCE_RESERVE / 2} messages.
     * {@code chosen} 0: the next sequence; otherwise that one, which must be after the last.
     */
    private long append(byte[] messageId, byte[] recipient, long createdAtMillis, byte[] payload, long chosen) {
        check(true);
        checkId(recipient, "recipient");
        StoreMaps.Sequences s = sequences(recipient);
        if (chosen != 0 && chosen <= s.last) {
            throw new IllegalStateException("sequence " + chosen + " is not after the last one handed out ("
                    + s.last + "): only the message service may append to the outbox of a recipient it sends to");
        }
        long seq = chosen != 0 ? chosen : s.last + 1;
        byte[] key = StoreMaps.outboxKey(recipient, seq);
        byte[] existing = maps.putIfAbsent(maps.outboxIds, messageId.clone(), key);
        if (existing != null) {
            if (chosen != 0) {
                throw new IllegalStateException("message " + Hex.encode(messageId) + " is in the outbox already");
            }
            byte[] data = maps.outbox.get(existing);
            if (data == null) {
                throw new Codec.Malformed("outbox index points at missing entry " + Hex.encode(existing), null);
            }
            return Codec.outbox(data).sequence();
        }
        s.last = seq; // not undone if the transaction fails: a sequence is then skipped, which receivers allow
        if (seq + StoreMaps.SEQUENCE_RESERVE / 2 > s.reserved()) {
            if (s.pending == 0) {
                (reserving == null ? reserving = new ArrayList<>(1) : reserving).add(s);
            }
            s.pending = seq + StoreMaps.SEQUENCE_RESERVE;
        }
        maps.put(maps.outbox, key, Codec.outbox(messageId, recipient, seq, createdAtMillis, payload, OutboxEntry.PENDING));
        return seq;
    }

    private StoreMaps.Sequences sequences(byte[] recipient) {
        StoreMaps.Sequences s = maps.outboxSequences.get(ByteBuffer.wrap(recipient));
        if (s == null) {
            byte[] stored = maps.outboxSeq.get(recipient);
            byte[] key = recipient.clone();
            s = new StoreMaps.Sequences(key, stored == null ? 0 : StoreMaps.longOf(stored));
            maps.outboxSequences.put(ByteBuffer.wrap(key), s);
        }
        return s;
    }

    /**
     * The highest sequence of {@code recipient} that this store never hands out again, even after
     * a crash, once this transaction is durable. A message whose sequence is at most this may be
     * sent as soon as that holds, before the transaction that appended it is durable: if the node
     * crashes first, a restarted outbox starts after the reservation and never reuses it (receivers
     * allow the gap, see docs/messages.md).
     */
    public long outboxSequenceReserved(byte[] recipient) {
        check(false);
        return sequences(checkId(recipient, "recipient")).reserved();
    }

    /** Writes what this transaction keeps in memory until its end (before the commit). */
    void flush() {
        if (reserving != null) {
            for (StoreMaps.Sequences s : reserving) {
                maps.put(maps.outboxSeq, s.recipient, StoreMaps.longValue(s.pending));
            }
        }
    }

    /** This transaction is in the log (its reservations count from now on) or was undone. */
    void ended(boolean logged) {
        if (reserving != null) {
            for (StoreMaps.Sequences s : reserving) {
                if (logged) {
                    s.logged = Math.max(s.logged, s.pending);
                }
                s.pending = 0;
            }
            reserving = null;
        }
    }

    /** One outbox entry by message id. */
    public Optional<OutboxEntry> outboxEntry(byte[] messageId) {
        check(false);
        byte[] key = maps.outboxIds.get(checkId(messageId, "messageId"));
        if (key == null) {
            return Optional.empty();
        }
        byte[] data = maps.outbox.get(key);
        if (data == null) {
            throw new Codec.Malformed("outbox index points at missing entry " + Hex.encode(key), null);
        }
        return Optional.of(Codec.outbox(data));
    }

    /** Sets the state of an outbox entry; false if the message is not in the outbox. */
    public boolean markOutboxState(byte[] messageId, String state) {
        Objects.requireNonNull(state, "state");
        Optional<OutboxEntry> e = outboxEntry(messageId);
        if (e.isEmpty()) {
            return false;
        }
        check(true);
        maps.put(maps.outbox, StoreMaps.outboxKey(e.get().recipient(), e.get().sequence()),
                Codec.outbox(e.get().withState(state)));
        return true;
    }

    /** Removes a message from the outbox; false if it was not there. Its sequence is not reused. */
    public boolean removeOutbox(byte[] messageId) {
        check(true);
        byte[] key = maps.remove(maps.outboxIds, checkId(messageId, "messageId"));
        if (key == null) {
            return false;
        }
        maps.remove(maps.outbox, key);
        return true;
    }

    /** The whole outbox, ordered by recipient id, then sequence. */
    public List<OutboxEntry> outbox() {
        check(false);
        List<OutboxEntry> out = new ArrayList<>();
        maps.outbox.values().forEach(v -> out.add(Codec.outbox(v)));
        return out;
    }

    /** The outbox of one recipient, ordered by sequence. */
    public List<OutboxEntry> outbox(byte[] recipient) {
        check(false);
        checkId(recipient, "recipient");
        List<OutboxEntry> out = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> e : StoreMaps.prefixed(maps.outbox, recipient)) {
            if (e.getKey().length == recipient.length + 8) { // not a longer recipient id with this prefix
                out.add(Codec.outbox(e.getValue()));
            }
        }
        return out;
    }

    // ---- received message ids

    /**
     * Records that a message was received. True if it is new (or its earlier record has expired),
     * false if it was already seen. The record is kept until {@code expiresAtMillis}.
     */
    public boolean markReceived(byte[] senderId, byte[] messageId, long expiresAtMillis) {
        check(false);
        byte[] key = StoreMaps.receivedKey(checkId(senderId, "senderId"), checkId(messageId, "messageId"));
        long now = now();
        if (!writable) {
            byte[] seen = maps.received.get(key);
            if (seen != null && StoreMaps.longOf(seen) > now) {
                return false;
            }
            check(true); // fails: a new id needs a write
        }
        // one tree operation: put unless a live record is there
        if (!maps.putReceivedIfExpired(key, StoreMaps.longValue(expiresAtMillis), now)) {
            return false;
        }
        if (++maps.receivedSincePurge >= StoreMaps.PURGE_EVERY) {
            maps.purgeReceivedSome(now, 2 * StoreMaps.PURGE_EVERY);
        }
        return true;
    }

    // ---- key-value maps

    /** The live value of {@code key} in {@code map}. */
    public Optional<byte[]> get(KeyValueMap map, byte[] key) {
        check(false);
        byte[] data = maps.kv(map.name()).get(checkId(key, "key"));
        if (data == null || Codec.expiresAt(data) <= now()) {
            return Optional.empty();
        }
        return Optional.of(Codec.value(data));
    }

    /**
     * The live values of {@code keys}, in their order; null for a key that is absent or expired
     * (and for a null key). Runs of ascending keys are read with one cursor, so a page is read once
     * for all the keys it holds, not once per key: the store keeps no page cache
     * ({@link NodeStore#CACHE_MB_PROPERTY}), and a point read of a page already on disk reads it
     * from the file again (2,048 reads of 1 KiB values: 35-127 ms one by one, 2-14 ms with this
     * method, 4-9 ms one by one with a 4 MiB cache).
     */
    public List<byte[]> getAll(KeyValueMap map, List<byte[]> keys) {
        Objects.requireNonNull(keys, "keys");
        check(false);
        long now = now();
        MVMap<byte[], byte[]> m = maps.kv(map.name());
        List<byte[]> out = new ArrayList<>(keys.size());
        Cursor<byte[], byte[]> c = null;
        byte[] at = null; // the smallest key at or after the last one looked up; null past the end
        byte[] last = null;
        for (byte[] key : keys) {
            if (key == null) {
                out.add(null);
                continue;
            }
            checkId(key, "key");
            boolean reposition = c == null || Arrays.compareUnsigned(key, last) < 0;
            // a key ahead: on along the cursor for a few entries, then a fresh cursor from the root
            for (int steps = 0; !reposition && at != null && Arrays.compareUnsigned(at, key) < 0; steps++) {
                if (steps == SCAN_STEPS) {
                    reposition = true;
                } else {
                    at = c.hasNext() ? c.next() : null;
                }
            }
            if (reposition) {
                c = m.cursor(key);
                at = c.hasNext() ? c.next() : null;
            }
            last = key;
            byte[] data = at != null && Arrays.equals(at, key) ? c.getValue() : null;
            out.add(data == null || Codec.expiresAt(data) <= now ? null : Codec.value(data));
        }
        return out;
    }

    /** Entries {@link #getAll} steps over before it repositions its cursor instead. */
    private static final int SCAN_STEPS = 64;

    /**
     * Stores {@code value} under {@code key} until {@code expiresAtMillis} ({@link Long#MAX_VALUE}:
     * for ever). A new key in a map at its bound first purges expired entries, then fails with
     * {@link StoreFullException} if the map is still full.
     */
    public void put(KeyValueMap map, byte[] key, byte[] value, long expiresAtMillis) {
        Objects.requireNonNull(value, "value");
        putRecord(map, key, Codec.expiring(expiresAtMillis, value));
    }

    private void putRecord(KeyValueMap map, byte[] key, byte[] record) {
        check(true);
        MVMap<byte[], byte[]> m = maps.kv(map.name());
        byte[] k = checkId(key, "key").clone();
        if (m.sizeAsLong() >= map.maxEntries() && !m.containsKey(k)) {
            maps.purgeKv(m, now());
            if (m.sizeAsLong() >= map.maxEntries()) {
                throw new StoreFullException("map '" + map.name() + "' holds its maximum of " + map.maxEntries()
                        + " entries; remove entries or let them expire");
            }
        }
        maps.put(m, k, record);
    }

    /**
     * {@link #put(KeyValueMap, byte[], byte[], long)} of the value {@code head ‖ tail}, built
     * straight into the stored record (one copy of {@code tail}, no concatenated array first).
     */
    public void put(KeyValueMap map, byte[] key, byte[] head, byte[] tail, long expiresAtMillis) {
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(tail, "tail");
        putRecord(map, key, Codec.expiring(expiresAtMillis, head, tail));
    }

    /** Removes {@code key}; false if it was not there (or had expired). */
    public boolean remove(KeyValueMap map, byte[] key) {
        check(true);
        byte[] old = maps.remove(maps.kv(map.name()), checkId(key, "key"));
        return old != null && Codec.expiresAt(old) > now();
    }

    /** The live entries whose key starts with {@code prefix} (empty: all), ordered by key bytes. */
    public List<KeyValueMap.Entry> scan(KeyValueMap map, byte[] prefix) {
        Objects.requireNonNull(prefix, "prefix");
        check(false);
        long now = now();
        List<KeyValueMap.Entry> out = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> e : StoreMaps.prefixed(maps.kv(map.name()), prefix)) {
            long expires = Codec.expiresAt(e.getValue());
            if (expires > now) {
                out.add(new KeyValueMap.Entry(e.getKey(), Codec.value(e.getValue()), expires));
            }
        }
        return out;
    }

    /** Removes the expired entries of {@code map}; returns how many. */
    public int purgeExpired(KeyValueMap map) {
        check(true);
        return maps.purgeKv(maps.kv(map.name()), now());
    }

    /** The number of entries in {@code map}, expired ones not yet purged included. */
    public long size(KeyValueMap map) {
        check(false);
        return maps.kv(map.name()).sizeAsLong();
    }

    private static String key(byte[] id, String what) {
        return Hex.encode(checkId(id, what));
    }

    /** {@code id} itself (not a copy) after checking its length. */
    private static byte[] checkId(byte[] id, String what) {
        Objects.requireNonNull(id, what);
        if (id.length == 0 || id.length > Records.MAX_ID_LENGTH) {
            throw new IllegalArgumentException(what + " must be 1.." + Records.MAX_ID_LENGTH + " bytes, got "
                    + id.length);
        }
        return id;
    }
}
