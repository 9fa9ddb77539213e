package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.exported;
import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.server.http.HttpServer;
import io.meshdns.server.transport.QueryMetrics;
import io.meshdns.testkit.EndpointSpec;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Type;

/**
 * {@code /metrics} scraped over real HTTP after real DNS queries over UDP and TCP, parsed strictly as the
 * Prometheus text format, and checked name by name. Counters are compared before and after, since the
 * tests share one mesh.
 */
class MetricsEndpointTest {
    static final String WEB = "web.shop.svc.clusterset.local";
    static final Set<String> WEB_READY = Set.of("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2");

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;
    static HttpFetch http;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TwoClusterMesh(kubeconfigs);
        http = new HttpFetch(mesh.server.httpAddress());
        exported(mesh.east(), "shop", "web", "10.96.0.10");
        slice(mesh.east(), "shop", "web", "web-east", pods("10.10.1.", 1, 3, true));
        exported(mesh.west(), "shop", "web", "10.97.0.10");
        List<EndpointSpec> west = new ArrayList<>(pods("10.20.1.", 1, 2, true));
        west.add(new EndpointSpec("10.20.1.3", false));
        slice(mesh.west(), "shop", "web", "web-west", west);
        assertThat(mesh.udp().addressesOnce(WEB, WEB_READY)).isEqualTo(WEB_READY);
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    static PrometheusText scrape() {
        HttpResponse<String> response = http.get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue(HttpServer.PROMETHEUS_TEXT);
        return PrometheusText.parse(response.body());
    }

    static double requests(PrometheusText m, String proto, String type) {
        return m.family("meshdns_dns_requests_total").value(Map.of("proto", proto, "type", type));
    }

    static double responses(PrometheusText m, String rcode) {
        return m.family("meshdns_dns_responses_total").value(Map.of("rcode", rcode));
    }

    @Test
    void everyMetricNamedInTheIssueIsExposedWithItsType() {
        mesh.udp().query(WEB, Type.A);

        PrometheusText m = scrape();

        Map<String, String> expected = Map.ofEntries(
                Map.entry("meshdns_dns_requests_total", "counter"),
                Map.entry("meshdns_dns_responses_total", "counter"),
                Map.entry("meshdns_dns_request_duration_seconds", "histogram"),
                Map.entry("meshdns_cache_hits_total", "counter"),
                Map.entry("meshdns_cache_misses_total", "counter"),
                Map.entry("meshdns_cluster_state", "gauge"),
                Map.entry("meshdns_cluster_last_event_age_seconds", "gauge"),
                Map.entry("meshdns_cluster_endpoints", "gauge"),
                Map.entry("meshdns_watch_restarts_total", "counter"),
                Map.entry("meshdns_snapshot_version", "gauge"),
                Map.entry("meshdns_propagation_seconds", "histogram"));
        expected.forEach((name, type) -> {
            assertThat(m.family(name).type()).as(name).isEqualTo(type);
            assertThat(m.family(name).help()).as("help of " + name).isNotBlank();
            assertThat(m.family(name).samples()).as(name).isNotEmpty();
        });
    }

    @Test
    void httpConnectionsAreExposedPerListenerWithEveryCloseReason() {
        PrometheusText m = scrape();

        assertThat(m.family("meshdns_http_connections").type()).isEqualTo("gauge");
        assertThat(m.family("meshdns_http_connections").value(Map.of("listener", "metrics")))
                .as("the scrape's own connection")
                .isGreaterThanOrEqualTo(1);
        assertThat(m.family("meshdns_http_connections").value(Map.of("listener", "admin")))
                .isGreaterThanOrEqualTo(0);
        PrometheusText.Family closed = m.family("meshdns_http_connections_closed_total");
        assertThat(closed.type()).isEqualTo("counter");
        for (String listener : List.of("metrics", "admin")) {
            for (String reason :
                    List.of("connection_cap", "source_cap", "request_timeout", "idle_timeout", "unread_response")) {
                assertThat(closed.value(Map.of("listener", listener, "reason", reason)))
                        .as(listener + " " + reason)
                        .isGreaterThanOrEqualTo(0);
            }
        }
    }

    @Test
    void jvmAndProcessMetricsAreExposed() {
        PrometheusText m = scrape();

        for (String name : List.of(
                "jvm_memory_used_bytes",
                "jvm_threads_live_threads",
                "jvm_gc_live_data_size_bytes",
                "jvm_classes_loaded_classes",
                "process_cpu_seconds_total",
                "process_uptime_seconds",
                "process_files_open_files",
                "system_cpus")) {
            assertThat(m.families().keySet()).as(name).contains(name);
        }
    }

    @Test
    void requestsAreCountedByTransportAndQueryType() {
        PrometheusText before = scrape();

        for (int i = 0; i < 3; i++) {
            mesh.udp().query(WEB, Type.A);
        }
        mesh.tcp().query(WEB, Type.AAAA);
        mesh.tcp().query(WEB, Type.AAAA);
        mesh.udp().query("_http._tcp." + WEB, Type.SRV);
        mesh.udp().query(WEB, Type.HINFO);

        PrometheusText after = scrape();
        assertThat(requests(after, "udp", "A") - requests(before, "udp", "A")).isEqualTo(3);
        assertThat(requests(after, "tcp", "AAAA") - requests(before, "tcp", "AAAA"))
                .isEqualTo(2);
        assertThat(requests(after, "udp", "SRV") - requests(before, "udp", "SRV"))
                .isEqualTo(1);
        assertThat(requests(after, "udp", "other") - requests(before, "udp", "other"))
                .isEqualTo(1);
        assertThat(requests(after, "tcp", "A") - requests(before, "tcp", "A")).isZero();
    }

    @Test
    void responsesAreCountedByResponseCode() {
        PrometheusText before = scrape();

        mesh.udp().query(WEB, Type.A);
        mesh.udp().query("nope.shop.svc.clusterset.local", Type.A);
        mesh.tcp().query("nope.shop.svc.clusterset.local", Type.A);
        mesh.udp().query("example.com", Type.A);
        mesh.udp().query(WEB, Type.A, DClass.CH);

        PrometheusText after = scrape();
        assertThat(responses(after, "NOERROR") - responses(before, "NOERROR")).isEqualTo(1);
        assertThat(responses(after, "NXDOMAIN") - responses(before, "NXDOMAIN")).isEqualTo(2);
        assertThat(responses(after, "REFUSED") - responses(before, "REFUSED")).isEqualTo(2);
    }

    @Test
    void requestDurationHistogramCountsEveryQueryByTransport() {
        PrometheusText before = scrape();

        mesh.udp().query(WEB, Type.A);
        mesh.udp().query(WEB, Type.A);
        mesh.tcp().query(WEB, Type.A);

        PrometheusText after = scrape();
        var b = before.family("meshdns_dns_request_duration_seconds");
        var a = after.family("meshdns_dns_request_duration_seconds");
        String count = "meshdns_dns_request_duration_seconds_count";
        assertThat(a.value(count, Map.of("proto", "udp")) - b.value(count, Map.of("proto", "udp")))
                .isEqualTo(2);
        assertThat(a.value(count, Map.of("proto", "tcp")) - b.value(count, Map.of("proto", "tcp")))
                .isEqualTo(1);
        List<Double> bounds = a.samples().stream()
                .filter(s ->
                        s.name().endsWith("_bucket") && s.labels().get("proto").equals("udp"))
                .map(s -> Double.parseDouble(s.labels().get("le").replace("+Inf", "Infinity")))
                .toList();
        List<Double> coreDns = new ArrayList<>();
        for (Duration d : QueryMetrics.DURATION_BUCKETS) {
            coreDns.add(d.toNanos() / 1e9);
        }
        coreDns.add(Double.POSITIVE_INFINITY);
        assertThat(bounds).as("CoreDNS's buckets, 0.25 ms doubling").isEqualTo(coreDns);
    }

    @Test
    void clusterStateIsOneHotOverEveryState() {
        var state = scrape().family("meshdns_cluster_state");

        for (String cluster : List.of("east", "west")) {
            for (ClusterState s : ClusterState.values()) {
                assertThat(state.value(Map.of("cluster", cluster, "state", s.name())))
                        .as(cluster + " " + s)
                        .isEqualTo(s == ClusterState.SYNCED ? 1 : 0);
            }
        }
    }

    @Test
    void clusterGaugesFollowTheMesh() throws Exception {
        exported(mesh.east(), "shop", "gauge-probe", "10.96.0.50");
        slice(mesh.east(), "shop", "gauge-probe", "gauge-probe-east", pods("10.10.9.", 1, 4, true));
        mesh.udp().addressesOnceTrue("gauge-probe.shop.svc.clusterset.local", s -> s.size() == 4);

        PrometheusText m = scrape();
        var clusters = mesh.server.mesh().snapshot().clusters();
        int eastEndpoints = clusters.get(ClusterId.of("east")).endpoints();
        assertThat(eastEndpoints).as("web's 3 and gauge-probe's 4").isEqualTo(3 + 4);
        assertThat(m.family("meshdns_cluster_endpoints").value(Map.of("cluster", "east")))
                .isEqualTo(eastEndpoints);
        assertThat(m.family("meshdns_cluster_endpoints").value(Map.of("cluster", "west")))
                .isEqualTo(clusters.get(ClusterId.of("west")).endpoints());
        assertThat(m.family("meshdns_cluster_last_event_age_seconds").value(Map.of("cluster", "east")))
                .isBetween(0.0, 60.0);
        assertThat(m.family("meshdns_watch_restarts_total").value(Map.of("cluster", "east")))
                .isZero();
        assertThat(m.family("meshdns_snapshot_version").value(Map.of()))
                .isEqualTo(mesh.server.mesh().snapshot().version());
    }

    @Test
    void aChangeThatReachesTheResponderIsOnePropagationSample() throws Exception {
        exported(mesh.west(), "shop", "propagation-probe", "10.97.0.60");
        mesh.server
                .mesh()
                .await(s -> s.service(ServiceKey.of("shop", "propagation-probe")) != null, Duration.ofSeconds(15));
        waitForSnapshotQuiet();
        PrometheusText before = scrape();

        slice(mesh.west(), "shop", "propagation-probe", "propagation-probe-west", pods("10.20.9.", 1, 1, true));
        mesh.udp().addressesOnce("propagation-probe.shop.svc.clusterset.local", Set.of("10.20.9.1"));

        PrometheusText after = scrape();
        String count = "meshdns_propagation_seconds_count";
        String sum = "meshdns_propagation_seconds_sum";
        var b = before.family("meshdns_propagation_seconds");
        var a = after.family("meshdns_propagation_seconds");
        assertThat(a.value(count, Map.of()) - b.value(count, Map.of())).isGreaterThanOrEqualTo(1);
        assertThat(a.value(sum, Map.of())).isGreaterThan(b.value(sum, Map.of()));
    }

    @Test
    void buildInfoIsOneGaugeOfOneWithTheVersionTheGitRevisionAndTheJava() {
        var family = scrape().family("meshdns_build_info");

        assertThat(family.type()).isEqualTo("gauge");
        assertThat(family.samples()).singleElement().satisfies(s -> {
            assertThat(s.value()).isEqualTo(1.0);
            assertThat(s.labels())
                    .containsOnlyKeys("version", "revision", "java")
                    .containsEntry("java", System.getProperty("java.version"))
                    .containsEntry("version", BuildInfo.current().version());
            // The build wrote the commit it was built from (these tests run in a checkout), or "unknown" outside one.
            assertThat(s.labels().get("version")).matches("\\d+\\.\\d+\\.\\d+.*");
            assertThat(s.labels().get("revision")).matches("[0-9a-f]{40}|unknown");
        });
    }

    /** No publication pending: nothing from setup is counted as the change under test. */
    private static void waitForSnapshotQuiet() throws InterruptedException {
        long version = -1;
        while (version != mesh.server.mesh().snapshot().version()) {
            version = mesh.server.mesh().snapshot().version();
            Thread.sleep(200);
        }
    }
}
