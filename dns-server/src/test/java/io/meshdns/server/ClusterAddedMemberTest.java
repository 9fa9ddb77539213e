package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterSpec;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubeconfig {@code meshdns cluster add} writes is all a server needs: with only the ServiceAccount's token
 * (the mock API server enforces the ClusterRole on it, as a real one does), the server syncs the cluster and
 * answers a service exported there by a ServiceExport.
 */
class ClusterAddedMemberTest {
    @TempDir
    Path dir;

    @Test
    void aServerReadingTheWrittenKubeconfigSyncsAndAnswersAServiceExportedThere() throws Exception {
        try (MockCluster west = MockCluster.start("west", dir.resolve("admin"))) {
            west.installServiceExportCrd();
            west.namespace("shop");
            west.create(MeshObjects.service("shop", "web", "10.96.0.10", false));
            west.export("shop", "web");
            MeshObjects.slice(west.client(), "shop", "web", "web-west", MeshObjects.pods("10.20.1.", 1, 3, true));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();

            int code = Main.run(
                    new PrintWriter(out, true),
                    new PrintWriter(err, true),
                    "cluster",
                    "add",
                    "--kubeconfig",
                    west.kubeconfig().toString(),
                    "--context",
                    "west",
                    "--output-dir",
                    dir.resolve("member").toString());

            assertThat(code).as(err.toString()).isZero();
            Path kubeconfig = dir.resolve("member").resolve("west.kubeconfig");
            try (MeshdnsServer server = MeshdnsServer.start(
                    ServerConfig.defaults()
                            .withDns("127.0.0.1", 0)
                            .withHttp("127.0.0.1", 0)
                            .withAdmin("127.0.0.1", 0),
                    List.of(ClusterSpec.ofKubeconfig("west", kubeconfig, null)))) {
                DnsClient tcp = new DnsClient(server.dnsAddress(), DnsClient.Transport.TCP);

                assertThat(tcp.addressesOnceTrue("web.shop.svc.clusterset.local.", s -> s.size() == 3))
                        .isEqualTo(Set.of("10.20.1.1", "10.20.1.2", "10.20.1.3"));
            }
        }
    }
}
