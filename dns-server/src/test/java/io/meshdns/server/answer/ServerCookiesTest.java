package io.meshdns.server.answer;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.core.IpLiteral;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Server cookies against the worked examples of RFC 9018 Appendix A (the same secret, client cookie,
 * address and time give the same bytes as BIND, Knot and every other RFC 9018 server), and their lifetime.
 */
class ServerCookiesTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] SECRET = HEX.parseHex("e5e973e5a6b2a43f48e7dc849e37bfcf");
    private static final byte[] CLIENT_A = IpLiteral.parse("198.51.100.100").getAddress();

    private static ServerCookies.Hasher hasher(byte[]... secrets) {
        return new ServerCookies(List.of(secrets)).hasher();
    }

    /** A 24-byte cookie buffer holding {@code hex} (a client cookie, or client and server cookie). */
    private static byte[] cookie(String hex) {
        return Arrays.copyOf(HEX.parseHex(hex), ServerCookies.RESPONSE_COOKIE);
    }

    @Test
    void aFreshServerCookieIsTheOneOfRfc9018A1() {
        byte[] cookie = cookie("2464c4abcf10c957");

        hasher(SECRET).fresh(cookie, CLIENT_A, 1559731985L);

        assertThat(HEX.formatHex(cookie)).isEqualTo("2464c4abcf10c957" + "010000005cf79f111f8130c3eee29480");
    }

    @Test
    void theCookieOfA1IsValidFortyMinutesLaterAndRenewedAsA2Says() {
        ServerCookies.Hasher hasher = hasher(SECRET);
        byte[] cookie = cookie("2464c4abcf10c957010000005cf79f111f8130c3eee29480");
        long now = 1559734385L;

        assertThat(hasher.valid(cookie, CLIENT_A, now)).isTrue();
        assertThat(ServerCookies.age(cookie, now))
                .as("older than half an hour: renewed")
                .isGreaterThanOrEqualTo(ServerCookies.RENEW_AFTER_SECONDS);
        hasher.fresh(cookie, CLIENT_A, now);
        assertThat(HEX.formatHex(cookie)).isEqualTo("2464c4abcf10c957" + "010000005cf7a871d4a564a1442aca77");
    }

    @Test
    void aCookieWithReservedBytesSetIsHashedAsReceivedAndRenewedWithThemZeroAsA3Says() {
        ServerCookies.Hasher hasher = hasher(SECRET);
        byte[] client = IpLiteral.parse("203.0.113.203").getAddress();
        byte[] cookie = cookie("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5");

        // Valid within the hour after its timestamp (1559727985); the example's reply comes later than that.
        assertThat(hasher.valid(cookie, client, 1559727985L + 600)).isTrue();
        assertThat(hasher.valid(cookie, client, 1559734700L))
                .as("1 h 52 min old: expired")
                .isFalse();
        hasher.fresh(cookie, client, 1559734700L);
        assertThat(HEX.formatHex(cookie)).isEqualTo("fc93fc62807ddb86" + "010000005cf7a9acf73a7810aca2381e");
    }

    @Test
    void aCookieOfTheSecretBeingRolledOverIsValidAndTheNewSecretMakesTheNextAsA4Says() {
        byte[] newSecret = HEX.parseHex("445536bcd2513298075a5d379663c962");
        byte[] oldSecret = HEX.parseHex("dd3bdf9344b678b185a6f5cb60fca715");
        byte[] client = IpLiteral.parse("2001:db8:220:1:59de:d0f4:8769:82b8").getAddress();
        byte[] cookie = cookie("22681ab97d52c298010000005cf7c57926556bd0934c72f8");
        long now = 1559741961L;

        assertThat(hasher(newSecret).valid(cookie, client, now))
                .as("the new secret alone")
                .isFalse();
        ServerCookies.Hasher rolling = hasher(newSecret, oldSecret);
        assertThat(rolling.valid(cookie, client, now)).isTrue();
        rolling.fresh(cookie, client, now);
        assertThat(HEX.formatHex(cookie)).isEqualTo("22681ab97d52c298" + "010000005cf7c609a6bb79d16625507a");
    }

    @Test
    void aCookieIsValidOnlyForItsClientItsSecretAndItsHour() {
        ServerCookies.Hasher hasher = hasher(SECRET);
        byte[] cookie = cookie("2464c4abcf10c957");
        long made = 1559731985L;
        hasher.fresh(cookie, CLIENT_A, made);

        assertThat(hasher.valid(cookie, CLIENT_A, made + ServerCookies.LIFETIME_SECONDS))
                .isTrue();
        assertThat(hasher.valid(cookie, CLIENT_A, made + ServerCookies.LIFETIME_SECONDS + 1))
                .as("expired")
                .isFalse();
        assertThat(hasher.valid(cookie, CLIENT_A, made - ServerCookies.FUTURE_SECONDS))
                .as("clock skew")
                .isTrue();
        assertThat(hasher.valid(cookie, CLIENT_A, made - ServerCookies.FUTURE_SECONDS - 1))
                .as("from the future")
                .isFalse();
        assertThat(hasher.valid(cookie, IpLiteral.parse("198.51.100.101").getAddress(), made))
                .as("another client")
                .isFalse();
        assertThat(hasher(HEX.parseHex("00112233445566778899aabbccddeeff")).valid(cookie, CLIENT_A, made))
                .as("another secret")
                .isFalse();
        byte[] otherClientCookie = cookie.clone();
        otherClientCookie[0] ^= 1;
        assertThat(hasher.valid(otherClientCookie, CLIENT_A, made))
                .as("another client cookie")
                .isFalse();
        byte[] version2 = cookie.clone();
        version2[8] = 2;
        assertThat(hasher.valid(version2, CLIENT_A, made))
                .as("a version RFC 9018 does not define")
                .isFalse();
    }

    @Test
    void aCookieOptionIsAClientCookieOrAClientAndServerCookieOf8To32Bytes() {
        // RFC 7873 5.2.2: any other length is FORMERR.
        for (int length = 0; length <= 48; length++) {
            assertThat(ServerCookies.wellFormed(length))
                    .as("length " + length)
                    .isEqualTo(length == 8 || (length >= 16 && length <= 40));
        }
    }
}
