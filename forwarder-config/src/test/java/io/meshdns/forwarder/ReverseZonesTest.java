package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReverseZonesTest {
    @Test
    void namesAnOctetAlignedIpv4Network() {
        assertThat(ReverseZones.of("10.10.0.0/16")).containsExactly("10.10.in-addr.arpa");
        assertThat(ReverseZones.of("192.168.7.0/24")).containsExactly("7.168.192.in-addr.arpa");
        assertThat(ReverseZones.of("10.0.0.0/8")).containsExactly("10.in-addr.arpa");
    }

    @Test
    void splitsAnUnalignedIpv4NetworkIntoTheNextOctetsZones() {
        assertThat(ReverseZones.of("10.10.0.0/15")).containsExactly("10.10.in-addr.arpa", "11.10.in-addr.arpa");
        assertThat(ReverseZones.of("172.16.0.0/12")).hasSize(16).first().isEqualTo("16.172.in-addr.arpa");
    }

    @Test
    void ignoresHostBitsLikeCoreDnsDoes() {
        assertThat(ReverseZones.of("10.10.3.4/16")).containsExactly("10.10.in-addr.arpa");
    }

    @Test
    void namesIpv6NetworksByNibbles() {
        assertThat(ReverseZones.of("fd00:10::/32")).containsExactly("0.1.0.0.0.0.d.f.ip6.arpa");
        assertThat(ReverseZones.of("2001:db8::/30"))
                .containsExactly(
                        "8.b.d.0.1.0.0.2.ip6.arpa",
                        "9.b.d.0.1.0.0.2.ip6.arpa",
                        "a.b.d.0.1.0.0.2.ip6.arpa",
                        "b.b.d.0.1.0.0.2.ip6.arpa");
    }

    @Test
    void refusesANetworkThatWouldNeedTooManyZones() {
        assertThatThrownBy(() -> ReverseZones.of("10.0.0.0/9"))
                .hasMessage(
                        "reverse zone '10.0.0.0/9' would need 128 zones; use a prefix length closer to a multiple of 8");
    }

    @Test
    void refusesSomethingThatIsNotACidr() {
        assertThatThrownBy(() -> ReverseZones.of("pods"))
                .hasMessage("reverse zone 'pods' is not an IP network like 10.0.0.0/8 or fd00::/8");
    }

    @Test
    void refusesAnIpv4MappedIpv6Network() {
        assertThatThrownBy(() -> ReverseZones.of("::ffff:10.0.0.1"))
                .hasMessage("reverse zone '::ffff:10.0.0.1' writes an IPv4 address as IPv6; write it as IPv4");
    }
}
