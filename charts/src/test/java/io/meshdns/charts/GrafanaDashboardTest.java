package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard: a ConfigMap for Grafana's dashboard sidecar (off by default) holding exactly
 * files/meshdns-dashboard.json, the same file as deploy/grafana/meshdns-dashboard.json.
 */
class GrafanaDashboardTest {

    @Test
    void noDashboardConfigMapByDefault() {
        assertThat(MeshdnsChart.template().all(ConfigMap.class))
                .extracting(c -> c.getMetadata().getName())
                .containsExactly("meshdns");
    }

    @Test
    void deployDashboardIsTheChartsDashboard() throws IOException {
        assertThat(Files.readString(MonitoringFiles.DEPLOY_DASHBOARD))
                .as("deploy/grafana/meshdns-dashboard.json must equal charts/meshdns/files/meshdns-dashboard.json: edit"
                        + " the chart's copy and cp it to deploy/grafana/")
                .isEqualTo(Files.readString(MonitoringFiles.CHART_DASHBOARD));
    }

    @Test
    void configMapHoldsTheDashboardFileWithTheSidecarsLabel() throws IOException {
        ConfigMap map = MeshdnsChart.template(Map.of("grafanaDashboard.enabled", true))
                .named(ConfigMap.class, "meshdns-dashboard");

        assertThat(map.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(map.getMetadata().getNamespace()).isEqualTo(MeshdnsChart.NAMESPACE);
        assertThat(map.getData()).containsOnlyKeys("meshdns-dashboard.json");
        assertThat(map.getData().get("meshdns-dashboard.json"))
                .isEqualTo(Files.readString(MonitoringFiles.CHART_DASHBOARD).strip());
    }

    @Test
    void configMapGoesWhereGrafanasSidecarLooksWithItsFolderAnnotation() {
        ConfigMap map = MeshdnsChart.template(Map.of(
                        "grafanaDashboard.enabled",
                        true,
                        "grafanaDashboard.namespace",
                        "monitoring",
                        "grafanaDashboard.annotations.grafana_folder",
                        "DNS"))
                .named(ConfigMap.class, "meshdns-dashboard");

        assertThat(map.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(map.getMetadata().getAnnotations()).containsEntry("grafana_folder", "DNS");
    }

    @Test
    void dashboardShowsTrafficLatencyCacheClusterStatesEndpointsPropagationAndWatchRestarts() {
        List<String> exprs = MonitoringFiles.dashboardExpressions();
        List<String> names = new ArrayList<>();
        exprs.forEach(e -> names.addAll(PromqlMetricNames.in(e)));

        assertThat(exprs)
                .anyMatch(e -> e.contains("meshdns_dns_requests_total") && e.contains("by (type)"))
                .anyMatch(e -> e.contains("meshdns_dns_responses_total") && e.contains("by (rcode)"))
                .anyMatch(e -> e.startsWith("histogram_quantile(0.99")
                        && e.contains("meshdns_dns_request_duration_seconds_bucket"))
                .anyMatch(e ->
                        e.startsWith("histogram_quantile(0.99") && e.contains("meshdns_propagation_seconds_bucket"));
        assertThat(names)
                .contains(
                        "meshdns_cache_hits_total",
                        "meshdns_cache_misses_total",
                        "meshdns_cluster_state",
                        "meshdns_cluster_endpoints",
                        "meshdns_watch_restarts_total");
    }

    @Test
    void everyPanelQueriesTheDashboardsDataSourceVariable() {
        JsonNode dashboard = MonitoringFiles.dashboard();
        assertThat(dashboard.path("templating").path("list"))
                .anyMatch(v -> "datasource".equals(v.path("name").asText())
                        && "prometheus".equals(v.path("query").asText()));
        for (JsonNode panel : dashboard.path("panels")) {
            if (!"row".equals(panel.path("type").asText())) {
                assertThat(panel.path("datasource").path("uid").asText())
                        .as(panel.path("title").asText())
                        .isEqualTo("${datasource}");
            }
        }
    }
}
