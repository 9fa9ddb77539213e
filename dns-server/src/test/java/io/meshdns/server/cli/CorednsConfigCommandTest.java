package io.meshdns.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.meshdns.server.Main;
import io.meshdns.testkit.Kubeconfig;
import io.meshdns.testkit.MockCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code meshdns coredns-config} end to end: files for GitOps, and two mock clusters for --apply and --rollback. */
class CorednsConfigCommandTest {
    private static final String KUBEADM = """
      .:53 {
          errors
          kubernetes cluster.local in-addr.arpa ip6.arpa {
             pods insecure
             fallthrough in-addr.arpa ip6.arpa
          }
          forward . /etc/resolv.conf
          cache 30
          reload
      }
      """;

    /** Configs and the expected output of {@code --print}; {@code -Dgolden.update=true} rewrites the outputs. */
    static final Path GOLDEN = Path.of("src/test/resources/coredns-config");

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private MockCluster east;
    private MockCluster west;

    @AfterEach
    void stop() {
        for (MockCluster c : new MockCluster[] {east, west}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private int run(String... args) {
        CommandLine cli = new CommandLine(new CorednsConfigCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void isASubcommandOfMeshdns() {
        assertThat(new CommandLine(new Main()).getSubcommands()).containsKey("coredns-config");
    }

    @Test
    void printsACorefileFileWithTheMeshdnsBlockWithoutAnyCluster() throws Exception {
        Path corefile = file("Corefile", KUBEADM);

        int code = run("--corefile", corefile.toString(), "--cluster", "east", "--forward-to", "10.8.0.10,10.9.0.10");

        assertThat(code).isZero();
        assertThat(out.toString())
                .startsWith(KUBEADM + "\n# meshdns:begin cluster=east")
                .contains("    forward . 10.8.0.10 10.9.0.10 {\n")
                .endsWith("# meshdns:end\n");
    }

    @Test
    void tlsServerNameForwardsOverTlsWithTheClientCertificateForMutualTls() throws Exception {
        Path corefile = file("Corefile", KUBEADM);

        int code = run(
                "--corefile",
                corefile.toString(),
                "--cluster",
                "east",
                "--forward-to",
                "10.8.0.10,10.9.0.10:5353",
                "--tls-servername",
                "meshdns.meshdns.svc",
                "--tls-ca",
                "/etc/coredns/meshdns/ca.crt",
                "--tls-cert",
                "/etc/coredns/meshdns/tls.crt",
                "--tls-key",
                "/etc/coredns/meshdns/tls.key");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("""
            forward . tls://10.8.0.10:853 tls://10.9.0.10:853 {
                policy sequential
                health_check 5s
                tls /etc/coredns/meshdns/tls.crt /etc/coredns/meshdns/tls.key /etc/coredns/meshdns/ca.crt
                tls_servername meshdns.meshdns.svc
            }
        """);
    }

    @Test
    void tlsOptionsWithoutAServerNameAreBadUsage() throws Exception {
        int code = run(
                "--corefile",
                file("Corefile", KUBEADM).toString(),
                "--cluster",
                "east",
                "--forward-to",
                "10.8.0.10",
                "--tls-ca",
                "/ca.crt");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("need --tls-servername NAME");
    }

    @Test
    void patchingItsOwnOutputAgainChangesNothing() throws Exception {
        run("--corefile", file("Corefile", KUBEADM).toString(), "--cluster", "east", "--forward-to", "10.8.0.10");
        String once = out.toString();
        out.getBuffer().setLength(0);

        run("--corefile", file("Corefile.patched", once).toString(), "--cluster", "east", "--forward-to", "10.8.0.10");

        assertThat(out.toString()).isEqualTo(once);
    }

    @Test
    void removePrintsTheCorefileWithoutTheBlock() throws Exception {
        run("--corefile", file("Corefile", KUBEADM).toString(), "--cluster", "east", "--forward-to", "10.8.0.10");
        Path patched = file("Corefile.patched", out.toString());
        out.getBuffer().setLength(0);

        int code = run("--corefile", patched.toString(), "--cluster", "east", "--remove");

        assertThat(code).isZero();
        assertThat(out.toString()).isEqualTo(KUBEADM);
    }

    @Test
    void dryRunOnAFilePrintsAUnifiedDiff() throws Exception {
        run(
                "--corefile",
                file("Corefile", KUBEADM).toString(),
                "--cluster",
                "east",
                "--forward-to",
                "10.8.0.10",
                "--dry-run");

        assertThat(out.toString())
                .startsWith("--- a/Corefile\n+++ b/Corefile\n@@ -8,3 +8,21 @@\n")
                .contains("+clusterset.local:53 {\n");
    }

    @Test
    void takesZoneReverseZonesTtlAndOptionCodeFromTheConfig() throws Exception {
        Path config = file("meshdns.yaml", """
        zone: mesh.example
        ttl: 10
        reverseZones: [10.10.0.0/16]
        loadBalancing: {ednsClusterOption: 65301}
        clusters: [{id: east}]
        coredns:
          forwardTo: {east: [10.8.0.10]}
        """);

        int code = run(
                "--corefile", file("Corefile", KUBEADM).toString(), "--cluster", "east", "--config", config.toString());

        assertThat(code).isZero();
        assertThat(out.toString())
                .contains("mesh.example:53 10.10.in-addr.arpa:53 {\n    errors\n")
                .contains("    cache 10 {\n        denial 9984 10\n    }\n")
                .contains(
                        "    loadbalance round_robin\n    rewrite edns0 local set 0xff15 east\n    forward . 10.8.0.10 {\n");
    }

    @Test
    void anUnparsableCorefileExitsWithTwoNamingTheFileAndLine() throws Exception {
        Path corefile = file("Corefile", ".:53 {\n    errors\n    log . \"{remote}\n}\n");

        int code = run("--corefile", corefile.toString(), "--cluster", "east", "--forward-to", "10.8.0.10");

        assertThat(code).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString())
                .isEqualTo("meshdns: " + corefile + ", line 3: a quoted string starts here and is never" + " closed\n");
    }

    @Test
    void badInputExitsWithTwo() throws Exception {
        Path corefile = file("Corefile", KUBEADM);

        assertThat(run("--corefile", corefile.toString(), "--cluster", "east", "--forward-to", "dns.example"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("forward address 'dns.example' is not an IP address");
        assertThat(run(
                        "--corefile",
                        dir.resolve("missing").toString(),
                        "--cluster",
                        "east",
                        "--forward-to",
                        "10.0.0.1"))
                .isEqualTo(2);
        assertThat(run("--corefile", corefile.toString(), "--forward-to", "10.0.0.1"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--corefile needs exactly one --cluster ID");
    }

    @Test
    void printsTheStanzaOfEveryClusterFromTheConfig() throws Exception {
        Path config = file("meshdns.yaml", """
        clusters: [{id: east}, {id: west}]
        coredns:
          forwardTo: {east: [10.8.0.10], west: ["10.9.0.10:5353"]}
        """);

        int code = run("--config", config.toString());

        assertThat(code).isZero();
        assertThat(out.toString())
                .contains("rewrite edns0 local set 0xff14 east\n    forward . 10.8.0.10 {")
                .contains("rewrite edns0 local set 0xff14 west\n    forward . 10.9.0.10:5353 {");
    }

    @Test
    void aConfigNamingAnUnknownClusterInForwardToIsRefused() throws Exception {
        Path config = file("meshdns.yaml", """
        clusters: [{id: east}]
        coredns:
          forwardTo: {north: [10.8.0.10]}
        """);

        assertThat(run("--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("key coredns.forwardTo: cluster 'north' is not one of the clusters");
    }

    private Path twoClusters() throws Exception {
        east = MockCluster.start("east", dir);
        west = MockCluster.start("west", dir);
        return file("meshdns.yaml", """
        clusters:
          - {id: east, kubeconfig: east.kubeconfig}
          - {id: west, kubeconfig: west.kubeconfig}
        coredns:
          forwardTo: {east: [10.8.0.10], west: [10.9.0.10]}
        """);
    }

    private void coredns(MockCluster c, String corefile) {
        c.client()
                .configMaps()
                .inNamespace("kube-system")
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("coredns")
                        .withNamespace("kube-system")
                        .endMetadata()
                        .withData(Map.of("Corefile", corefile))
                        .build())
                .create();
    }

    private String corefileOf(MockCluster c) {
        return c.client()
                .configMaps()
                .inNamespace("kube-system")
                .withName("coredns")
                .get()
                .getData()
                .get("Corefile");
    }

    @Test
    void appliesToEveryClusterAndRollsBack() throws Exception {
        Path config = twoClusters();
        coredns(east, KUBEADM);
        coredns(west, KUBEADM);

        assertThat(run("--config", config.toString(), "--apply")).isZero();

        assertThat(out.toString())
                .contains(
                        "east: kube-system/coredns Corefile: updated\n",
                        "west: kube-system/coredns Corefile: updated\n");
        assertThat(err.toString()).contains("coredns-config: 2 of 2 cluster(s) done\n");
        assertThat(corefileOf(east)).contains("rewrite edns0 local set 0xff14 east", "forward . 10.8.0.10 {");
        assertThat(corefileOf(west)).contains("rewrite edns0 local set 0xff14 west", "forward . 10.9.0.10 {");

        assertThat(run("--config", config.toString(), "--rollback", "--cluster", "west"))
                .isZero();

        assertThat(corefileOf(west)).isEqualTo(KUBEADM);
        assertThat(corefileOf(east)).contains("# meshdns:begin");
    }

    @Test
    void dryRunShowsOneDiffPerClusterAndWritesNothing() throws Exception {
        Path config = twoClusters();
        coredns(east, KUBEADM);
        coredns(west, KUBEADM);

        assertThat(run("--config", config.toString(), "--dry-run")).isZero();

        assertThat(out.toString())
                .contains("--- a/east/kube-system/coredns/Corefile\n", "--- a/west/kube-system/coredns/Corefile\n");
        assertThat(corefileOf(east)).isEqualTo(KUBEADM);
    }

    @Test
    void outputYamlGivesTheConfigMapOfEachCluster() throws Exception {
        Path config = twoClusters();
        coredns(east, KUBEADM);
        coredns(west, KUBEADM);

        assertThat(run("--config", config.toString(), "--output", "yaml", "--cluster", "east"))
                .isZero();

        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(out.toString());
        assertThat(doc.at("/metadata/name").asText()).isEqualTo("coredns");
        assertThat(doc.at("/data/Corefile").asText()).startsWith(KUBEADM).contains("forward . 10.8.0.10 {");
    }

    @Test
    void aFailingClusterIsReportedAndTheOthersStillProceed() throws Exception {
        Path config = twoClusters();
        coredns(east, KUBEADM);
        coredns(west, ".:53 {\n    errors\n"); // unparsable: the brace is never closed

        int code = run("--config", config.toString(), "--apply");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString())
                .contains("meshdns: cluster west: kube-system/coredns Corefile, line 1: '{' opened here is"
                        + " never closed");
        assertThat(out.toString()).contains("east: kube-system/coredns Corefile: updated\n");
        assertThat(err.toString()).contains("coredns-config: 1 of 2 cluster(s) done, 1 failed (see above)\n");
        assertThat(corefileOf(east)).contains("# meshdns:begin");
        assertThat(corefileOf(west)).isEqualTo(".:53 {\n    errors\n");
    }

    @Test
    void aFailingClustersSummaryGoesToStderrAndStdoutHoldsOnlyTheYaml() throws Exception {
        Path config = twoClusters();
        coredns(east, KUBEADM);
        coredns(west, ".:53 {\n    errors\n"); // unparsable: the brace is never closed

        int code = run("--config", config.toString(), "--output", "yaml");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("coredns-config: 1 of 2 cluster(s) done, 1 failed (see above)\n");
        assertThat(out.toString()).startsWith("---\n# cluster east\n").doesNotContain("cluster(s) done", "failed");
        List<JsonNode> docs = new ObjectMapper(new YAMLFactory())
                .readerFor(JsonNode.class)
                .<JsonNode>readValues(out.toString())
                .readAll();
        assertThat(docs).singleElement().satisfies(doc -> {
            assertThat(doc.at("/kind").asText()).isEqualTo("ConfigMap");
            assertThat(doc.at("/data/Corefile").asText()).contains("forward . 10.8.0.10 {");
        });
    }

    @Test
    void anUnreachableClusterIsReportedWithExitCodeOne() throws Exception {
        Path config = twoClusters();
        coredns(east, KUBEADM);
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Files.writeString(dir.resolve("west.kubeconfig"), Kubeconfig.of("west", "http://127.0.0.1:" + closed));

        int code = run("--config", config.toString(), "--apply");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("meshdns: cluster west: API server unreachable");
        assertThat(corefileOf(east)).contains("# meshdns:begin");
    }

    @Test
    void takesTheAddressesFromTheMeshdnsServiceInTheHubCluster() throws Exception {
        twoClusters();
        Path config = file("hub.yaml", """
        clusters:
          - {id: east, kubeconfig: east.kubeconfig}
          - {id: west, kubeconfig: west.kubeconfig}
        coredns: {service: meshdns/meshdns, serviceCluster: east}
        """);
        var services = east.client().services().inNamespace("meshdns");
        services.resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                        .withNewMetadata()
                        .withName("meshdns")
                        .withNamespace("meshdns")
                        .endMetadata()
                        .withNewSpec()
                        .withType("LoadBalancer")
                        .withClusterIP("10.96.7.7")
                        .addNewPort()
                        .withName("dns")
                        .withProtocol("UDP")
                        .withPort(53)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        var svc = services.withName("meshdns").get();
        services.resource(new io.fabric8.kubernetes.api.model.ServiceBuilder(svc)
                        .withNewStatus()
                        .withNewLoadBalancer()
                        .addNewIngress()
                        .withIp("192.0.2.53")
                        .endIngress()
                        .endLoadBalancer()
                        .endStatus()
                        .build())
                .updateStatus();

        assertThat(run("--config", config.toString(), "--print")).isZero();

        assertThat(out.toString())
                .contains("set 0xff14 east\n    forward . 10.96.7.7 {")
                .contains("set 0xff14 west\n    forward . 192.0.2.53 {");
    }

    private void assertGolden(String name, String actual) throws Exception {
        Path expected = GOLDEN.resolve(name);
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(expected, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
    }

    @Test
    void eachClusterDelegatesTheSharedAndTheOtherClustersReverseZonesButNotItsOwn() throws Exception {
        int code = run("--config", GOLDEN.resolve("mesh.yaml").toString(), "--print");

        assertThat(code).isZero();
        assertThat(out.toString())
                .contains("clusterset.local:53 168.192.in-addr.arpa:53 20.10.in-addr.arpa:53 97.10.in-addr.arpa:53 {\n"
                        + "    errors\n    # answers reused")
                .contains("clusterset.local:53 168.192.in-addr.arpa:53 10.10.in-addr.arpa:53 96.10.in-addr.arpa:53 {\n"
                        + "    errors\n    # answers reused")
                .contains("""
            clusterset.local:53,
                168.192.in-addr.arpa:53,
                10.10.in-addr.arpa:53,
                96.10.in-addr.arpa:53,
                20.10.in-addr.arpa:53,
                97.10.in-addr.arpa:53 {
            """);
        assertGolden("mesh.print", out.toString());
    }

    @Test
    void theWeightedPolicysBlocksDoNotShuffleAndSayWhy() throws Exception {
        int code = run("--config", GOLDEN.resolve("weighted.yaml").toString(), "--print");

        assertThat(code).isZero();
        assertThat(out.toString())
                .doesNotContain("loadbalance round_robin")
                .contains(
                        "    # no loadbalance: policy weighted puts the weighted draw first; one answer serves all pods\n");
        assertGolden("weighted.print", out.toString());
    }

    @Test
    void cacheZeroLeavesCorednsCacheOutSoEveryQueryReachesMeshdns() throws Exception {
        int code = run(
                "--config", GOLDEN.resolve("weighted.yaml").toString(), "--print", "--cluster", "east", "--cache", "0");

        assertThat(code).isZero();
        assertThat(out.toString()).doesNotContain("cache ").contains("    # no cache: every query reaches meshdns\n");
        assertThat(err.toString()).contains("every lookup of every pod reaches meshdns");
    }

    @Test
    void printsWhatAPodWillObserveOnStderrAndKeepsStdoutMachineClean() throws Exception {
        Path corefile = file("Corefile", KUBEADM);

        int code = run(
                "--corefile",
                corefile.toString(),
                "--cluster",
                "east",
                "--forward-to",
                "10.8.0.10",
                "--output",
                "yaml");

        assertThat(code).isZero();
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(out.toString());
        assertThat(doc.at("/data/Corefile").asText()).startsWith(KUBEADM).contains("loadbalance round_robin");
        assertThat(err.toString())
                .startsWith("coredns-config: what a pod will observe (policy local-first, ttl 5 s, cache"
                        + " 5 s, loadbalance on by policy):\n")
                .contains(
                        "  - Each CoreDNS replica (each node's cache with NodeLocal DNSCache) reuses an answer for up to 5 s",
                        "  - The addresses of every answer, cached or not, come in a new random order on each lookup",
                        "  - The block is per zone, not per service");
    }

    @Test
    void theWeightedPolicysPodViewSaysTheFirstAddressIsSharedForTheCacheTtl() throws Exception {
        run("--config", GOLDEN.resolve("weighted.yaml").toString(), "--print", "--cluster", "east");

        assertThat(err.toString())
                .contains(
                        "loadbalance off by policy",
                        "all pods behind one replica get the same first address for up to 5 s",
                        "--cache 0 for a draw per lookup");
    }

    @Test
    void loadbalanceOnOrOffOverridesThePolicy() throws Exception {
        Path config = GOLDEN.resolve("weighted.yaml");

        assertThat(run("--config", config.toString(), "--print", "--cluster", "east", "--loadbalance", "on"))
                .isZero();
        assertThat(out.toString()).contains("as chosen with --loadbalance on", "    loadbalance round_robin\n");
        assertThat(err.toString())
                .contains("loadbalance on by --loadbalance", "a weighted one loses its weighted first");
    }

    @Test
    void aCacheLongerThanMeshdnsTtlIsRefusedWithExitTwo() throws Exception {
        Path corefile = file("Corefile", KUBEADM);

        int code = run(
                "--corefile", corefile.toString(), "--cluster", "east", "--forward-to", "10.8.0.10", "--cache", "30");

        assertThat(code).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString())
                .isEqualTo("meshdns: --cache 30: a cache TTL of 30 s is longer than meshdns's record TTL"
                        + " (5 s, config key ttl): pods would get answers meshdns no longer gives; use at most 5\n");
    }

    @Test
    void anUnknownLoadbalanceChoiceIsRefusedWithExitTwo() throws Exception {
        Path corefile = file("Corefile", KUBEADM);

        assertThat(run(
                        "--corefile",
                        corefile.toString(),
                        "--cluster",
                        "east",
                        "--forward-to",
                        "10.8.0.10",
                        "--loadbalance",
                        "sometimes"))
                .isEqualTo(2);
        assertThat(err.toString()).isEqualTo("meshdns: --loadbalance must be auto, on or off; was 'sometimes'\n");
    }

    @Test
    void removingTheBlockPrintsNoPodView() throws Exception {
        Path corefile = file("Corefile", KUBEADM);

        assertThat(run("--corefile", corefile.toString(), "--cluster", "east", "--remove"))
                .isZero();
        assertThat(err.toString()).isEmpty();
    }
}
