package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.server.cli.DemoMesh;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.MockCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * {@code meshdns demo --clusters C --services N --pods-per-cluster K}: a synthetic mesh on mock API servers,
 * read by meshdns through the same list and watch as real clusters.
 */
class SyntheticMeshTest {
    static final DemoMesh.Size SIZE = new DemoMesh.Size(3, 12, 2);

    @TempDir
    static Path kubeconfigs;

    static DemoMesh mesh;
    static MeshdnsServer server;
    static DnsClient dns;

    @BeforeAll
    static void start() throws Exception {
        mesh = DemoMesh.startSynthetic(kubeconfigs, SIZE);
        ServerConfig config = ConfigLoader.parse("(demo)", mesh.config())
                .withDns("127.0.0.1", 0)
                .withHttp("127.0.0.1", 0)
                .withAdmin("127.0.0.1", 0);
        server = MeshdnsServer.start(config, mesh.specs());
        dns = new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP);
        assertThat(server.awaitServed(
                        s -> s.clusters().values().stream()
                                        .mapToLong(h -> h.endpoints())
                                        .sum()
                                == SIZE.endpoints(),
                        Duration.ofSeconds(60)))
                .isTrue();
    }

    @AfterAll
    static void stop() {
        Shutdown.closeAll(mesh, server);
    }

    @Test
    void clustersAreNamedC0ToCn() {
        assertThat(mesh.clusters()).extracting(MockCluster::id).containsExactly("c0", "c1", "c2");
    }

    @Test
    void everyServiceAnswersItsReadyPodsOfEveryCluster() {
        // The cap of 8 answers would hide pods: 3 clusters x 2 pods = 6 fit.
        for (int s = 0; s < SIZE.services(); s++) {
            if (DemoMesh.isHeadless(s)) {
                continue;
            }
            Set<String> expected = new HashSet<>();
            for (int c = 0; c < SIZE.clusters(); c++) {
                for (int p = 0; p < SIZE.podsPerCluster(); p++) {
                    expected.add(mesh.podAddress(c, s, p));
                }
            }
            String name = DemoMesh.serviceName(s) + "." + DemoMesh.namespaceName(s) + ".svc.clusterset.local.";
            assertThat(dns.addresses(name)).as(name).isEqualTo(expected);
        }
    }

    @Test
    void podAddressesAreDistinctAcrossTheMesh() {
        Set<String> seen = new HashSet<>();
        for (int c = 0; c < SIZE.clusters(); c++) {
            for (int s = 0; s < SIZE.services(); s++) {
                for (int p = 0; p < SIZE.podsPerCluster(); p++) {
                    seen.add(mesh.podAddress(c, s, p));
                }
            }
        }
        assertThat(seen).hasSize((int) SIZE.endpoints());
    }

    @Test
    void everyTenthServiceIsHeadlessWithSrvPerPod() {
        assertThat(DemoMesh.isHeadless(9)).isTrue();
        var answer = dns.query("_tcp-db._tcp.svc-9.ns-1.svc.clusterset.local.", Type.SRV);

        assertThat(answer.getSection(Section.ANSWER).stream()
                        .map(r -> r.rdataToString())
                        .collect(Collectors.toSet()))
                .contains(
                        "0 16 5432 pod-0.c0.svc-9.ns-1.svc.clusterset.local.",
                        "0 16 5432 pod-1.c2.svc-9.ns-1.svc.clusterset.local.")
                .hasSize(6);
        assertThat(dns.addresses("pod-1.c2.svc-9.ns-1.svc.clusterset.local."))
                .containsExactly(mesh.podAddress(2, 9, 1));
    }

    @Test
    void podAddressesHavePtrRecords() throws Exception {
        var answer = dns.query(ReverseMap.fromAddress(mesh.podAddress(1, 0, 1)).toString(), Type.PTR);

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER))
                .singleElement()
                .satisfies(r -> assertThat(((PTRRecord) r).getTarget().toString())
                        .isEqualTo("svc-0.ns-0.svc.clusterset.local."));
    }

    @Test
    void sizeBeyondThePodNetworkIsRefusedNamingTheFlags() {
        assertThatThrownBy(() -> new DemoMesh.Size(20, 1_000_000, 4))
                .hasMessageContaining("--clusters x --services x --pods-per-cluster must be at most 16777214");
    }

    @Test
    void badSizeFlagExitsWithCode2() {
        StringWriter err = new StringWriter();
        int code = Main.run(
                new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true),
                "demo",
                "--clusters",
                "0",
                "--dns-port",
                "0");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("--clusters must be between 1 and 1000, was 0");
    }
}
