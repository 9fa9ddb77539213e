package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.discovery.ClusterId;
import io.meshdns.forwarder.ForwardOptions.Transport;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeshdnsStanzaTest {
    @Test
    void delegatesTheZoneWithTheClusterIdInAnEdnsOption() {
        String block = DraftStanza.of("east", List.of("10.8.0.10", "10.9.0.10"))
                .stanza()
                .serverBlock();

        assertThat(block).isEqualTo("""
        # meshdns:begin cluster=east (written by meshdns coredns-config; edits between the markers are replaced)
        clusterset.local:53 {
            errors
            # answers reused at most 5 s, NXDOMAIN/NODATA at most 5 s: never longer than meshdns's TTL and SOA minimum
            cache 5 {
                denial 9984 5
            }
            # policy local-first: the address order means nothing, so shuffle every answer (cached ones too)
            # lest all pods sharing an answer connect to its first address
            loadbalance round_robin
            rewrite edns0 local set 0xff14 east
            forward . 10.8.0.10 10.9.0.10 {
                policy sequential
                health_check 5s
            }
        }
        # meshdns:end
        """);
    }

    @Test
    void servesTheReverseZonesOfTheMeshNetworksInTheSameBlock() {
        MeshdnsStanza stanza = DraftStanza.of("west", List.of("10.8.0.10"))
                .withReverseZones(List.of("10.10.0.0/16", "10.20.0.0/16", "fd00:10::/32"))
                .stanza();

        assertThat(stanza.zones())
                .containsExactly(
                        "clusterset.local", "10.10.in-addr.arpa", "20.10.in-addr.arpa", "0.1.0.0.0.0.d.f.ip6.arpa");
        assertThat(stanza.serverBlock())
                .contains(
                        "clusterset.local:53 10.10.in-addr.arpa:53 20.10.in-addr.arpa:53 0.1.0.0.0.0.d.f.ip6.arpa:53 {");
    }

    @Test
    void writesManyZonesOneKeyALineJoinedByCommas() {
        MeshdnsStanza stanza = DraftStanza.of("west", List.of("10.8.0.10"))
                .withReverseZones(List.of("10.10.0.0/22"))
                .stanza();

        assertThat(stanza.serverBlock()).contains("""
        clusterset.local:53,
            0.10.10.in-addr.arpa:53,
            1.10.10.in-addr.arpa:53,
            2.10.10.in-addr.arpa:53,
            3.10.10.in-addr.arpa:53 {
        """);
        assertThat(Corefile.parse("t", stanza.serverBlock())
                        .serverBlocks()
                        .get(0)
                        .keyValues())
                .hasSize(5);
    }

    @Test
    void dnsOverTlsForwardsToTheTlsPortOfEachAddressWithTheServerName() {
        MeshdnsStanza stanza = DraftStanza.of(
                        "east", List.of("10.8.0.10", "10.9.0.10:5353", "[fd00::53]:5353", "fd00::54"))
                .withForward(new ForwardOptions(
                        null,
                        null,
                        null,
                        null,
                        null,
                        new ForwardTls("meshdns.example.com", null, "/etc/coredns/meshdns/ca.crt", null, null)))
                .stanza();

        assertThat(stanza.serverBlock()).contains("""
            forward . tls://10.8.0.10:853 tls://10.9.0.10:853 tls://[fd00::53]:853 tls://[fd00::54]:853 {
                policy sequential
                health_check 5s
                tls /etc/coredns/meshdns/ca.crt
                tls_servername meshdns.example.com
            }
        """);
        assertThat(Corefile.parse("t", stanza.serverBlock()).serverBlocks()).hasSize(1);
    }

    @Test
    void mutualTlsGivesCoreDnsItsClientCertificateKeyAndCa() {
        MeshdnsStanza stanza = DraftStanza.of("east", List.of("10.8.0.10"))
                .withForward(new ForwardOptions(
                        null,
                        null,
                        null,
                        null,
                        null,
                        new ForwardTls("meshdns", 8853, "/tls/ca.crt", "/tls/tls.crt", "/tls/tls.key")))
                .stanza();

        assertThat(stanza.serverBlock()).contains("""
            forward . tls://10.8.0.10:8853 {
                policy sequential
                health_check 5s
                tls /tls/tls.crt /tls/tls.key /tls/ca.crt
                tls_servername meshdns
            }
        """);
    }

    @Test
    void tlsWithoutACaFileTrustsTheSystemsCasAndWritesOnlyTheServerName() {
        MeshdnsStanza stanza = DraftStanza.of("east", List.of("10.8.0.10"))
                .withForward(new ForwardOptions(
                        null, null, null, null, null, new ForwardTls("dns.example.com", null, null, null, null)))
                .stanza();

        assertThat(stanza.serverBlock())
                .doesNotContain("    tls ")
                .contains("        tls_servername dns.example.com\n");
    }

    @Test
    void tlsRefusesWhatCannotWork() {
        assertThatThrownBy(() -> new ForwardTls("not a name", null, null, null, null))
                .hasMessageContaining("must be a DNS name");
        assertThatThrownBy(() -> new ForwardTls("meshdns", null, null, "/tls/tls.crt", null))
                .hasMessageContaining("go together");
        assertThatThrownBy(() -> new ForwardTls("meshdns", null, "/my certs/ca.crt", null, null))
                .hasMessageContaining("cannot be written into a Corefile");
        assertThatThrownBy(() -> new ForwardOptions(
                        null,
                        null,
                        null,
                        null,
                        Transport.PREFER_UDP,
                        new ForwardTls("meshdns", null, null, null, null)))
                .hasMessageContaining("mean nothing over TLS");
        MeshdnsStanza kubeDns = DraftStanza.of("east", List.of("10.8.0.10"))
                .withForward(new ForwardOptions(
                        null, null, null, null, null, new ForwardTls("meshdns", null, null, null, null)))
                .stanza();
        assertThatThrownBy(kubeDns::stubDomainsJson).hasMessageContaining("kube-dns cannot forward over TLS");
    }

    @Test
    void writesEveryForwardOptionThatIsSet() {
        MeshdnsStanza stanza = DraftStanza.of("east", List.of("10.8.0.10:5353", "[fd00::53]:5353"))
                .withForward(new ForwardOptions("round_robin", "1s", 3, "30s", Transport.FORCE_TCP))
                .stanza();

        assertThat(stanza.serverBlock()).contains("""
            forward . 10.8.0.10:5353 [fd00::53]:5353 {
                policy round_robin
                health_check 1s
                max_fails 3
                expire 30s
                force_tcp
            }
        """);
    }

    @Test
    void writesPreferUdp() {
        MeshdnsStanza stanza = DraftStanza.of("east", List.of("10.8.0.10"))
                .withForward(new ForwardOptions(null, null, null, null, Transport.PREFER_UDP))
                .stanza();

        assertThat(stanza.serverBlock()).contains("        prefer_udp\n");
    }

    @Test
    void usesTheConfiguredZoneTtlAndOptionCode() {
        MeshdnsStanza stanza = new MeshdnsStanza(
                ClusterId.of("east"),
                "Mesh.Example.",
                List.of(),
                List.of("10.8.0.10"),
                AnswerCaching.of("round-robin", 30, 30, null, null, false),
                65001,
                null,
                List.of());

        assertThat(stanza.serverBlock())
                .contains(
                        "mesh.example:53 {",
                        "    cache 30 {\n        denial 9984 30\n    }\n",
                        "    rewrite edns0 local set 0xfde9 east\n");
    }

    @Test
    void leavesCachingOutWhenTheTtlIsZero() {
        MeshdnsStanza stanza = new MeshdnsStanza(
                ClusterId.of("east"),
                "clusterset.local",
                List.of(),
                List.of("10.8.0.10"),
                AnswerCaching.of("local-first", 5, 5, 0, null, false),
                65300,
                null,
                List.of());

        assertThat(stanza.serverBlock())
                .doesNotContain("cache ")
                .contains("    # no cache: every query reaches meshdns\n");
    }

    @Test
    void parsesBackWithTheCacheBlockAndComments() {
        String block = DraftStanza.of("east", List.of("10.8.0.10")).stanza().serverBlock();

        Corefile parsed = Corefile.parse("t", block);

        assertThat(parsed.text()).isEqualTo(block);
        assertThat(parsed.usesPlugin("loadbalance")).isTrue();
        assertThat(parsed.usesPlugin("cache")).isTrue();
    }

    @Test
    void listensOnlyOnTheBindAddressesForNodeLocalDnsCache() {
        MeshdnsStanza stanza =
                DraftStanza.of("east", List.of("10.8.0.10")).stanza().withBind(List.of("169.254.20.10", "10.96.0.10"));

        assertThat(stanza.serverBlock()).contains("    errors\n    bind 169.254.20.10 10.96.0.10\n");
    }

    @Test
    void givesKubeDnsStubDomainsForEveryZone() {
        MeshdnsStanza stanza = DraftStanza.of("east", List.of("10.8.0.10", "10.9.0.10"))
                .withReverseZones(List.of("10.10.0.0/16"))
                .stanza();

        assertThat(stanza.stubDomainsJson())
                .isEqualTo(
                        "{\"clusterset.local\":[\"10.8.0.10\",\"10.9.0.10\"],\"10.10.in-addr.arpa\":[\"10.8.0.10\",\"10.9.0.10\"]}");
    }

    @Test
    void refusesAForwardAddressThatIsNotAnIpAddress() {
        assertThatThrownBy(() ->
                        DraftStanza.of("east", List.of("meshdns.example.com")).stanza())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "cluster east: forward address 'meshdns.example.com' is not an IP address, IP:PORT or [IPv6]:PORT");
        assertThatThrownBy(() -> DraftStanza.of("east", List.of("10.0.0.300")).stanza())
                .hasMessageContaining("'10.0.0.300'");
        assertThatThrownBy(
                        () -> DraftStanza.of("east", List.of("10.0.0.1:70000")).stanza())
                .hasMessageContaining("'10.0.0.1:70000'");
    }

    @Test
    void refusesAForwardAddressWrittenInAnotherFamilyThanItIs() {
        for (String upstream : List.of("[10.0.0.1]:53", "::ffff:10.0.0.1", "[::ffff:10.0.0.1]:53")) {
            assertThatThrownBy(() -> DraftStanza.of("east", List.of(upstream)).stanza())
                    .as(upstream)
                    .hasMessage("cluster east: forward address '" + upstream
                            + "' is not an IP address, IP:PORT or [IPv6]:PORT");
        }
    }

    @Test
    void refusesAnIpv6ForwardAddressInBracketsWithoutAPort() {
        // Go's host:port parser, which CoreDNS uses, finds no port in it and no address either.
        assertThatThrownBy(() -> DraftStanza.of("east", List.of("[fd00::53]")).stanza())
                .hasMessage("cluster east: forward address '[fd00::53]' is not an IP address, IP:PORT or [IPv6]:PORT");
    }

    @Test
    void refusesNoForwardAddressAtAll() {
        assertThatThrownBy(() -> DraftStanza.of("east", List.of()).stanza())
                .hasMessage("cluster east: no meshdns address to forward to");
    }

    @Test
    void refusesUnknownForwardOptions() {
        assertThatThrownBy(() -> new ForwardOptions("fastest", null, null, null, null))
                .hasMessage("forward policy must be one of random, round_robin, sequential; was 'fastest'");
        assertThatThrownBy(() -> new ForwardOptions(null, "5 seconds", null, null, null))
                .hasMessage("forward health_check must be a duration such as 5s or 500ms; was '5 seconds'");
        assertThatThrownBy(() -> new ForwardOptions(null, null, -1, null, null))
                .hasMessage("forward max_fails must be 0 or more; was -1");
    }

    @Test
    void refusesABadReverseZone() {
        assertThatThrownBy(() -> DraftStanza.of("east", List.of("10.8.0.10"))
                        .withReverseZones(List.of("10.10.0.0/33"))
                        .stanza())
                .hasMessage("reverse zone '10.10.0.0/33' has a prefix length out of range");
    }
}
