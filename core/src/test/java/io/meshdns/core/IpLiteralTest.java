package io.meshdns.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.Inet6Address;
import org.junit.jupiter.api.Test;

class IpLiteralTest {
    @Test
    void readsIpv4AndIpv6Literals() {
        assertThat(IpLiteral.parse("10.0.0.1").getAddress()).containsExactly(10, 0, 0, 1);
        assertThat(IpLiteral.parse("fd00::1").getAddress()).hasSize(16);
    }

    @Test
    void anIpv4MappedIpv6LiteralReadsAsIpv4ButIsNoAddressAsWritten() {
        assertThat(IpLiteral.parse("::ffff:10.0.0.1").getAddress()).containsExactly(10, 0, 0, 1);
        assertThat(IpLiteral.parseAsWritten("::ffff:10.0.0.1")).isNull();
        assertThat(IpLiteral.parseAsWritten("::ffff:a00:1")).isNull();
    }

    @Test
    void asWrittenEachLiteralKeepsTheFamilyItShows() {
        assertThat(IpLiteral.parseAsWritten("10.0.0.1")).isInstanceOf(Inet4Address.class);
        assertThat(IpLiteral.parseAsWritten("fd00::1")).isInstanceOf(Inet6Address.class);
        // IPv4-compatible (not mapped): an IPv6 address, to Java as to everyone
        assertThat(IpLiteral.parseAsWritten("::10.0.0.1")).isInstanceOf(Inet6Address.class);
    }

    @Test
    void refusesNamesWithoutLookingThemUp() {
        assertThat(IpLiteral.parse("localhost")).isNull();
        assertThat(IpLiteral.parse("web.shop.svc")).isNull();
    }

    @Test
    void refusesOctetsAbove255AndMalformedText() {
        assertThat(IpLiteral.parse("10.0.0.256")).isNull();
        assertThat(IpLiteral.parse("10.0.0")).isNull();
        assertThat(IpLiteral.parse("fd00::1::2")).isNull();
        assertThat(IpLiteral.parse("")).isNull();
        assertThat(IpLiteral.parse(null)).isNull();
    }
}
