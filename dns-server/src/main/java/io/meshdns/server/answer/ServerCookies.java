package io.meshdns.server.answer;

import java.util.List;
import org.bouncycastle.crypto.macs.SipHash;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Server cookies (RFC 7873) built as RFC 9018 says, so that any implementation holding the same secret
 * (another replica, BIND, Knot) accepts them: 16 bytes of version 1, three reserved bytes, a 32-bit
 * timestamp (seconds) and the first 8 bytes of SipHash-2-4 over client cookie | version | reserved |
 * timestamp | client address, keyed by the server secret (BouncyCastle's SipHash, already a dependency
 * for PEM files). The first secret makes cookies; every one is accepted, so a secret can be rolled over.
 *
 * <p>Immutable and shared; each thread hashes with its own {@link Hasher}.
 */
public final class ServerCookies {
    /** EDNS option code of COOKIE (RFC 7873 4). */
    static final int OPTION = 10;

    static final int CLIENT_COOKIE = 8;
    /** An RFC 9018 server cookie: version, reserved, timestamp, hash. */
    static final int SERVER_COOKIE = 16;
    /** The COOKIE option this server sends: the client's cookie and its own. */
    static final int RESPONSE_COOKIE = CLIENT_COOKIE + SERVER_COOKIE;

    static final int VERSION = 1;
    /** RFC 9018 4.3: valid for an hour, renewed after half of it, up to five minutes in the future (clock skew). */
    static final int LIFETIME_SECONDS = 3600;

    static final int RENEW_AFTER_SECONDS = 1800;
    static final int FUTURE_SECONDS = 300;

    private final KeyParameter[] keys;

    /** @param secrets 16 bytes each; the first makes cookies */
    public ServerCookies(List<byte[]> secrets) {
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("no secret");
        }
        keys = new KeyParameter[secrets.size()];
        for (int i = 0; i < keys.length; i++) {
            if (secrets.get(i).length != 16) {
                throw new IllegalArgumentException("a SipHash key is 16 bytes, was " + secrets.get(i).length);
            }
            keys[i] = new KeyParameter(secrets.get(i));
        }
    }

    /**
     * RFC 7873 5.2.2: a COOKIE option is a client cookie (8 bytes), optionally followed by a server cookie of
     * 8 to 32 bytes; any other length is malformed (FORMERR).
     */
    static boolean wellFormed(int optionLength) {
        return optionLength == CLIENT_COOKIE || (optionLength >= 16 && optionLength <= 40);
    }

    /** A new hasher for one thread. */
    public Hasher hasher() {
        return new Hasher();
    }

    /** One thread's SipHash state over the secrets: reused for every query, allocates nothing. */
    public final class Hasher {
        private final SipHash[] macs = new SipHash[keys.length];

        private Hasher() {
            for (int i = 0; i < keys.length; i++) {
                macs[i] = new SipHash(2, 4);
                macs[i].init(keys[i]);
            }
        }

        /**
         * Whether {@code cookie[0..24)} (client cookie, then a 16-byte server cookie) holds a server cookie made
         * by one of the secrets for {@code client} that is current at {@code now} (seconds since the epoch).
         * The hash covers the version, reserved bytes and timestamp as received (RFC 9018 4.3).
         */
        public boolean valid(byte[] cookie, byte[] client, long now) {
            if (cookie[CLIENT_COOKIE] != VERSION) {
                return false;
            }
            int age = age(cookie, now);
            if (age > LIFETIME_SECONDS || age < -FUTURE_SECONDS) {
                return false;
            }
            long hash = littleEndianLong(cookie, CLIENT_COOKIE + 8);
            for (SipHash mac : macs) {
                if (hash(mac, cookie, client) == hash) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Writes a fresh server cookie for the client cookie {@code cookie[0..8)} into {@code cookie[8..24)}:
         * version 1, reserved zero, timestamp {@code now}, the hash by the first secret.
         */
        public void fresh(byte[] cookie, byte[] client, long now) {
            cookie[CLIENT_COOKIE] = VERSION;
            cookie[CLIENT_COOKIE + 1] = 0;
            cookie[CLIENT_COOKIE + 2] = 0;
            cookie[CLIENT_COOKIE + 3] = 0;
            int t = (int) now;
            cookie[CLIENT_COOKIE + 4] = (byte) (t >>> 24);
            cookie[CLIENT_COOKIE + 5] = (byte) (t >>> 16);
            cookie[CLIENT_COOKIE + 6] = (byte) (t >>> 8);
            cookie[CLIENT_COOKIE + 7] = (byte) t;
            long hash = hash(macs[0], cookie, client);
            for (int i = 0; i < 8; i++) {
                cookie[CLIENT_COOKIE + 8 + i] = (byte) (hash >>> (8 * i)); // SipHash's output bytes are little-endian
            }
        }

        /** SipHash-2-4 of client cookie | version | reserved | timestamp (cookie[0..16)) | client address. */
        private static long hash(SipHash mac, byte[] cookie, byte[] client) {
            mac.update(cookie, 0, CLIENT_COOKIE + 8);
            mac.update(client, 0, client.length);
            return mac.doFinal(); // and resets to the key
        }
    }

    /** Seconds since the server cookie in {@code cookie[8..24)} was made, at {@code now} (RFC 1982 arithmetic). */
    public static int age(byte[] cookie, long now) {
        return (int) now - timestamp(cookie);
    }

    private static int timestamp(byte[] cookie) {
        int at = CLIENT_COOKIE + 4;
        return (cookie[at] & 0xFF) << 24
                | (cookie[at + 1] & 0xFF) << 16
                | (cookie[at + 2] & 0xFF) << 8
                | (cookie[at + 3] & 0xFF);
    }

    private static long littleEndianLong(byte[] b, int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[at + i] & 0xFF);
        }
        return v;
    }
}
