package io.reactivecarrier.dht;

import io.reactivecarrier.wire.DecodeException;
import io.reactivecarrier.wire.DecodeException.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * FIND_SEALED: reading a whole sealed set (a mailbox) page by page. FIND_VALUE returns only what
 * fits one datagram; a mailbox may hold thousands of entries, so the reader asks each storing
 * node for the entries whose id is greater than the last one it got, until the node says there
 * are no more.
 *
 * <pre>
 * request:  key (32) | after (32, entry id; all zero for the first page) | zero padding
 *           (the request is padded to {@value #PADDED_REQUEST} bytes so that a storing node may answer
 *           with at least one whole entry to a reader whose address it has not validated: the RPC
 *           layer caps such a response at 3x the request; unpadded requests of 64 bytes are accepted)
 * response: more (1: 0 or 1) | count (1) | count x value (the value encoding of FIND_VALUE)
 * </pre>
 */
final class SealedPages {

    /** The RPC method number of FIND_SEALED. */
    static final int FIND_SEALED = 0x08;

    /** Most entries one page carries. */
    static final int MAX_PAGE = DhtCodec.MAX_VALUES;

    /** The size of a FIND_SEALED request body: 3x its datagram covers one entry of the largest size. */
    static final int PADDED_REQUEST = 400;

    private static final Comparator<DhtValue> BY_ENTRY_ID = Comparator.comparing(DhtValue::entryId);

    record Request(NodeId key, NodeId after) {
    }

    record Page(boolean more, List<DhtValue.Sealed> entries) {
    }

    private SealedPages() {
    }

    static byte[] encodeRequest(Request r) {
        byte[] body = new byte[PADDED_REQUEST];
        System.arraycopy(r.key().raw(), 0, body, 0, NodeId.LENGTH);
        System.arraycopy(r.after().raw(), 0, body, NodeId.LENGTH, NodeId.LENGTH);
        return body;
    }

    static Request decodeRequest(byte[] body) throws DecodeException {
        if (body.length > 2 * NodeId.LENGTH) {
            if (body.length > PADDED_REQUEST) {
                throw new DecodeException(Reason.OVERSIZED, "FIND_SEALED request of " + body.length + " bytes");
            }
            for (int i = 2 * NodeId.LENGTH; i < body.length; i++) {
                if (body[i] != 0) {
                    throw new DecodeException(Reason.MALFORMED, "FIND_SEALED padding is not zero");
                }
            }
            body = java.util.Arrays.copyOf(body, 2 * NodeId.LENGTH);
        }
        DhtCodec.In in = new DhtCodec.In(body);
        Request r = new Request(DhtCodec.readId(in), DhtCodec.readId(in));
        in.end();
        return r;
    }

    static byte[] encodePage(Page p) {
        if (p.entries().size() > MAX_PAGE) {
            throw new IllegalArgumentException("at most " + MAX_PAGE + " entries a page");
        }
        DhtCodec.Out o = new DhtCodec.Out().u8(p.more() ? 1 : 0).u8(p.entries().size());
        for (DhtValue v : p.entries()) {
            DhtCodec.writeValue(o, v);
        }
        return o.toArray();
    }

    static Page decodePage(byte[] body) throws DecodeException {
        DhtCodec.In in = new DhtCodec.In(body);
        int more = in.u8();
        if (more > 1) {
            throw new DecodeException(Reason.MALFORMED, "more flag " + more);
        }
        int count = in.u8();
        if (count > MAX_PAGE) {
            throw new DecodeException(Reason.OVERSIZED, count + " entries in a page");
        }
        List<DhtValue.Sealed> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            DhtValue v = DhtCodec.readValue(in);
            if (!(v instanceof DhtValue.Sealed s)) {
                throw new DecodeException(Reason.MALFORMED, "a sealed page holds only sealed entries");
            }
            entries.add(s);
        }
        in.end();
        return new Page(more == 1, entries);
    }

    /** The page of {@code held} after {@code after} that fits {@code budget} bytes. */
    static Page page(List<DhtValue> held, NodeId after, int budget) {
        List<DhtValue> sorted = new ArrayList<>();
        for (DhtValue v : held) {
            if (v instanceof DhtValue.Sealed && v.entryId().compareTo(after) > 0) {
                sorted.add(v);
            }
        }
        sorted.sort(BY_ENTRY_ID);
        List<DhtValue.Sealed> page = new ArrayList<>();
        int left = budget - 2;
        int i = 0;
        for (; i < sorted.size() && page.size() < MAX_PAGE; i++) {
            int size = DhtCodec.valueSize(sorted.get(i));
            if (size > left) {
                break;
            }
            page.add((DhtValue.Sealed) sorted.get(i));
            left -= size;
        }
        return new Page(i < sorted.size(), page);
    }
}
