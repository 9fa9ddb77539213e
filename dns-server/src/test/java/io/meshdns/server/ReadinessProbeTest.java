package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.Kubeconfig;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /readyz} against real mock API servers that come up late, and one that stops. */
class ReadinessProbeTest {
    @TempDir
    Path dir;

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static ServerConfig config(String yaml) {
        return ConfigLoader.parse("test.yaml", yaml)
                .withDns("127.0.0.1", 0)
                .withHttp("127.0.0.1", 0)
                .withAdmin("127.0.0.1", 0);
    }

    /** Asks until the response satisfies {@code condition} or 60 s pass; returns the last response either way. */
    static HttpResponse<String> readyzOnce(HttpFetch http, Predicate<HttpResponse<String>> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> last = http.get("/readyz");
        while (!condition.test(last) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            last = http.get("/readyz");
        }
        return last;
    }

    static JsonNode cluster(JsonNode readyz, String id) {
        for (JsonNode c : readyz.get("clusters")) {
            if (c.get("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no cluster " + id + " in " + readyz);
    }

    @Test
    void notReadyUntilEveryClusterHasSyncedThenReady() throws Exception {
        int westPort = freePort();
        Files.writeString(dir.resolve("west.kubeconfig"), Kubeconfig.of("west", "http://127.0.0.1:" + westPort));
        try (MockCluster east = MockCluster.start("east", dir);
                MeshdnsServer server = MeshdnsServer.start(
                        config("readyAfter: 1h\n"),
                        List.of(
                                TwoClusterMesh.spec(east),
                                ClusterSpec.ofKubeconfig("west", dir.resolve("west.kubeconfig"), "west")))) {
            HttpFetch http = new HttpFetch(server.httpAddress());

            HttpResponse<String> waiting = readyzOnce(
                    http,
                    r -> cluster(HttpFetch.json(r), "east").get("syncedOnce").asBoolean());
            assertThat(waiting.statusCode()).isEqualTo(503);
            JsonNode body = HttpFetch.json(waiting);
            assertThat(body.get("ready").asBoolean()).isFalse();
            assertThat(body.get("reason").asText()).contains("waiting for west CONNECTING");
            assertThat(cluster(body, "west").get("syncedOnce").asBoolean()).isFalse();

            try (MockCluster west = MockCluster.start("west", dir, westPort)) {
                HttpResponse<String> ready = readyzOnce(http, r -> r.statusCode() == 200);
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(HttpFetch.json(ready).get("reason").asText()).isEqualTo("all 2 clusters have synced");
            }
        }
    }

    @Test
    void readyAfterElapsedWithOneSyncedClusterIsReadyAndNamesTheOther() throws Exception {
        Files.writeString(dir.resolve("down.kubeconfig"), Kubeconfig.of("down", "http://127.0.0.1:" + freePort()));
        try (MockCluster east = MockCluster.start("east", dir);
                MeshdnsServer server = MeshdnsServer.start(
                        config("readyAfter: 2s\n"),
                        List.of(
                                TwoClusterMesh.spec(east),
                                ClusterSpec.ofKubeconfig("down", dir.resolve("down.kubeconfig"), "down")))) {
            HttpFetch http = new HttpFetch(server.httpAddress());

            HttpResponse<String> ready = readyzOnce(http, r -> r.statusCode() == 200);

            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(HttpFetch.json(ready).get("reason").asText())
                    .startsWith("readyAfter 2s elapsed with 1 of 2 clusters synced; not synced: down CONNECTING");
        }
    }

    @Test
    void noClusterSyncedIsNotReadyEvenAfterReadyAfter() throws Exception {
        Files.writeString(dir.resolve("down.kubeconfig"), Kubeconfig.of("down", "http://127.0.0.1:" + freePort()));
        try (MeshdnsServer server = MeshdnsServer.start(
                config("readyAfter: 0s\n"),
                List.of(ClusterSpec.ofKubeconfig("down", dir.resolve("down.kubeconfig"), "down")))) {
            HttpResponse<String> response = new HttpFetch(server.httpAddress()).get("/readyz");

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(HttpFetch.json(response).get("reason").asText()).contains("no cluster has synced yet");
        }
    }

    @Test
    void stoppedClusterIsReportedWhileItsLastEndpointsKeepMeshdnsReady() throws Exception {
        try (MockCluster east = MockCluster.start("east", dir)) {
            MockCluster west = MockCluster.start("west", dir);
            boolean westStopped = false;
            try (MeshdnsServer server = MeshdnsServer.start(
                    config("readyAfter: 1h\n"), List.of(TwoClusterMesh.spec(east), TwoClusterMesh.spec(west)))) {
                HttpFetch http = new HttpFetch(server.httpAddress());
                assertThat(readyzOnce(http, r -> r.statusCode() == 200).statusCode())
                        .isEqualTo(200);

                west.close();
                westStopped = true;

                HttpResponse<String> stopped = readyzOnce(
                        http,
                        r -> cluster(HttpFetch.json(r), "west")
                                .get("state")
                                .asText()
                                .equals("DISCONNECTED"));
                JsonNode body = HttpFetch.json(stopped);
                assertThat(cluster(body, "west").get("state").asText()).isEqualTo("DISCONNECTED");
                assertThat(stopped.statusCode()).isEqualTo(200);
                assertThat(body.get("reason").asText()).contains("serving last known endpoints of west DISCONNECTED");
                assertThat(cluster(body, "east").get("state").asText()).isEqualTo("SYNCED");
            } finally {
                if (!westStopped) {
                    west.close();
                }
            }
        }
    }

    @Test
    void readyOnlyOnceDnsAnswersFromTheSnapshotThatMadeItReady() throws Exception {
        // Big enough that fabric8 is still handing west's first listing to meshdns when its watches open, and
        // that building the answers for it takes a while: /readyz must not say ready before DNS answers from a
        // snapshot holding all of it (until then west's services are NXDOMAIN, which resolvers cache).
        try (MockCluster east = MockCluster.start("east", dir);
                MockCluster west = MockCluster.start("west", dir)) {
            int services = 3000;
            west.load(MeshObjects.namespace("shop"));
            for (int s = 0; s < services; s++) {
                west.load(MeshObjects.service("shop", "svc-" + s, "10.96.0.1", false));
                west.load(MeshObjects.sliceOf(
                        "shop",
                        "svc-" + s,
                        "svc-" + s + "-1",
                        MeshObjects.pods("10." + (s / 250) + "." + (s % 250) + ".", 1, 3, true)));
            }
            try (MeshdnsServer server = MeshdnsServer.start(
                    config("readyAfter: 1h\nexportAll: true\n"),
                    List.of(TwoClusterMesh.spec(east), TwoClusterMesh.spec(west)))) {
                HttpFetch http = new HttpFetch(server.httpAddress());
                DnsClient dns = new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                int status;
                do {
                    status = http.get("/readyz")
                            .statusCode(); // as fast as it answers: the first 200 is the one that counts
                } while (status != 200 && System.nanoTime() < deadline);
                assertThat(status).isEqualTo(200);

                String last = "svc-" + (services - 1) + ".shop.svc.clusterset.local.";
                assertThat(dns.addresses(last)).hasSize(3);
            }
        }
    }
}
