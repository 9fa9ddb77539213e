package io.meshdns.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DnsLabelTest {
    @Test
    void hostnameLabelsAreRfc1123() {
        assertThat(DnsLabel.isHostnameLabel("east-1")).isTrue();
        assertThat(DnsLabel.isHostnameLabel("a".repeat(63))).isTrue();
        assertThat(DnsLabel.isHostnameLabel("a".repeat(64))).isFalse();
        assertThat(DnsLabel.isHostnameLabel("-east")).isFalse();
        assertThat(DnsLabel.isHostnameLabel("East")).isFalse();
        assertThat(DnsLabel.isHostnameLabel("_tcp")).isFalse();
        assertThat(DnsLabel.isHostnameLabel(null)).isFalse();
    }

    @Test
    void zonesAreLowerCasedWithoutTheTrailingDot() {
        assertThat(DnsLabel.zone("ClusterSet.Local.", false)).isEqualTo("clusterset.local");
    }

    @Test
    void underscoresAreAllowedOnlyWhenAsked() {
        assertThat(DnsLabel.zone("_msdcs.example", true)).isEqualTo("_msdcs.example");
        assertThatThrownBy(() -> DnsLabel.zone("_msdcs.example", false))
                .hasMessage("'_msdcs.example' is not a domain name made of DNS labels");
    }

    @Test
    void emptyLabelsAreRefused() {
        assertThatThrownBy(() -> DnsLabel.zone("a..b", false)).isInstanceOf(IllegalArgumentException.class);
    }
}
