package io.meshdns.server.answer;

/**
 * A plain query read straight from its wire bytes, without building a dnsjava message: what the answer
 * cache needs to look up an answer. Anything unusual (several questions, records other than one OPT,
 * EDNS version above 0, compression in the question) is left to the full parser ({@link #read} returns
 * {@code false}), so this class only has to be right about the common case.
 *
 * <p>One instance is reused for every query its thread reads, so the cache-hit path allocates nothing:
 * it is mutable and must never leave that thread.
 */
public final class WireQuery {
    public static final int HEADER = 12;
    /** A name is at most 255 bytes in wire form; then qtype and qclass. */
    static final int MAX_QUESTION = 255 + 4;

    private static final int TYPE_OPT = 41;

    /** The question in wire form with the name lowercased, then qtype and qclass; {@link #questionLength} bytes. */
    final byte[] question = new byte[MAX_QUESTION];

    int questionLength;
    /** The length of the question's name in wire form (it starts at offset 12). */
    int nameLength;

    int qtype;
    int qclass;
    /** The EDNS UDP payload size, or -1 without an OPT record. */
    int ednsPayload;
    /** Where the data of the EDNS0 option carrying the querier's cluster starts in the packet, or -1. */
    int clusterOptionAt;

    int clusterOptionLength;
    /** Where the data of the first COOKIE option (RFC 7873) starts in the packet, or -1; and its length. */
    int cookieAt;

    int cookieLength;
    /** Whether the OPT record carries the Padding option (RFC 7830). */
    boolean padding;

    /**
     * Reads a standard query (QR=0, opcode QUERY, one question) from {@code p[0..length)}.
     *
     * @return whether it is one; {@code false} leaves the fields undefined
     */
    boolean read(byte[] p, int length, int clusterOptionCode) {
        if (length < HEADER + 5 || (p[2] & 0xF8) != 0) { // QR=0 and opcode 0
            return false;
        }
        int qd = u16(p, 4);
        int an = u16(p, 6);
        int ns = u16(p, 8);
        int ar = u16(p, 10);
        if (qd != 1 || an != 0 || ns != 0 || ar > 1) {
            return false;
        }
        int i = HEADER;
        while (true) {
            if (i >= length) {
                return false;
            }
            int len = p[i] & 0xFF;
            if (len == 0) {
                i++;
                break;
            }
            if (len > 63) {
                return false; // compression pointer or extended label: the full parser decides
            }
            i += len + 1;
            if (i - HEADER > 255) {
                return false;
            }
        }
        nameLength = i - HEADER;
        if (nameLength > 255) {
            return false; // over the limit by its root label alone: the checks in the loop count labels only
        }
        if (i + 4 > length) {
            return false;
        }
        qtype = u16(p, i);
        qclass = u16(p, i + 2);
        int end = i + 4;
        questionLength = end - HEADER;
        for (int k = 0; k < questionLength; k++) {
            byte b = p[HEADER + k];
            // Label length bytes are at most 63, below 'A': lowercasing every byte of the name is safe.
            question[k] = k < nameLength && b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
        }
        ednsPayload = -1;
        clusterOptionAt = -1;
        clusterOptionLength = 0;
        cookieAt = -1;
        cookieLength = 0;
        padding = false;
        if (ar == 1) {
            // OPT: root name, type 41, class = payload size, TTL = ext-rcode/version/flags, rdata = options.
            if (end + 11 > length || p[end] != 0 || u16(p, end + 1) != TYPE_OPT || p[end + 6] != 0) {
                return false; // not an OPT, or EDNS version > 0 (BADVERS is the full parser's job)
            }
            ednsPayload = u16(p, end + 3);
            int rdlen = u16(p, end + 9);
            int o = end + 11;
            if (o + rdlen != length) {
                return false;
            }
            while (o < end + 11 + rdlen) {
                if (o + 4 > length) {
                    return false;
                }
                int code = u16(p, o);
                int olen = u16(p, o + 2);
                if (o + 4 + olen > length) {
                    return false;
                }
                if (code == clusterOptionCode && clusterOptionAt < 0) {
                    clusterOptionAt = o + 4;
                    clusterOptionLength = olen;
                } else if (code == ServerCookies.OPTION && cookieAt < 0) {
                    cookieAt = o + 4;
                    cookieLength = olen;
                } else if (code == ResponseOptions.PADDING) {
                    padding = true;
                }
                o += 4 + olen;
            }
        } else if (end != length) {
            return false;
        }
        return true;
    }

    static int u16(byte[] p, int at) {
        return (p[at] & 0xFF) << 8 | (p[at + 1] & 0xFF);
    }
}
