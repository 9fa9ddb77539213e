package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart's PrometheusRule: off by default; when on, exactly the rules of files/meshdns-rules.yaml
 * (the same file as deploy/prometheus/meshdns-rules.yaml), with runbook links under the configured base.
 */
class PrometheusRuleTest {

    @Test
    void noPrometheusRuleByDefault() {
        assertThat(MeshdnsChart.template().kinds()).doesNotContain("PrometheusRule");
    }

    @Test
    void deployRulesFileIsTheChartsRulesFile() throws IOException {
        assertThat(Files.readString(MonitoringFiles.DEPLOY_RULES))
                .as("deploy/prometheus/meshdns-rules.yaml must equal charts/meshdns/files/meshdns-rules.yaml: edit the"
                        + " chart's copy and cp it to deploy/prometheus/")
                .isEqualTo(Files.readString(MonitoringFiles.CHART_RULES));
    }

    @Test
    void renderedGroupsAreTheRulesFileWithItsDefaultRunbookLinks() {
        GenericKubernetesResource rule =
                MeshdnsChart.template(Map.of("prometheusRule.enabled", true)).custom("PrometheusRule");

        assertThat(rule.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(groups(rule)).isEqualTo(MonitoringFiles.rulesTree().path("groups"));
    }

    @Test
    void runbookLinksFollowRunbookBaseUrlAndKeepEachAlertsAnchor() {
        String base = "https://git.example.org/platform/meshdns/-/blob/main/docs/runbook.md";
        GenericKubernetesResource rule = MeshdnsChart.template(
                        Map.of("prometheusRule.enabled", true, "prometheusRule.runbookBaseUrl", base))
                .custom("PrometheusRule");

        JsonNode expected = MonitoringFiles.rulesTree().path("groups").deepCopy();
        for (JsonNode group : expected) {
            for (JsonNode r : group.path("rules")) {
                ObjectNode annotations = (ObjectNode) r.path("annotations");
                annotations.put(
                        "runbook_url",
                        annotations.path("runbook_url").asText().replace("http://localhost:9154/runbook", base));
            }
        }
        assertThat(groups(rule)).isEqualTo(expected);
    }

    @Test
    void ruleLabelsAreAddedToEveryAlertAndOverrideItsOwn() {
        GenericKubernetesResource rule = MeshdnsChart.template(Map.of(
                        "prometheusRule.enabled",
                        true,
                        "prometheusRule.ruleLabels.team",
                        "platform",
                        "prometheusRule.ruleLabels.severity",
                        "page"))
                .custom("PrometheusRule");

        for (JsonNode group : groups(rule)) {
            for (JsonNode r : group.path("rules")) {
                assertThat(r.path("labels").path("team").asText())
                        .as(r.path("alert").asText())
                        .isEqualTo("platform");
                assertThat(r.path("labels").path("severity").asText())
                        .as(r.path("alert").asText())
                        .isEqualTo("page");
            }
        }
    }

    @Test
    void objectLabelsLetThePrometheusRuleSelectorFindIt() {
        GenericKubernetesResource rule = MeshdnsChart.template(Map.of(
                        "prometheusRule.enabled", true, "prometheusRule.labels.release", "kube-prometheus-stack"))
                .custom("PrometheusRule");

        assertThat(rule.getMetadata().getLabels())
                .containsEntry("release", "kube-prometheus-stack")
                .containsEntry("app.kubernetes.io/name", "meshdns");
        assertThat(rule.getMetadata().getNamespace()).isEqualTo(MeshdnsChart.NAMESPACE);
    }

    @Test
    void serviceMonitorGivesTargetsTheJobTheRulesSelectAndKeepsMeshdnsLabels() {
        Rendered chart = MeshdnsChart.template(Map.of("serviceMonitor.enabled", true));
        GenericKubernetesResource monitor = chart.custom("ServiceMonitor");
        String jobLabel = (String) monitor.get("spec", "jobLabel");

        assertThat(chart.named(io.fabric8.kubernetes.api.model.Service.class, "meshdns-metrics")
                        .getMetadata()
                        .getLabels())
                .containsEntry(jobLabel, "meshdns");
        assertThat(MonitoringFiles.alerts())
                .filteredOn(a -> a.expr().contains("up{"))
                .allSatisfy(a -> assertThat(a.expr()).contains("up{job=\"meshdns\"}"));
        assertThat((Boolean) monitor.get("spec", "endpoints", 0, "honorLabels")).isTrue();
    }

    private static JsonNode groups(GenericKubernetesResource rule) {
        return MonitoringFiles.JSON
                .valueToTree(rule.getAdditionalProperties().get("spec"))
                .path("groups");
    }
}
