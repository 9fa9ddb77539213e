package io.meshdns.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.core.Cidr;
import io.meshdns.core.ConfigException;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Reachability;
import io.meshdns.forwarder.MeshdnsStanza;
import io.meshdns.loadbalancer.LoadBalancingConfig;
import io.meshdns.server.zone.ZoneSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config file: defaults, and errors that name the file, the line and the key. */
class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("meshdns.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void minimalConfigGetsTheDocumentedDefaults() throws Exception {
        ServerConfig c = ConfigLoader.load(write("clusters:\n  - id: east\n    kubeconfig: east.kubeconfig\n"));

        assertThat(c.zone()).isEqualTo("clusterset.local");
        assertThat(c.ttl()).isEqualTo(5);
        assertThat(c.dns().port()).isEqualTo(53);
        assertThat(c.http().port()).isEqualTo(9153);
        assertThat(c.admin().bind().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(c.admin().port()).isEqualTo(9154);
        assertThat(c.admin().tokenFile()).isNull();
        assertThat(c.staleAfter()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.loadBalancing().policy().configName()).isEqualTo("local-first");
        assertThat(c.loadBalancing().maxAnswers()).isEqualTo(8);
        assertThat(c.dns().tcpIdleTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.dns().tcpQueryTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.dns().maxTcpConnections()).isEqualTo(1000);
        assertThat(c.dns().maxTcpConnectionsPerSource()).isEqualTo(100);
        assertThat(c.dns().maxTcpPendingOutputPerConnection()).isEqualTo(64 * 1024);
        assertThat(c.dns().maxTcpPendingOutput())
                .as("an eighth of the heap")
                .isEqualTo(Runtime.getRuntime().maxMemory() / 8);
        assertThat(c.dns().rateLimit().enabled())
                .as("rate limiting is off by default")
                .isFalse();
        assertThat(c.dns().tls().enabled())
                .as("DNS over TLS is off without a certificate")
                .isFalse();
    }

    @Test
    void dnsOverTlsIsOnPort853WithPathsRelativeToTheConfigFile() throws Exception {
        ServerConfig c = ConfigLoader.load(
                write(
                        "dns:\n  tls:\n    certFile: tls/tls.crt\n    keyFile: tls/tls.key\n    clientCaFile: /etc/meshdns/ca.crt\n"));

        ServerConfig.Tls tls = c.dns().tls().resolvedAgainst(dir);
        assertThat(tls.enabled()).isTrue();
        assertThat(tls.port()).isEqualTo(853);
        assertThat(tls.certFile()).isEqualTo(dir.resolve("tls/tls.crt").toString());
        assertThat(tls.keyFile()).isEqualTo(dir.resolve("tls/tls.key").toString());
        assertThat(tls.clientCaFile()).isEqualTo("/etc/meshdns/ca.crt");
    }

    @Test
    void aCertificateWithoutItsKeyIsAnErrorAtTheCertificatesLine() throws Exception {
        Path file = write("dns:\n  port: 53\n  tls:\n    certFile: tls.crt\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config " + file + ", line 4, key dns.tls.certFile: needs keyFile too");
    }

    @Test
    void aClientCaWithoutAServerCertificateIsAnError() throws Exception {
        Path file = write("dns:\n  tls:\n    clientCaFile: ca.crt\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(
                        "config " + file + ", line 3, key dns.tls.clientCaFile: needs certFile and keyFile");
    }

    @Test
    void aNullDocumentIsAConfigErrorNotANullConfig() throws Exception {
        for (String yaml : new String[] {"~\n", "null\n", "!\n"}) {
            Path file = write(yaml);
            assertThatThrownBy(() -> ConfigLoader.load(file))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("config " + file
                            + ": holds no settings (the document is null); expected a mapping of keys");
        }
    }

    @Test
    void rateLimitIsReadWithKnotsDefaults() throws Exception {
        ServerConfig c = ConfigLoader.load(write("dns:\n  rateLimit: {responsesPerSecond: 20}\n"));

        assertThat(c.dns().rateLimit().enabled()).isTrue();
        assertThat(c.dns().rateLimit().responsesPerSecond()).isEqualTo(20);
        assertThat(c.dns().rateLimit().slip()).isEqualTo(1);
        assertThat(c.dns().rateLimit().window()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void rateLimitSlipOutOfRangeIsNamedWithItsLineAndKey() throws Exception {
        Path file = write("dns:\n  rateLimit:\n    responsesPerSecond: 20\n    slip: 101\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 4")
                .hasMessageContaining("key dns.rateLimit.slip: must be between 0 (drop all) and 100");
    }

    @Test
    void dnsOverTlsPadsEveryEdnsAnswerByDefaultAndOnRequestOnlyWhenSoConfigured() throws Exception {
        assertThat(ConfigLoader.load(write("dns: {}\n")).dns().tls().padsEveryEdnsAnswer())
                .isTrue();
        assertThat(ConfigLoader.load(write("dns:\n  tls:\n    padding: requested\n"))
                        .dns()
                        .tls()
                        .padsEveryEdnsAnswer())
                .isFalse();
    }

    @Test
    void aPaddingModeThatIsNotOneOfTheTwoIsNamedWithItsLineAndKey() throws Exception {
        Path file = write("dns:\n  tls:\n    padding: off\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("key dns.tls.padding: must be one of edns, requested");
    }

    @Test
    void cookiesAreOffByDefaultAndMakeARandomSecretWithoutAFile() throws Exception {
        assertThat(ConfigLoader.load(write("dns: {}\n")).dns().cookies().enabled())
                .isFalse();
        ServerConfig.Cookies on = ConfigLoader.load(write("dns:\n  cookies: {enabled: true}\n"))
                .dns()
                .cookies();

        assertThat(on.enabled()).isTrue();
        assertThat(on.secrets()).singleElement().satisfies(s -> assertThat(s).hasSize(16));
        assertThat(on.secrets().get(0))
                .as("random each time")
                .isNotEqualTo(on.secrets().get(0));
    }

    @Test
    void aCookieSecretFileHoldsOneHexSecretALineTheFirstMakingCookies() throws Exception {
        Path secret = Files.writeString(
                dir.resolve("cookie-secret"),
                "e5e973e5a6b2a43f48e7dc849e37bfcf\n\n  DD3BDF9344B678B185A6F5CB60FCA715  \n");

        ServerConfig.Cookies c = ConfigLoader.load(
                        write("dns:\n  cookies: {enabled: true, secretFile: " + secret + "}\n"))
                .dns()
                .cookies();

        assertThat(c.secrets())
                .extracting(java.util.HexFormat.of()::formatHex)
                .containsExactly("e5e973e5a6b2a43f48e7dc849e37bfcf", "dd3bdf9344b678b185a6f5cb60fca715");
    }

    @Test
    void aCookieSecretFileWithALineThatIsNotASecretNamesTheLine() throws Exception {
        Path secret = Files.writeString(dir.resolve("cookie-secret"), "e5e973e5a6b2a43f48e7dc849e37bfcf\nhunter2\n");
        Path file = write("dns:\n  cookies:\n    enabled: true\n    secretFile: " + secret + "\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 4")
                .hasMessageContaining("key dns.cookies.secretFile: line 2 of '" + secret + "' is not a secret");
    }

    @Test
    void aCookieSecretFileMustBeAbsoluteAndCookiesOn() throws Exception {
        assertThatThrownBy(
                        () -> ConfigLoader.load(write("dns:\n  cookies: {enabled: true, secretFile: cookie-secret}\n")))
                .hasMessageContaining("key dns.cookies.secretFile: must be an absolute path");
        assertThatThrownBy(() -> ConfigLoader.load(write("dns:\n  cookies: {secretFile: /etc/meshdns/cookie}\n")))
                .hasMessageContaining("key dns.cookies.secretFile: is set but cookies are off");
    }

    @Test
    void tcpQueryTimeoutOfZeroIsRejected() throws Exception {
        Path file = write("dns:\n  tcpQueryTimeout: 0ms\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("key dns.tcpQueryTimeout: must be more than 0");
    }

    @Test
    void perSourceTcpConnectionCapBelowOneIsRejected() throws Exception {
        Path file = write("dns:\n  maxTcpConnectionsPerSource: 0\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("key dns.maxTcpConnectionsPerSource: must be at least 1");
    }

    @Test
    void httpListenersGetTheDocumentedConnectionLimits() throws Exception {
        ServerConfig c = ConfigLoader.load(write("zone: clusterset.local\n"));

        assertThat(c.http().limits())
                .isEqualTo(new ServerConfig.HttpConnectionLimits(
                        "http", 512, 64, Duration.ofSeconds(5), Duration.ofSeconds(30)));
        assertThat(c.admin().limits())
                .isEqualTo(new ServerConfig.HttpConnectionLimits(
                        "admin", 64, 16, Duration.ofSeconds(5), Duration.ofSeconds(30)));
    }

    @Test
    void httpConnectionCapBelowOneIsAnErrorNamingTheKey() throws Exception {
        Path file = write("admin:\n  port: 9154\n  maxConnectionsPerSource: 0\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "config " + file + ", line 3, key admin.maxConnectionsPerSource: must be at least 1, was 0");
    }

    @Test
    void httpRequestTimeoutOfZeroIsAnErrorNamingTheKey() throws Exception {
        Path file = write("http:\n  requestTimeout: 0s\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2, key http.requestTimeout: must be more than 0");
    }

    @Test
    void commandLineListenerOverridesKeepTheConnectionLimits() throws Exception {
        ServerConfig c = ConfigLoader.load(write(
                "http:\n  maxConnections: 7\n  idleTimeout: 3s\nadmin:\n  maxConnections: 5\n  requestTimeout: 2s\n"));

        ServerConfig moved = c.withHttp("127.0.0.1", 0).withHttpPort(1).withAdmin("127.0.0.1", 0);

        assertThat(moved.http().limits()).isEqualTo(c.http().limits());
        assertThat(moved.admin().limits()).isEqualTo(c.admin().limits());
        assertThat(moved.admin().limits().maxConnections()).isEqualTo(5);
    }

    @Test
    void pendingTcpOutputLimitsAreSizes() throws Exception {
        ServerConfig c = ConfigLoader.load(
                write("dns:\n  maxTcpPendingOutput: 16Mi\n  maxTcpPendingOutputPerConnection: 32Ki\n"));

        assertThat(c.dns().maxTcpPendingOutput()).isEqualTo(16L << 20);
        assertThat(c.dns().maxTcpPendingOutputPerConnection()).isEqualTo(32L << 10);
    }

    @Test
    void aPendingTcpOutputBudgetOfNothingIsRejected() throws Exception {
        Path file = write("dns:\n  maxTcpPendingOutput: 0\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("key dns.maxTcpPendingOutput: must be at least 1 byte, was 0");
    }

    @Test
    void aPendingTcpOutputPerConnectionWrittenAsADurationIsNotASize() throws Exception {
        Path file = write("dns:\n  maxTcpPendingOutputPerConnection: 5s\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageEndingWith(
                        "key dns.maxTcpPendingOutputPerConnection: is not a size like 64Mi, 512Ki or 1Gi: '5s'");
    }

    @Test
    void kubeconfigPathsAreRelativeToTheConfigFile() throws Exception {
        ServerConfig c = ConfigLoader.load(write("clusters:\n  - id: east\n    kubeconfig: kc/east.kubeconfig\n"));

        assertThat(c.clusterSpecs(dir).get(0).kubeconfig()).isEqualTo(dir.resolve("kc/east.kubeconfig"));
    }

    @Test
    void clusterWithoutKubeconfigTakesItFromTheKubeconfigDirectory() throws Exception {
        ServerConfig c = ConfigLoader.load(write("kubeconfigDir: /etc/meshdns/clusters\nclusters:\n  - id: west\n"));

        assertThat(c.clusterSpecs(dir).get(0).kubeconfig()).isEqualTo(Path.of("/etc/meshdns/clusters/west"));
    }

    @Test
    void missingFileIsNamed() {
        Path missing = dir.resolve("nope.yaml");

        assertThatThrownBy(() -> ConfigLoader.load(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessage("config " + missing + ": file does not exist");
    }

    @Test
    void unknownKeyIsNamedWithItsLineAndTheKnownKeys() throws Exception {
        Path file = write("zone: mesh.example\nclusters:\n  - id: east\n    kubeconfg: east.kubeconfig\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config " + file + ", line 4, key clusters[0].kubeconfg: unknown key")
                .hasMessageContaining("kubeconfig");
    }

    @Test
    void invalidValueIsNamedWithItsLineAndKey() throws Exception {
        Path file = write("clusters:\n  - id: east\n    reachability: nodePort\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config " + file + ", line ")
                .hasMessageContaining(
                        "key clusters[0].reachability: must be pod, clusterIP, loadBalancer or an ordered list");
    }

    @Test
    void reachabilityIsOneKindOrAnOrderedList() throws Exception {
        Path file = write(
                "clusters:\n  - id: east\n    reachability: [pod, clusterIP]\n  - id: west\n    reachability: loadBalancer\n"
                        + "  - id: north\n");

        var specs = ConfigLoader.load(file).clusterSpecs(file.getParent());

        assertThat(specs.get(0).reachability()).containsExactly(Reachability.POD, Reachability.CLUSTER_IP);
        assertThat(specs.get(1).reachability()).containsExactly(Reachability.LOAD_BALANCER);
        assertThat(specs.get(2).reachability()).containsExactly(Reachability.POD);
    }

    @Test
    void aReachabilityKindListedTwiceIsNamed() throws Exception {
        Path file = write("clusters:\n  - id: east\n    reachability: [pod, clusterIP, pod]\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("key clusters[0].reachability: lists 'pod' twice");
    }

    @Test
    void duplicateClusterIdIsRejected() throws Exception {
        Path file = write("clusters:\n  - id: east\n  - id: east\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining("key clusters: cluster id 'east' appears twice");
    }

    @Test
    void clusterIdMustBeADnsLabel() throws Exception {
        Path file = write("clusters:\n  - id: East_1\n");

        assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessageContaining("key clusters[0].id:");
    }

    @Test
    void durationsAreGoStyle() throws Exception {
        Path file = write("staleAfter: 5 minutes\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining("line 1, key staleAfter: is not a duration like 30s, 5m or 1h");
    }

    @Test
    void wrongTypeIsNamed() throws Exception {
        Path file = write("dns:\n  port: fifty-three\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining("line 2, key dns.port: expected a whole number");
    }

    @Test
    void invalidYamlSaysSoWithTheLine() throws Exception {
        Path file = write("zone: clusterset.local\nttl: 'five\n");

        assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessageContaining("not valid YAML");
    }

    @Test
    void errorInAListItemNamesTheLineOfThatItemsKey() throws Exception {
        Path file = write("clusters:\n  - id: east\n  - id: west\n    weight: -1\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining("line 4, key clusters[1].weight: must be between 0 and 10000");
    }

    @Test
    void aTopLevelKeyGivenTwiceIsAnErrorNamingBothLines() throws Exception {
        Path file = write("dns:\n  bind: 127.0.0.1\nttl: 5\ndns:\n  port: 5353\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage("config " + file + ", line 4, key dns: given twice (first at line 1); remove one of them");
    }

    @Test
    void aKeyGivenTwiceInsideASectionIsNamedWithItsPath() throws Exception {
        Path file = write("dns:\n  port: 53\n  bind: 127.0.0.1\n  port: 5353\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage(
                        "config " + file + ", line 4, key dns.port: given twice (first at line 2); remove one of them");
    }

    @Test
    void aKeyGivenTwiceInAListItemIsNamedWithItsIndex() throws Exception {
        Path file = write("clusters:\n  - id: east\n  - id: west\n    weight: 1\n    weight: 2\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage("config " + file
                        + ", line 5, key clusters[1].weight: given twice (first at line 4); remove one of them");
    }

    @Test
    void anEmptyClusterListIsAnErrorNamingItsLine() throws Exception {
        Path file = write("zone: clusterset.local\nclusters: []\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageStartingWith("config " + file + ", line 2, key clusters: no cluster to watch")
                .hasMessageContaining("allowEmptyMesh: true");
    }

    @Test
    void anEmptyClusterListIsAcceptedWhenAnEmptyMeshIsAllowed() throws Exception {
        ServerConfig c = ConfigLoader.load(write("allowEmptyMesh: true\nclusters: []\n"));

        assertThat(c.clusters()).isEmpty();
        assertThat(c.allowEmptyMesh()).isTrue();
    }

    @Test
    void bytesThatAreNotUtf8AreNamedAsNotATextFileWithTheirLine() throws Exception {
        Path file = dir.resolve("meshdns.yaml");
        Files.write(file, new byte[] {'z', 'o', 'n', 'e', ':', ' ', 'x', '\n', (byte) 0xC3, 0x28, (byte) 0xFF, 0x00});

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage("config " + file
                        + ", line 2: not a text file: byte 0xc3 (offset 8) is not UTF-8; the config is a"
                        + " YAML text file");
    }

    @Test
    void aControlCharacterIsNamedWithItsLineAndColumn() throws Exception {
        Path file = write("zone: clusterset.local\nttl: 5\u0000\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage("config " + file
                        + ", line 2, column 7: not a text file: character U+0000 is not allowed in YAML");
    }

    @Test
    void aTabUsedForIndentationIsNamedWithItsLine() throws Exception {
        Path file = write("zone: clusterset.local\ndns:\n\tport: 53\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage(
                        "config " + file + ", line 3, column 1: a tab character where YAML expects spaces; indent with"
                                + " spaces only");
    }

    @Test
    void emptyFileIsAnError() throws Exception {
        Path file = write("   \n");

        assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessage("config " + file + ": file is empty");
    }

    @Test
    void sourceCidrsMustBeCidrs() throws Exception {
        Path file = write("clusters:\n  - id: east\n    sourceCidrs: [10.0.0.0/33]\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining("key clusters[0].sourceCidrs: '10.0.0.0/33' has a prefix length out of range");
    }

    @Test
    void everyMalformedSourceCidrIsAnErrorNamingKeyAndValue() throws Exception {
        for (String bad : List.of("10.0.0.256/8", "10.0.0.0/x", "fd00::/129", "not-an-ip")) {
            Path file = write("clusters:\n  - id: east\n    sourceCidrs: [\"" + bad + "\"]\n");

            assertThatThrownBy(() -> ConfigLoader.load(file))
                    .as(bad)
                    .hasMessageContaining("key clusters[0].sourceCidrs")
                    .hasMessageContaining("'" + bad + "'");
        }
    }

    @Test
    void aHostNameIsNotAcceptedAsAZoneNetworkAndIsNeverLookedUp() throws Exception {
        Path file = write("loadBalancing:\n  zones: [{cidr: localhost, zone: a}]\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining("key loadBalancing.zones")
                .hasMessageContaining("'localhost'");
    }

    @Test
    void aZoneNetworkWithoutItsTopologyZoneIsAnErrorNamingFileLineAndKey() throws Exception {
        Path file = write("ttl: 5\nloadBalancing:\n  zones:\n    - {cidr: 10.10.1.0/24}\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage("config " + file + ", line 4, key loadBalancing.zones[0].zone:"
                        + " is required (for cidr 10.10.1.0/24)");
    }

    @Test
    void anUnknownPolicyIsAnErrorNamingFileLineKeyAndThePolicies() throws Exception {
        Path file = write("loadBalancing:\n  maxAnswers: 4\n  policy: fastest\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage("config " + file + ", line 3, key loadBalancing.policy:"
                        + " must be one of round-robin, random, weighted, local-first, zone-aware; was 'fastest'");
    }

    @Test
    void maxAnswersAndTheEdnsOptionOutOfRangeAreErrorsNamingFileLineAndKey() throws Exception {
        Path max = write("loadBalancing:\n  maxAnswers: 4097\n");
        assertThatThrownBy(() -> ConfigLoader.load(max))
                .hasMessage("config " + max + ", line 2, key loadBalancing.maxAnswers:"
                        + " must be between 1 and 4096, was 4097");

        Path option = write("loadBalancing:\n  ednsClusterOption: 0\n");
        assertThatThrownBy(() -> ConfigLoader.load(option))
                .hasMessage("config " + option + ", line 2,"
                        + " key loadBalancing.ednsClusterOption: must be an EDNS0 option code 1-65535, was 0");
    }

    @Test
    void adminListenerOnAWiderAddressWithoutATokenIsAnErrorNamingTheKey() throws Exception {
        Path file = write("admin:\n  bind: 0.0.0.0\n  port: 9154\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(
                        "config " + file + ", line 2, key admin.bind: '0.0.0.0' is not a loopback address")
                .hasMessageContaining("admin.tokenFile");
    }

    @Test
    void adminListenerOnAWiderAddressWithATokenFileIsAccepted() throws Exception {
        ServerConfig c = ConfigLoader.load(write("admin:\n  bind: 0.0.0.0\n  tokenFile: secret/token\n"));

        assertThat(c.admin().bind().getHostAddress()).isEqualTo("0.0.0.0");
        assertThat(c.admin().resolvedAgainst(dir).tokenFile())
                .isEqualTo(dir.resolve("secret/token").toString());
    }

    @Test
    void adminBindMustBeAnAddress() throws Exception {
        Path file = write("admin:\n  bind: localhost\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config " + file + ", line 2, key admin.bind: ");
    }

    @Test
    void eachClusterMayNameItsOwnReverseNetworks() throws Exception {
        Path file = write("""
        reverseZones: [192.168.0.0/16]
        clusters:
          - {id: east, reverseZones: [10.10.0.0/16, 10.96.0.0/16]}
          - {id: west, reverseZones: ["fd00:20::/32"]}
          - {id: north}
        """);

        ServerConfig config = ConfigLoader.load(file);

        assertThat(config.allReverseZones())
                .extracting(Cidr::text)
                .containsExactly("192.168.0.0/16", "10.10.0.0/16", "10.96.0.0/16", "fd00:20::/32");
        assertThat(config.reverseZonesDelegatedBy("east"))
                .extracting(Cidr::text)
                .containsExactly("192.168.0.0/16", "fd00:20::/32");
        assertThat(config.reverseZonesDelegatedBy("west"))
                .extracting(Cidr::text)
                .containsExactly("192.168.0.0/16", "10.10.0.0/16", "10.96.0.0/16");
        assertThat(config.reverseZonesDelegatedBy("north")).containsExactlyElementsOf(config.allReverseZones());
    }

    @Test
    void meshdnsAnswersPtrsForEveryClustersReverseNetworksToo() throws Exception {
        Path file = write("reverseZones: [192.168.0.0/16]\nclusters:\n  - {id: east, reverseZones: [10.10.0.0/16]}\n");

        ZoneSettings settings = ZoneSettings.of(ConfigLoader.load(file));

        assertThat(settings.reverseZones())
                .extracting(Object::toString)
                .containsExactly("168.192.in-addr.arpa.", "10.10.in-addr.arpa.");
    }

    @Test
    void twoClustersReverseNetworksMustNotOverlap() throws Exception {
        Path file = write("""
        clusters:
          - id: east
            reverseZones: [10.0.0.0/8]
          - id: west
            reverseZones: [10.20.0.0/16]
        """);

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage("config " + file + ", line 5, key"
                        + " clusters[1].reverseZones: 10.20.0.0/16 overlaps 10.0.0.0/8 of cluster east (clusters[0].reverseZones): a"
                        + " network belongs to one cluster, or to none (top-level reverseZones); split it so that no cluster's CoreDNS"
                        + " delegates its own PTRs");
    }

    @Test
    void aReverseNetworkWrittenAsIpv6ButIpv4IsRefusedAsCorednsConfigRefusesIt() throws Exception {
        Path top = write("reverseZones: [\"::ffff:10.0.0.0/8\"]\n");
        assertThatThrownBy(() -> ConfigLoader.load(top))
                .hasMessage("config " + top + ", line 1, key reverseZones:"
                        + " '::ffff:10.0.0.0/8' writes an IPv4 address as IPv6; write it as IPv4");

        Path cluster = write("clusters:\n  - id: east\n    reverseZones: [\"::ffff:10.10.0.0/16\"]\n");
        assertThatThrownBy(() -> ConfigLoader.load(cluster))
                .hasMessage(
                        "config " + cluster + ", line 3, key"
                                + " clusters[0].reverseZones: '::ffff:10.10.0.0/16' writes an IPv4 address as IPv6; write it as IPv4");
    }

    @Test
    void aTopLevelReverseNetworkMustNotContainAClusters() throws Exception {
        Path file = write("""
        reverseZones: [10.0.0.0/8]
        clusters:
          - {id: east, reverseZones: [10.10.0.0/16]}
        """);

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining(", line 3, key clusters[0].reverseZones:"
                        + " 10.10.0.0/16 overlaps 10.0.0.0/8 of the top-level reverseZones (no cluster's)");
    }

    @Test
    void overlapsWithinOneClusterAreHarmless() throws Exception {
        Path file = write("clusters:\n  - {id: east, reverseZones: [10.10.0.0/16, 10.10.1.0/24]}\n");

        assertThat(ConfigLoader.load(file).allReverseZones())
                .extracting(Cidr::text)
                .containsExactly("10.10.0.0/16", "10.10.1.0/24");
    }

    @Test
    void aClustersReverseNetworksMustBeCidrs() throws Exception {
        Path file = write("clusters:\n  - id: east\n    reverseZones: [10.10.0.0/40]\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining(
                        "line 3, key clusters[0].reverseZones: '10.10.0.0/40' has a prefix length out of range");
    }

    @Test
    void tsigSecretThatIsNotBase64IsNamedWithItsLineAndKey() throws Exception {
        Path file = write("axfr:\n  tsig:\n    - name: xfr\n      secret: not*base64\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config " + file + ", line 4, key axfr.tsig[0].secret: not base64");
    }

    @Test
    void tsigSecretFileThatCannotBeReadIsNamed() throws Exception {
        Path missing = dir.resolve("no-such-secret");
        Path file = write("axfr:\n  tsig:\n    - name: xfr\n      secretFile: " + missing + "\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining("key axfr.tsig[0].secretFile: cannot read '" + missing + "'");
    }

    @Test
    void tsigKeyIsReadFromItsSecretFileWithHmacSha256ByDefault() throws Exception {
        Path secret = dir.resolve("xfr.secret");
        java.nio.file.Files.writeString(secret, java.util.Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        ServerConfig config = ConfigLoader.load(write("axfr:\n  tsig: [{name: xfr, secretFile: " + secret + "}]\n"));

        assertThat(config.axfr().tsig().get(0).algorithm()).isEqualTo("hmac-sha256");
        assertThat(config.axfr().tsig().get(0).secretBytes()).hasSize(32);
        assertThat(config.axfr().enabled()).isTrue();
    }

    @Test
    void aRelativeTsigSecretFileIsReadFromTheConfigFilesFolderWhateverTheWorkingDirectory() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        Files.writeString(
                dir.resolve("keys/xfr.secret"), java.util.Base64.getEncoder().encodeToString(new byte[24]) + "\n");
        ServerConfig config = ConfigLoader.load(write("axfr:\n  tsig: [{name: xfr, secretFile: keys/xfr.secret}]\n"));

        assertThat(config.axfr().tsig().get(0).secretFile())
                .isEqualTo(dir.resolve("keys/xfr.secret").toString());
        assertThat(config.axfr().tsig().get(0).secretBytes()).hasSize(24);
    }

    @Test
    void tsigAlgorithmOutsideTheSupportedOnesIsNamed() throws Exception {
        Path file = write(
                "axfr:\n  tsig:\n    - name: xfr\n      algorithm: hmac-md5\n      secret: " + "A".repeat(44) + "\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining(
                        "key axfr.tsig[0].algorithm: must be one of [hmac-sha256, hmac-sha384, hmac-sha512]");
    }

    @Test
    void notifyTargetMustBeAnAddressWithAnOptionalPort() throws Exception {
        assertThat(ConfigLoader.load(write("axfr: {notify: [\"192.0.2.1\", \"192.0.2.2:5300\", \"[::1]:53\"]}\n"))
                        .axfr()
                        .notifyTo())
                .hasSize(3);
        Path file = write("axfr:\n  notify: [secondary.example.com]\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining(
                        "line 2, key axfr.notify: 'secondary.example.com' is not ADDR or ADDR:PORT with a literal IP address");
    }

    @Test
    void notifyTargetInBracketsWithoutAPortGetsPort53() throws Exception {
        assertThat(ConfigLoader.load(write("axfr: {notify: [\"[fd00::53]\"]}\n"))
                        .axfr()
                        .notifyTo())
                .containsExactly(new InetSocketAddress(InetAddress.getByName("fd00::53"), 53));
    }

    @Test
    void notifyTargetIgnoresWhiteSpaceAroundIt() throws Exception {
        assertThat(ConfigLoader.load(write("axfr: {notify: [\" 192.0.2.1:5300 \"]}\n"))
                        .axfr()
                        .notifyTo())
                .containsExactly(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 5300));
    }

    @Test
    void notifyTargetWithABadPortSaysThePortRange() throws Exception {
        for (String target : List.of("192.0.2.1:0", "192.0.2.1:123456", "[fd00::53]:")) {
            Path file = write("axfr:\n  notify: [\"" + target + "\"]\n");

            assertThatThrownBy(() -> ConfigLoader.load(file))
                    .as(target)
                    .hasMessage("config " + file + ", line 2, key axfr.notify:"
                            + " port must be between 1 and 65535 in '" + target + "'");
        }
    }

    @Test
    void forwardToIsRefusedAtLoadWhenCorednsConfigWouldRefuseIt() throws Exception {
        assertForwardToRefused(
                "[10.0.0.1]:53", "puts an IPv4 address in brackets, which are for IPv6; write 10.0.0.1:53");
        assertForwardToRefused(
                "::ffff:10.0.0.1", "writes the IPv4 address 10.0.0.1 as IPv6; write it as IPv4 (10.0.0.1)");
    }

    @Test
    void forwardToInBracketsWithoutAPortIsRefusedThoughNotifyTakesIt() throws Exception {
        assertForwardToRefused("[fd00::53]", "has brackets but no port; write fd00::53 or [fd00::53]:PORT");
    }

    private void assertForwardToRefused(String upstream, String why) throws Exception {
        Path file = write("clusters: [{id: east}]\ncoredns:\n  forwardTo:\n    east: [\"" + upstream + "\"]\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .as(upstream)
                .hasMessage("config " + file + ", line 3, key coredns.forwardTo: '" + upstream + "' " + why);
    }

    @Test
    void theConfigTakesExactlyTheForwardAddressesCorednsConfigWrites() throws Exception {
        List<String> taken = new ArrayList<>();
        for (String upstream : List.of(
                "10.0.0.1",
                "10.0.0.1:5353",
                "fd00::1",
                "[fd00::1]:5353",
                "::1:53",
                "[10.0.0.1]:53",
                "[10.0.0.1]",
                "::ffff:10.0.0.1",
                "[::ffff:10.0.0.1]:53",
                "[fd00::1]",
                "10.0.0.1:0",
                "10.0.0.1:",
                " 10.0.0.1",
                "dns.example",
                "[dns.example]:53",
                "10.0.0.300")) {
            Path file = write("clusters: [{id: east}]\ncoredns: {forwardTo: {east: [\"" + upstream + "\"]}}\n");
            boolean corednsConfigWrites = accepts(() -> new MeshdnsStanza(
                    ClusterId.of("east"),
                    "clusterset.local",
                    List.of(),
                    List.of(upstream),
                    null,
                    65300,
                    null,
                    List.of()));

            assertThat(accepts(() -> ConfigLoader.load(file))).as(upstream).isEqualTo(corednsConfigWrites);
            if (corednsConfigWrites) {
                taken.add(upstream);
            }
        }
        assertThat(taken).containsExactly("10.0.0.1", "10.0.0.1:5353", "fd00::1", "[fd00::1]:5353", "::1:53");
    }

    private static boolean accepts(Runnable check) {
        try {
            check.run();
            return true;
        } catch (IllegalArgumentException | ConfigException e) {
            return false;
        }
    }

    @Test
    void journalDepthOutOfRangeIsNamed() throws Exception {
        Path file = write("axfr:\n  journal:\n    depth: -1\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining("line 3, key axfr.journal.depth: must be between 0");
    }

    @Test
    void durationsSizesNetworksAndAddressesAreBoundToTheirTypesWhenTheFileIsRead() throws Exception {
        ServerConfig c = ConfigLoader.load(write("""
        staleAfter: 2m
        readyAfter: 500ms
        reverseZones: ["fd00:20::/32"]
        dns: {bind: "::", tcpIdleTimeout: 1h, cache: 512Ki, rateLimit: {window: 5s}}
        nameservers: [{name: ns.clusterset.local, addresses: [192.0.2.53]}]
        axfr: {allow: [192.0.2.0/24], notify: ["192.0.2.10", "[fd00::53]:5353"], journal: {size: 1Gi}}
        loadBalancing: {zones: [{cidr: 10.10.1.0/24, zone: a}]}
        clusters: [{id: east, sourceCidrs: [10.10.0.0/16]}]
        """));

        assertThat(c.staleAfter()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.readyAfter()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.reverseZones()).containsExactly(Cidr.parse("fd00:20::/32"));
        assertThat(c.dns().bind()).isEqualTo(InetAddress.getByName("::"));
        assertThat(c.dns().tcpIdleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(c.dns().cache()).isEqualTo(512L * 1024);
        assertThat(c.dns().rateLimit().window()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.nameservers().get(0).addresses()).containsExactly(InetAddress.getByName("192.0.2.53"));
        assertThat(c.axfr().allow()).containsExactly(Cidr.parse("192.0.2.0/24"));
        assertThat(c.axfr().notifyTo())
                .containsExactly(
                        new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 53),
                        new InetSocketAddress(InetAddress.getByName("fd00::53"), 5353));
        assertThat(c.axfr().journal().size()).isEqualTo(1L << 30);
        assertThat(c.loadBalancing().zones())
                .extracting(LoadBalancingConfig.TopologyZone::cidr)
                .containsExactly(Cidr.parse("10.10.1.0/24"));
        assertThat(c.clusters().get(0).sourceCidrs()).containsExactly(Cidr.parse("10.10.0.0/16"));
    }

    @Test
    void aNameServerInsideTheZoneWithoutAddressesIsNamedByFileLineAndKey() throws Exception {
        Path file = write("""
        zone: mesh.example.org
        nameservers:
          - name: ns1.example.net
          - name: ns2.mesh.example.org
        """);

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining(file.toString())
                .hasMessageContaining(
                        "line 4, key nameservers[1]: needs addresses: 'ns2.mesh.example.org' is inside zone mesh.example.org");
    }

    @Test
    void aNameServerOutsideTheZoneWithAddressesIsNamed() throws Exception {
        Path file = write("nameservers:\n  - {name: ns1.example.net, addresses: [192.0.2.53]}\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessageContaining(
                        "line 2, key nameservers[0].addresses: 'ns1.example.net' is outside zone clusterset.local");
    }

    @Test
    void aNameServerNamedLikeAServiceOrNotADomainNameIsNamed() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.load(
                        write("nameservers: [{name: web.shop.svc.clusterset.local, addresses: [192.0.2.1]}]\n")))
                .hasMessageContaining(
                        "key nameservers[0].name: 'web.shop.svc.clusterset.local' is a name meshdns answers");
        assertThatThrownBy(() -> ConfigLoader.load(write("nameservers: [{name: \"ns 1.example.net\"}]\n")))
                .hasMessageContaining("key nameservers[0].name: 'ns 1.example.net' is not a domain name");
        assertThatThrownBy(() -> ConfigLoader.load(write("nameservers: [{addresses: [192.0.2.1]}]\n")))
                .hasMessageContaining("key nameservers[0].name: is required");
    }

    @Test
    void aBadItemOfAListIsNamedByTheListsKeyAndLine() throws Exception {
        Path file = write("zone: clusterset.local\nreverseZones:\n  - 10.0.0.0/8\n  - nonsense\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage("config " + file + ", line 2, key reverseZones:"
                        + " 'nonsense' is not an IP network like 10.0.0.0/8 or fd00::/8");
    }

    @Test
    void aTypedValueGivenAsAListOrMappingExpectsASingleValue() throws Exception {
        Path list = write("staleAfter: [5m]\n");
        assertThatThrownBy(() -> ConfigLoader.load(list))
                .hasMessage("config " + list + ", line 1, key staleAfter: expected a single value");
        Path mapping = write("dns:\n  cache: {size: 1Mi}\n");
        assertThatThrownBy(() -> ConfigLoader.load(mapping))
                .hasMessage("config " + mapping + ", line 2, key dns.cache: expected a single value");
    }

    @Test
    void aBindAddressIsALiteralNeverANameToLookUp() throws Exception {
        Path file = write("dns:\n  bind: localhost\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .hasMessage("config " + file + ", line 2, key dns.bind: must be an IP"
                        + " address such as 0.0.0.0, 127.0.0.1 or ::, was 'localhost'");
        assertThatThrownBy(() -> ServerConfig.defaults().withDns("localhost", null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "command line, key dns.bind: must be an IP address such as 0.0.0.0, 127.0.0.1 or ::, was 'localhost'");
    }

    @Test
    void aBadCommandLineOverrideIsAConfigErrorNamingItsKey() {
        assertThatThrownBy(() -> ServerConfig.defaults().withDns(null, 70000))
                .isInstanceOf(ConfigException.class)
                .hasMessage("command line, key dns.port: must be between 0 and 65535, was 70000");
        assertThatThrownBy(() -> ServerConfig.defaults().withHttp("localhost", null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "command line, key http.bind: must be an IP address such as 0.0.0.0, 127.0.0.1 or ::, was 'localhost'");
        assertThatThrownBy(() -> ServerConfig.defaults().withHttpPort(-1))
                .isInstanceOf(ConfigException.class)
                .hasMessage("command line, key http.port: must be between 0 and 65535, was -1");
    }
}
