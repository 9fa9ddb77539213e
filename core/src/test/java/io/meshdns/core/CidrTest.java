package io.meshdns.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CidrTest {
    @Test
    void aNetworkContainsTheAddressesUnderItsPrefix() {
        Cidr net = Cidr.parse("10.10.0.0/16");
        assertThat(net.contains(IpLiteral.parse("10.10.200.1").getAddress())).isTrue();
        assertThat(net.contains(IpLiteral.parse("10.11.0.1").getAddress())).isFalse();
        assertThat(net.contains(IpLiteral.parse("fd00::1").getAddress())).isFalse();
    }

    @Test
    void aBareAddressIsOneHost() {
        assertThat(Cidr.parse("fd00::1").prefix()).isEqualTo(128);
    }

    @Test
    void errorsNameTheValue() { // the config loader adds file, line and key (ConfigLoaderTest)
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33"))
                .hasMessage("'10.0.0.0/33' has a prefix length out of range");
        assertThatThrownBy(() -> Cidr.parse("example.com/8"))
                .hasMessage("'example.com/8' is not an IP network like 10.0.0.0/8 or fd00::/8");
    }

    @Test
    void anIpv4MappedNetworkReadsAsIpv4ButIsRefusedAsWritten() {
        assertThat(Cidr.parse("::ffff:10.0.0.0/8")).isEqualTo(Cidr.parse("10.0.0.0/8"));
        assertThatThrownBy(() -> Cidr.parseAsWritten("::ffff:10.0.0.0/8"))
                .hasMessage("'::ffff:10.0.0.0/8' writes an IPv4 address as IPv6; write it as IPv4");
        assertThat(Cidr.parseAsWritten("fd00::/8")).isEqualTo(Cidr.parse("fd00::/8"));
    }
}
