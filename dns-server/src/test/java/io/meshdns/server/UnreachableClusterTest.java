package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.exported;
import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.ClusterState;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.Kubeconfig;
import io.meshdns.testkit.MockCluster;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cluster whose API server is down does not keep the others from serving. */
class UnreachableClusterTest {
    @TempDir
    Path dir;

    @Test
    void clusterDownAtStartDoesNotStopTheOthersFromServing() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path downKubeconfig = dir.resolve("down.kubeconfig");
        Files.writeString(downKubeconfig, Kubeconfig.of("down", "http://127.0.0.1:" + closedPort));

        try (MockCluster east = MockCluster.start("east", dir)) {
            exported(east.client(), "shop", "web", "10.96.0.10");
            slice(east.client(), "shop", "web", "web-east", pods("10.10.1.", 1, 2, true));
            var specs = List.of(ClusterSpec.ofKubeconfig("down", downKubeconfig, "down"), TwoClusterMesh.spec(east));

            // Until readyAfter the mesh is not ready (a cluster never synced) and in-zone names are SERVFAIL.
            ServerConfig config = ConfigLoader.parse("test.yaml", "readyAfter: 1s\n");
            try (MeshdnsServer server = MeshdnsServer.start(
                    config.withDns("127.0.0.1", 0).withHttp("127.0.0.1", 0).withAdmin("127.0.0.1", 0), specs)) {
                DnsClient dns = new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP);
                Set<String> eastPods = Set.of("10.10.1.1", "10.10.1.2");

                assertThat(dns.addressesOnce("web.shop.svc.clusterset.local", eastPods))
                        .isEqualTo(eastPods);
                ClusterId down = ClusterId.of("down");
                server.mesh().await(s -> s.clusters().get(down).reason() != null, Duration.ofSeconds(15));
                var health = server.mesh().snapshot().clusters().get(down);
                assertThat(health.state()).isEqualTo(ClusterState.CONNECTING);
                assertThat(health.reason()).isNotBlank();
                ClusterId eastId = ClusterId.of("east");
                server.mesh()
                        .await(s -> s.clusters().get(eastId).state() == ClusterState.SYNCED, Duration.ofSeconds(15));
                assertThat(server.mesh().snapshot().clusters().get(eastId).state())
                        .isEqualTo(ClusterState.SYNCED);
            }
        }
    }
}
