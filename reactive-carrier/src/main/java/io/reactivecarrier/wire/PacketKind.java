package io.reactivecarrier.wire;

/**
 * The first byte of every datagram a node sends: what kind of packet follows.
 *
 * <p>One UDP socket carries every kind. A receiver reads this byte, looks the kind up and drops
 * (and counts) a datagram of unknown kind before it allocates anything for it. Tags are stable
 * wire values: never renumber one, only add.
 *
 * <pre>{@code
 * PacketKind kind = PacketKind.of(datagram.getUnsignedByte(datagram.readerIndex()));
 * if (kind == null) {
 *     return; // unknown kind: dropped before anything is allocated
 * }
 * out.writeByte(PacketKind.PUNCH.tag()).writeByte(Limits.PROTOCOL_VERSION);
 * }</pre>
 */
public enum PacketKind {
    /** An RPC request: authenticated, encrypted, from one node key to another (DHT and signalling). */
    RPC_REQUEST(0x01),
    /** An RPC response, matched to its request by transaction id. */
    RPC_RESPONSE(0x02),
    /** First message of the friend link handshake (Noise IK initiation). */
    LINK_HANDSHAKE_INIT(0x10),
    /** Second message of the friend link handshake (Noise IK response). */
    LINK_HANDSHAKE_RESP(0x11),
    /** A cookie reply: the responder is under load and asks the initiator to prove its address. */
    LINK_COOKIE(0x12),
    /** A transport packet of an established link: counter nonce and AEAD ciphertext. */
    LINK_DATA(0x13),
    /** A stream packet (session layer): destination connection id, packet number, AEAD or checksummed frames. */
    STREAM(0x30),
    /** A packet relayed through a relay node, opaque to the relay. */
    RELAY(0x20),
    /** A hole-punching probe. */
    PUNCH(0x21),
    /** LAN discovery announcement. */
    LAN_DISCOVERY(0x22);

    private static final PacketKind[] BY_TAG = new PacketKind[256];

    static {
        for (PacketKind k : values()) {
            BY_TAG[k.tag] = k;
        }
    }

    private final int tag;

    PacketKind(int tag) {
        this.tag = tag;
    }

    /** The wire value of this kind (0..255). */
    public int tag() {
        return tag;
    }

    /** The kind with this wire value, or {@code null} when no kind has it. */
    public static PacketKind of(int tag) {
        return tag < 0 || tag > 255 ? null : BY_TAG[tag];
    }
}
