package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterState;
import io.meshdns.server.MeshdnsServer;
import io.meshdns.server.cli.DemoMesh;
import io.meshdns.server.cli.DemoTls;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the dashboard and the alerting rules query is one meshdns really exports: checked against
 * the /metrics of a live meshdns serving the demo mesh, not against a list that could drift.
 */
class MonitoringNamesExportedMetricsTest {
    /** Series Prometheus writes itself for every target; no /metrics has them. */
    private static final Set<String> WRITTEN_BY_PROMETHEUS = Set.of("up");

    @TempDir
    static Path tmp;

    private static DemoMesh demo;
    private static MeshdnsServer server;
    private static Set<String> exported;

    @BeforeAll
    static void scrapeALiveMeshdns() throws Exception {
        demo = DemoMesh.start(tmp.resolve("demo"));
        Path configFile = tmp.resolve("meshdns.yaml");
        Files.writeString(configFile, demo.config());
        ServerConfig config = ConfigLoader.load(configFile)
                .withDns("127.0.0.1", freePort())
                .withHttp("127.0.0.1", 0)
                .withAdmin("127.0.0.1", 0)
                .withDnsTls(DemoTls.writeDemoCertificates(tmp, 0)); // DNS over TLS on: its metrics exist only then
        server = MeshdnsServer.start(config, demo.specs());
        assertThat(server.awaitServed(
                        s -> s.clusters().size() == 2
                                && s.clusters().values().stream().allMatch(h -> h.state() == ClusterState.SYNCED),
                        Duration.ofSeconds(30)))
                .as("both demo clusters synced")
                .isTrue();

        var at = server.httpAddress();
        HttpResponse<String> metrics = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        exported = new TreeSet<>();
        metrics.body()
                .lines()
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .forEach(l -> exported.add(l.split("[{ ]", 2)[0]));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (demo != null) {
            try {
                demo.close();
            } catch (IllegalStateException slowShutdown) {
                // The mock API servers sometimes exceed their shutdown timeout on a loaded machine: fixture cleanup.
                System.err.println("demo mesh shutdown: " + slowShutdown.getMessage());
            }
        }
    }

    @Test
    void everyMetricTheDashboardQueriesIsExported() {
        Map<String, Set<String>> unknown = new TreeMap<>();
        for (String expr : MonitoringFiles.dashboardExpressions()) {
            unknownIn(expr, named(expr, PromqlMetricNames.in(expr)), unknown);
        }
        for (String query : MonitoringFiles.dashboardVariableQueries()) {
            unknownIn(query, named(query, PromqlMetricNames.inVariableQuery(query)), unknown);
        }
        assertThat(MonitoringFiles.dashboardExpressions()).hasSizeGreaterThan(10);
        assertThat(unknown)
                .as("dashboard queries naming metrics meshdns does not export")
                .isEmpty();
    }

    @Test
    void everyMetricTheAlertsQueryIsExportedOrWrittenByPrometheus() {
        Map<String, Set<String>> unknown = new TreeMap<>();
        for (var alert : MonitoringFiles.alerts()) {
            Set<String> names = new TreeSet<>(named(alert.name(), PromqlMetricNames.in(alert.expr())));
            names.removeAll(WRITTEN_BY_PROMETHEUS);
            unknownIn(alert.name() + ": " + alert.expr(), names, unknown);
        }
        assertThat(unknown)
                .as("alert expressions naming metrics meshdns does not export")
                .isEmpty();
    }

    /** The names found in an expression; none at all would mean the finder missed them. */
    private static Set<String> named(String where, Set<String> names) {
        assertThat(names).as("metric names in %s", where).isNotEmpty();
        return names;
    }

    private static void unknownIn(String where, Set<String> names, Map<String, Set<String>> unknown) {
        for (String name : names) {
            if (!exported.contains(name)) {
                unknown.computeIfAbsent(where, k -> new TreeSet<>()).add(name);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
