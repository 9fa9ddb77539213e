package io.meshdns.server.transfer;

import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.zone.DnsNames;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;

/**
 * The configured TSIG keys (RFC 8945): verifies signed requests and signs their responses, with dnsjava's
 * {@link TSIG}. Off the query path: only transfers, NOTIFYs and signed queries come here.
 */
public final class TsigKeyring {
    /** What a request's signature says: {@code error} is {@link #UNSIGNED}, NOERROR or a TSIG error. */
    record Verdict(int error, TSIG key, TSIGRecord request) {
        boolean signed() {
            return error != UNSIGNED;
        }

        boolean valid() {
            return error == Rcode.NOERROR;
        }
    }

    static final int UNSIGNED = -1;

    private final Map<Name, TSIG> byName = new HashMap<>();
    private final TSIG first;

    public TsigKeyring(List<ServerConfig.TsigKey> keys) {
        TSIG firstKey = null;
        for (ServerConfig.TsigKey k : keys) {
            Name name = DnsNames.absolute(k.name());
            TSIG tsig = new TSIG(TSIG.algorithmToName(k.algorithm()), name, k.secretBytes());
            byName.put(name, tsig);
            firstKey = firstKey == null ? tsig : firstKey;
        }
        this.first = firstKey;
    }

    boolean isEmpty() {
        return byName.isEmpty();
    }

    /** The key NOTIFYs are signed with, or {@code null}. */
    public TSIG first() {
        return first;
    }

    /** Checks the signature of {@code request}, parsed from {@code wire}. */
    Verdict verify(Message request, byte[] wire) {
        TSIGRecord record = request.getTSIG();
        if (record == null) {
            return new Verdict(UNSIGNED, null, null);
        }
        TSIG key = byName.get(record.getName());
        if (key == null) {
            return new Verdict(Rcode.BADKEY, null, record);
        }
        // dnsjava answers BADKEY for an algorithm other than the key's; BADSIG, then BADTIME (RFC 8945 5.2).
        return new Verdict(key.verify(request, wire, null), key, record);
    }

    /**
     * The response to a request whose signature failed: NOTAUTH with the TSIG error, the MAC left empty
     * for BADKEY and BADSIG, signed for BADTIME (RFC 8945 5.2.3), which carries our time.
     */
    static byte[] error(Message response, Verdict verdict) {
        response.getHeader().setRcode(Rcode.NOTAUTH);
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            response.removeAllRecords(section);
        }
        TSIGRecord r = verdict.request();
        if (verdict.error() == Rcode.BADTIME && verdict.key() != null) {
            verdict.key().apply(response, Rcode.BADTIME, r);
        } else {
            response.addRecord(
                    new TSIGRecord(
                            r.getName(),
                            DClass.ANY,
                            0,
                            r.getAlgorithm(),
                            Instant.now(),
                            Duration.ofSeconds(300),
                            new byte[0],
                            response.getHeader().getID(),
                            verdict.error(),
                            null),
                    Section.ADDITIONAL);
        }
        return response.toWire();
    }

    /** Signs the messages of one response to a validly signed request (RFC 8945 5.3.1 for several). */
    static void sign(List<Message> messages, Verdict verdict) {
        TSIGRecord previous = verdict.request();
        boolean firstMessage = true;
        for (Message m : messages) {
            verdict.key().apply(m, Rcode.NOERROR, previous, firstMessage);
            previous = m.getTSIG();
            firstMessage = false;
        }
    }
}
