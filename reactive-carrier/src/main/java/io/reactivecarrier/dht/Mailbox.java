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
 * <p>Every item is signed by its sender's identity inside the seal: the plaintext is
 * {@code version(1) | type(1) | sender user id(32) | body | Ed25519 signature(64)}, the signature
 * covering {@code "carrier-mailbox-sig-v1" | recipient | type | sender | body}. {@link #fetch()}
 * returns only items whose signature verifies, so a handler knows who sent an item and that
 * it was meant for this recipient (a sealed item cannot be replayed into another mailbox).
 * The type byte tells the layers above what the body is (friend requests, messages, ...).
 *
 * <pre>{@code
 * Mailbox mine = Mailbox.of(dht, identity);
 * mine.deposit(friendUserId, type, bytes, Duration.ofDays(7))      // emits how many nodes stored it
 * mine.fetch().subscribe(item -> ...);                             // my opened, verified items
 * }</pre>
 */
public final class Mailbox {

    private static final Logger log = LoggerFactory.getLogger(Mailbox.class);
    private static final byte[] KEY_DOMAIN = "carrier-mailbox-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEAL_INFO = "carrier-mailbox-item-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SIG_DOMAIN = "carrier-mailbox-sig-v1".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int HEADER = 1 + 1 + 32;

    /** Largest body of one item: a DHT value less the sealed-box overhead, the header and the signature. */
    public static final int MAX_ITEM_BYTES = DhtValue.MAX_DATA_BYTES - SealedBox.OVERHEAD - HEADER
            - Ed25519KeyPair.SIGNATURE_LENGTH;

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
     * Signs {@code body} with this identity, seals it to {@code recipientUserId} and stores it in
     * their mailbox until {@code ttl} passes or they delete it. Emits how many nodes stored it.
     *
     * @param type what the body is, 0..255, for the recipient's dispatch
     * @throws ValueTooLargeException (in the Mono) when the body exceeds {@link #MAX_ITEM_BYTES}
     */
    public Mono<Integer> deposit(byte[] recipientUserId, int type, byte[] body, Duration ttl) {
        return Mono.defer(() -> {
            Objects.requireNonNull(recipientUserId, "recipientUserId");
            Objects.requireNonNull(body, "body");
            if (recipientUserId.length != 32) {
                return Mono.error(new IllegalArgumentException("a user id is 32 bytes, got " + recipientUserId.length));
            }
            if (type < 0 || type > 255) {
                return Mono.error(new IllegalArgumentException("a mailbox item type is 0..255, got " + type));
            }
            if (body.length > MAX_ITEM_BYTES) {
                return Mono.error(new ValueTooLargeException("mailbox item", body.length, MAX_ITEM_BYTES,
                        "Mailbox.MAX_ITEM_BYTES"));
            }
            byte[] sender = identity.publicKey();
            byte[] plain = new byte[HEADER + body.length + Ed25519KeyPair.SIGNATURE_LENGTH];
            plain[0] = (byte) VERSION;
            plain[1] = (byte) type;
            System.arraycopy(sender, 0, plain, 2, 32);
            System.arraycopy(body, 0, plain, HEADER, body.length);
            byte[] signature = identity.sign(signedPart(recipientUserId, plain, HEADER + body.length));
            System.arraycopy(signature, 0, plain, HEADER + body.length, signature.length);
            byte[] sealed = SealedBox.seal(IdentityAgreement.publicKey(recipientUserId), plain, SEAL_INFO);
            DhtValue value = DhtValue.sealed(keyOf(recipientUserId), recipientUserId,
                    clock.getAsLong() + ttl.toMillis(), sealed);
            return dht.storeValue(value);
        });
    }

    private static byte[] signedPart(byte[] recipient, byte[] plain, int length) {
        // domain | recipient | type | sender | body (the version byte is fixed by the domain)
        byte[] msg = new byte[SIG_DOMAIN.length + 32 + length - 1];
        System.arraycopy(SIG_DOMAIN, 0, msg, 0, SIG_DOMAIN.length);
        System.arraycopy(recipient, 0, msg, SIG_DOMAIN.length, 32);
        System.arraycopy(plain, 1, msg, SIG_DOMAIN.length + 32, length - 1);
        return msg;
    }

    /** Opens and verifies one sealed entry; null when it is not a valid item for this identity. */
    Item open(DhtValue.Sealed v) {
        byte[] plain;
        try {
            plain = SealedBox.open(openingKey, v.data(), SEAL_INFO);
        } catch (CryptoException e) {
            log.debug("skipping a mailbox entry that does not open: {}", e.getMessage());
            return null;
        }
        if (plain.length < HEADER + Ed25519KeyPair.SIGNATURE_LENGTH || plain[0] != VERSION) {
            log.debug("skipping a mailbox entry with a bad header ({} bytes)", plain.length);
            return null;
        }
        int bodyEnd = plain.length - Ed25519KeyPair.SIGNATURE_LENGTH;
        byte[] sender = java.util.Arrays.copyOfRange(plain, 2, HEADER);
        byte[] signature = java.util.Arrays.copyOfRange(plain, bodyEnd, plain.length);
        if (!Ed25519KeyPair.verify(sender, signedPart(identity.publicKey(), plain, bodyEnd), signature)) {
            log.debug("skipping a mailbox entry whose signature does not verify");
            return null;
        }
        return new Item(v.entryId(), plain[1] & 0xff, sender, java.util.Arrays.copyOfRange(plain, HEADER, bodyEnd),
                v.expiresAt());
    }

    /**
     * The items in this node's own mailbox, opened and verified. Entries that do not open (not
     * sealed to us, corrupted) or whose sender signature does not verify are skipped and logged;
     * they stay until they expire.
     */
    public Flux<Item> fetch() {
        NodeId key = keyOf(identity.publicKey());
        return dht.sealedEntries(key).handle((v, sink) -> {
            Item item = open(v);
            if (item != null) {
                sink.next(item);
            }
        });
    }

    /**
     * Deletes items from the storing nodes with this identity's signature, with one lookup for all
     * of them. Emits how many deletions (node and item) succeeded.
     */
    public Mono<Integer> delete(java.util.List<NodeId> entryIds) {
        return dht.deleteSealed(keyOf(identity.publicKey()), entryIds, identity);
    }

    /** Deletes an item from the storing nodes with this identity's signature. Emits how many deleted it. */
    public Mono<Integer> delete(NodeId entryId) {
        return dht.deleteSealed(keyOf(identity.publicKey()), entryId, identity);
    }

    /**
     * One opened, verified mailbox item: its entry id (to delete it), its type, the sender's user
     * id (whose signature verified), the body and the expiry.
     */
    public record Item(NodeId entryId, int type, byte[] sender, byte[] body, long expiresAt) {
    }
}
