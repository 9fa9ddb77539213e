package io.meshdns.server.answer;

import org.xbill.DNS.Header;
import org.xbill.DNS.Rcode;

/**
 * Responses of a header alone, made from a query's raw bytes when it cannot be (or must not be) answered
 * otherwise: the query path, zone transfers and the listeners' last resort all use them.
 */
public final class Responses {
    private Responses() {}

    /** FORMERR echoing the ID and opcode when the 12-byte header can be read; otherwise drop. */
    public static byte[] formerr(byte[] packet) {
        return headerOnly(packet, Rcode.FORMERR);
    }

    public static byte[] servfail(byte[] packet) {
        return headerOnly(packet, Rcode.SERVFAIL);
    }

    private static byte[] headerOnly(byte[] packet, int rcode) {
        if (packet.length < Header.LENGTH) {
            return null;
        }
        if ((packet[2] & 0x80) != 0) {
            return null; // QR set: never answer a response
        }
        byte[] out = new byte[Header.LENGTH];
        out[0] = packet[0];
        out[1] = packet[1];
        out[2] = (byte) (0x80 | (packet[2] & 0x79)); // QR, the query's opcode and RD
        out[3] = (byte) rcode;
        return out;
    }
}
