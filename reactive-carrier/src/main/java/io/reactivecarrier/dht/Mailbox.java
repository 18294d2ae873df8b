package io.reactivecarrier.dht;

import io.reactivecarrier.crypto.CryptoException;
import io.reactivecarrier.crypto.Ed25519KeyPair;
import io.reactivecarrier.crypto.IdentityAgreement;
import io.reactivecarrier.crypto.SealedBox;
import io.reactivecarrier.crypto.X25519KeyPair;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A user's mailbox in the DHT: a sealed set stored on the nodes closest to
 * {@code SHA-256("carrier-mailbox-v1" || userId)}. Anyone who knows a user id can deposit an
 * item, sealed (HPKE) to the X25519 key of that identity ({@link IdentityAgreement}), so the
 * storing nodes see only ciphertext. Only the owner can open the items, and only the owner's
 * signature deletes them. Offline friend requests and offline messages travel this way.
 *
 * <pre>{@code
 * Mailbox mine = Mailbox.of(dht, identity);
 * mine.deposit(friendUserId, bytes, Duration.ofDays(7))            // emits how many nodes stored it
 * mine.fetch().subscribe(item -> ...);                             // my opened items
 * }</pre>
 */
public final class Mailbox {

    private static final Logger log = LoggerFactory.getLogger(Mailbox.class);
    private static final byte[] KEY_DOMAIN = "carrier-mailbox-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEAL_INFO = "carrier-mailbox-item-v1".getBytes(StandardCharsets.US_ASCII);

    /** Largest plaintext of one item: a DHT value less the sealed-box overhead. */
    public static final int MAX_ITEM_BYTES = DhtValue.MAX_DATA_BYTES - SealedBox.OVERHEAD;

    private final Dht dht;
    private final Ed25519KeyPair identity;
    private final X25519KeyPair openingKey;
    private final LongSupplier clock;

    private Mailbox(Dht dht, Ed25519KeyPair identity, LongSupplier clock) {
        this.dht = dht;
        this.identity = identity;
        this.openingKey = IdentityAgreement.keyPair(identity);
        this.clock = clock;
    }

    /** The mailbox of {@code identity} over {@code dht}, on the wall clock. */
    public static Mailbox of(Dht dht, Ed25519KeyPair identity) {
        return new Mailbox(dht, identity, System::currentTimeMillis);
    }

    /** The same with another clock (the network clock of a simulation). */
    public static Mailbox of(Dht dht, Ed25519KeyPair identity, LongSupplier clock) {
        return new Mailbox(dht, identity, clock);
    }

    /** The DHT key of {@code userId}'s mailbox. */
    public static NodeId keyOf(byte[] userId) {
        return NodeId.sha256(KEY_DOMAIN, userId);
    }

    /**
     * Seals {@code item} to {@code recipientUserId} and stores it in their mailbox until
     * {@code ttl} passes or they delete it. Emits how many nodes stored it.
     *
     * @throws ValueTooLargeException (in the Mono) when the item exceeds {@link #MAX_ITEM_BYTES}
     */
    public Mono<Integer> deposit(byte[] recipientUserId, byte[] item, Duration ttl) {
        return Mono.defer(() -> {
            Objects.requireNonNull(recipientUserId, "recipientUserId");
            if (item.length > MAX_ITEM_BYTES) {
                return Mono.error(new ValueTooLargeException("mailbox item", item.length, MAX_ITEM_BYTES,
                        "Mailbox.MAX_ITEM_BYTES"));
            }
            byte[] sealed = SealedBox.seal(IdentityAgreement.publicKey(recipientUserId), item, SEAL_INFO);
            DhtValue value = DhtValue.sealed(keyOf(recipientUserId), recipientUserId,
                    clock.getAsLong() + ttl.toMillis(), sealed);
            return dht.storeValue(value);
        });
    }

    /**
     * The items in this node's own mailbox, opened. Entries that do not open (not sealed to us,
     * corrupted) are skipped and logged; they stay until they expire.
     */
    public Flux<Item> fetch() {
        NodeId key = keyOf(identity.publicKey());
        return dht.sealedEntries(key).flatMap(v -> {
            try {
                return Mono.just(new Item(v.entryId(), SealedBox.open(openingKey, v.data(), SEAL_INFO), v.expiresAt()));
            } catch (CryptoException e) {
                log.debug("skipping a mailbox entry that does not open: {}", e.getMessage());
                return Mono.empty();
            }
        });
    }

    /** Deletes an item from the storing nodes with this identity's signature. Emits how many deleted it. */
    public Mono<Integer> delete(NodeId entryId) {
        return dht.deleteSealed(keyOf(identity.publicKey()), entryId, identity);
    }

    /** One opened mailbox item: its entry id (to delete it), its plaintext and its expiry. */
    public record Item(NodeId entryId, byte[] content, long expiresAt) {
    }
}
