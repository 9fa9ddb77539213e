package io.meshdns.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UpstreamAddressTest {
    @Test
    void aBareAddressHasNoPort() {
        assertThat(UpstreamAddress.parse("10.0.0.1").port()).isZero();
        assertThat(UpstreamAddress.parse("fd00::1").port()).isZero();
    }

    @Test
    void ipv4TakesItsPortAfterAColonAndIpv6InBrackets() {
        assertThat(UpstreamAddress.parse("10.0.0.1:5353").port()).isEqualTo(5353);
        UpstreamAddress v6 = UpstreamAddress.parse("[fd00::1]:5353");
        assertThat(v6.port()).isEqualTo(5353);
        assertThat(v6.address().getAddress()).hasSize(16);
    }

    @Test
    void anAddressInBracketsWithoutAPortHasNoPort() {
        UpstreamAddress v6 = UpstreamAddress.parse("[fd00::1]");
        assertThat(v6.port()).isZero();
        assertThat(v6.host()).isEqualTo("fd00::1");
    }

    @Test
    void namesAreRefused() {
        assertThatThrownBy(() -> UpstreamAddress.parse("dns.example:53")).hasMessageContaining("is not an IP address");
        assertThatThrownBy(() -> UpstreamAddress.parse("meshdns.svc")).hasMessageContaining("is not an IP address");
        assertThatThrownBy(() -> UpstreamAddress.parse("[meshdns.svc]")).hasMessageContaining("is not an IP address");
    }

    @Test
    void whiteSpaceIsNotPartOfAnAddress() {
        assertThatThrownBy(() -> UpstreamAddress.parse(" 10.0.0.1")).hasMessage("' 10.0.0.1' is not an IP address");
    }

    @Test
    void portsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> UpstreamAddress.parse("10.0.0.1:0")).hasMessageContaining("no valid port");
        assertThatThrownBy(() -> UpstreamAddress.parse("10.0.0.1:65536")).hasMessageContaining("no valid port");
        assertThatThrownBy(() -> UpstreamAddress.parse("[fd00::1]:x")).hasMessageContaining("no valid port");
    }

    @Test
    void aBadPortAfterAGoodAddressIsAnInvalidPort() {
        assertThatThrownBy(() -> UpstreamAddress.parse("10.0.0.1:123456"))
                .isInstanceOf(UpstreamAddress.InvalidPort.class);
        assertThatThrownBy(() -> UpstreamAddress.parse("[fd00::1]:")).isInstanceOf(UpstreamAddress.InvalidPort.class);
        assertThatThrownBy(() -> UpstreamAddress.parse("dns.example:53"))
                .isNotInstanceOf(UpstreamAddress.InvalidPort.class);
    }

    @Test
    void theHostIsKeptAsWrittenAndWrittenBackWithItsPort() {
        UpstreamAddress v6 = UpstreamAddress.parse("FD00::0053");
        assertThat(v6.host()).isEqualTo("FD00::0053");
        assertThat(v6).hasToString("FD00::0053");
        assertThat(v6.withPort(853)).hasToString("[FD00::0053]:853");
        assertThat(UpstreamAddress.parse("[fd00::1]:5353")).hasToString("[fd00::1]:5353");
        assertThat(UpstreamAddress.parse("10.0.0.1:5353").withPort(853)).hasToString("10.0.0.1:853");
    }

    @Test
    void asWrittenTakesWhatCorednsReadsAsTheSameAddress() {
        for (String upstream : new String[] {"10.0.0.1", "10.0.0.1:5353", "fd00::1", "[fd00::1]:5353"}) {
            assertThat(UpstreamAddress.parseAsWritten(upstream))
                    .as(upstream)
                    .isEqualTo(UpstreamAddress.parse(upstream));
        }
    }

    @Test
    void asWrittenRefusesAnIpv4AddressInBrackets() {
        assertThat(UpstreamAddress.parse("[10.0.0.1]:53").address().getAddress())
                .hasSize(4);
        assertThatThrownBy(() -> UpstreamAddress.parseAsWritten("[10.0.0.1]:53"))
                .hasMessage("'[10.0.0.1]:53' puts an IPv4 address in brackets, which are for IPv6; write 10.0.0.1:53");
    }

    @Test
    void asWrittenRefusesAnIpv4MappedIpv6Address() {
        assertThat(UpstreamAddress.parse("::ffff:10.0.0.1").address().getAddress())
                .hasSize(4);
        assertThatThrownBy(() -> UpstreamAddress.parseAsWritten("::ffff:10.0.0.1"))
                .hasMessage("'::ffff:10.0.0.1' writes the IPv4 address 10.0.0.1 as IPv6; write it as IPv4 (10.0.0.1)");
        assertThatThrownBy(() -> UpstreamAddress.parseAsWritten("[::ffff:10.0.0.1]:53"))
                .hasMessage(
                        "'[::ffff:10.0.0.1]:53' writes the IPv4 address 10.0.0.1 as IPv6; write it as IPv4 (10.0.0.1:53)");
    }

    @Test
    void asWrittenRefusesBracketsWithoutAPort() {
        assertThatThrownBy(() -> UpstreamAddress.parseAsWritten("[fd00::1]"))
                .hasMessage("'[fd00::1]' has brackets but no port; write fd00::1 or [fd00::1]:PORT");
    }
}
