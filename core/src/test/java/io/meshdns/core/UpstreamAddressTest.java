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
  void namesAreRefused() {
    assertThatThrownBy(() -> UpstreamAddress.parse("dns.example:53")).hasMessageContaining("is not an IP address");
    assertThatThrownBy(() -> UpstreamAddress.parse("meshdns.svc")).hasMessageContaining("is not an IP address");
  }

  @Test
  void portsOutOfRangeAreRefused() {
    assertThatThrownBy(() -> UpstreamAddress.parse("10.0.0.1:0")).hasMessageContaining("no valid port");
    assertThatThrownBy(() -> UpstreamAddress.parse("10.0.0.1:65536")).hasMessageContaining("no valid port");
    assertThatThrownBy(() -> UpstreamAddress.parse("[fd00::1]:x")).hasMessageContaining("no valid port");
  }
}
