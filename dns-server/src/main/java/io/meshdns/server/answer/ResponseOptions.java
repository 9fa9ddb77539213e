package io.meshdns.server.answer;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.time.Clock;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.OPTRecord;

/**
 * The EDNS options of one response that are this query's own, not the compiled answer's: a DNS cookie
 * (RFC 7873, the server cookie as RFC 9018 builds it) and padding (RFC 7830). They are appended to the
 * answer's OPT record, which compiled answers carry last and without options (dnsjava writes the OPT
 * record last; {@link CompiledAnswer#endsWithOpt} checks), so the stored answers stay the same for everyone.
 *
 * <p>Padding goes only over an encrypted transport (DNS over TLS): RFC 7830 6 forbids it on clear text,
 * where it only helps amplification. There, a response to a query with the Padding option is always
 * padded (RFC 7830 4: MUST), and by default every response to a query with EDNS too (MAY), to a multiple
 * of 468 bytes (RFC 8467 4.1), or as far as the 65,535 bytes of a TCP message allow. A query without EDNS
 * gets no OPT record, so no padding (RFC 7830 4: MUST NOT).
 *
 * <p>One per event-loop thread, reused for every query: mutable, it must never leave that thread. A query
 * without a cookie costs a few branches; one with a cookie (when cookies are on) copies the client
 * address's bytes (one small array) and computes one or two SipHashes.
 */
public final class ResponseOptions {
    /** EDNS option code of Padding (RFC 7830 3). */
    static final int PADDING = 12;
    /** RFC 8467 4.1: responders pad to a multiple of 468 bytes. */
    public static final int PADDING_BLOCK = 468;

    private static final int OPTION_HEADER = 4;
    /** What a cookie in the response takes: its option header, the client cookie and the server cookie. */
    static final int COOKIE_SIZE = OPTION_HEADER + ServerCookies.RESPONSE_COOKIE;

    /** {@code null} when cookies are off: the COOKIE option is then ignored (RFC 7873 5.2). */
    private final ServerCookies.Hasher cookies;

    private final boolean padEveryEdnsAnswer;
    private final Clock clock;
    /** The query's COOKIE option, then the one going back: client cookie, server cookie (24 bytes). */
    private final byte[] cookie = new byte[40];

    private boolean cookieBack;
    private boolean cookieValid;
    private boolean pad;

    /**
     * @param cookies this thread's hasher, or {@code null} when cookies are off
     * @param padEveryEdnsAnswer pad every encrypted answer to an EDNS query, not only those that ask
     */
    ResponseOptions(ServerCookies.Hasher cookies, boolean padEveryEdnsAnswer, Clock clock) {
        this.cookies = cookies;
        this.padEveryEdnsAnswer = padEveryEdnsAnswer;
        this.clock = clock;
    }

    /** Forgets the last query's options; before each query. */
    void clear() {
        cookieBack = false;
        cookieValid = false;
        pad = false;
    }

    /**
     * Reads what a query with EDNS, read by {@link WireQuery} from {@code packet}, asks for.
     *
     * @param encrypted whether the answer goes over TLS
     * @return {@code false} when its COOKIE option is malformed: FORMERR (RFC 7873 5.2.2)
     */
    boolean read(WireQuery wire, byte[] packet, InetAddress client, boolean encrypted) {
        pad = encrypted && (padEveryEdnsAnswer || wire.padding);
        return wire.cookieAt < 0 || cookie(packet, wire.cookieAt, wire.cookieLength, client);
    }

    /** As {@link #read(WireQuery, byte[], InetAddress, boolean)}, for a query dnsjava parsed (off the hot path). */
    boolean read(OPTRecord opt, InetAddress client, boolean encrypted) {
        pad = encrypted && (padEveryEdnsAnswer || !opt.getOptions(PADDING).isEmpty());
        for (EDNSOption option : opt.getOptions(ServerCookies.OPTION)) {
            byte[] wire = option.toWire(); // code (2 bytes), length (2), data: dnsjava keeps the data private
            return cookie(wire, OPTION_HEADER, wire.length - OPTION_HEADER, client);
        }
        return true;
    }

    /**
     * The query's COOKIE option: checks its server cookie and prepares the one going back, the client's
     * own while it is valid and younger than half an hour, else a fresh one (RFC 9018 4.3). An invalid or
     * expired server cookie is not an error without a mode that requires cookies: the client just gets a
     * fresh one (RFC 7873 5.2.4).
     */
    private boolean cookie(byte[] src, int at, int length, InetAddress client) {
        if (cookies == null) {
            return true;
        }
        if (!ServerCookies.wellFormed(length)) {
            return false;
        }
        System.arraycopy(src, at, cookie, 0, Math.min(length, ServerCookies.RESPONSE_COOKIE));
        byte[] address = client.getAddress();
        long now = clock.millis() / 1000;
        cookieValid = length == ServerCookies.RESPONSE_COOKIE && cookies.valid(cookie, address, now);
        boolean reusable = cookieValid
                && ServerCookies.age(cookie, now) < ServerCookies.RENEW_AFTER_SECONDS
                && cookie[9] == 0
                && cookie[10] == 0
                && cookie[11] == 0; // reserved bytes: zero in the cookies we make
        if (!reusable) {
            cookies.fresh(cookie, address, now);
        }
        cookieBack = true;
        return true;
    }

    /** Whether the query carried a server cookie this server made for this client, still current. */
    boolean cookieValid() {
        return cookieValid;
    }

    /** The bytes the compiled answer must leave free within the size limit for {@link #write}'s options. */
    int reserve() {
        return cookieBack ? COOKIE_SIZE : 0;
    }

    /**
     * Appends this query's options to {@code out}'s OPT record, its last record when {@code endsWithOpt}
     * (otherwise, as for a header-only FORMERR, there is nothing to append to): the cookie, which
     * {@link #reserve} kept room for, then the padding, up to the next multiple of 468 bytes but never past
     * {@code limit}; an answer with no room left for the padding option goes unpadded.
     *
     * @return {@code out}
     */
    ByteBuf write(ByteBuf out, boolean endsWithOpt, int limit) {
        if (!endsWithOpt || !(cookieBack || pad)) {
            return out;
        }
        int rdlength = out.writerIndex() - 2;
        if (cookieBack) {
            out.writeShort(ServerCookies.OPTION)
                    .writeShort(ServerCookies.RESPONSE_COOKIE)
                    .writeBytes(cookie, 0, ServerCookies.RESPONSE_COOKIE);
        }
        if (pad) {
            int length = out.readableBytes() + OPTION_HEADER;
            int padded = Math.min((length + PADDING_BLOCK - 1) / PADDING_BLOCK * PADDING_BLOCK, limit);
            if (padded >= length) {
                out.writeShort(PADDING).writeShort(padded - length).writeZero(padded - length);
            }
        }
        out.setShort(rdlength, out.writerIndex() - rdlength - 2);
        return out;
    }
}
