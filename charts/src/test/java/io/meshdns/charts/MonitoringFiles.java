package io.meshdns.charts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The alerting rules and the Grafana dashboard: the chart's copies (charts/meshdns/files, which Helm can
 * read) and the repository's plain copies for setups without the chart (deploy/).
 */
final class MonitoringFiles {
    static final Path REPO =
            MeshdnsChart.DIR.toAbsolutePath().normalize().getParent().getParent();
    static final Path CHART_RULES = MeshdnsChart.DIR.resolve("files/meshdns-rules.yaml");
    static final Path CHART_DASHBOARD = MeshdnsChart.DIR.resolve("files/meshdns-dashboard.json");
    static final Path DEPLOY_RULES = REPO.resolve("deploy/prometheus/meshdns-rules.yaml");
    static final Path DEPLOY_RULE_TESTS = REPO.resolve("deploy/prometheus/tests");
    static final Path DEPLOY_DASHBOARD = REPO.resolve("deploy/grafana/meshdns-dashboard.json");
    static final Path RUNBOOK = REPO.resolve("docs/runbook.md");

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    private MonitoringFiles() {}

    /** One alerting rule of the rules file. */
    record Alert(String name, String expr, Map<String, String> labels, Map<String, String> annotations) {}

    static JsonNode rulesTree() {
        return read(YAML, CHART_RULES);
    }

    static List<Alert> alerts() {
        List<Alert> alerts = new ArrayList<>();
        for (JsonNode group : rulesTree().path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                alerts.add(new Alert(
                        rule.path("alert").asText(null),
                        rule.path("expr").asText(),
                        strings(rule.path("labels")),
                        strings(rule.path("annotations"))));
            }
        }
        return alerts;
    }

    static JsonNode dashboard() {
        return read(JSON, CHART_DASHBOARD);
    }

    /** Every panel target's PromQL, rows' nested panels included. */
    static List<String> dashboardExpressions() {
        List<String> out = new ArrayList<>();
        collectTargets(dashboard().path("panels"), out);
        return out;
    }

    /** The queries of the dashboard's query variables ({@code label_values(...)} or PromQL). */
    static List<String> dashboardVariableQueries() {
        List<String> out = new ArrayList<>();
        for (JsonNode variable : dashboard().path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode query = variable.path("query");
                out.add(query.isObject() ? query.path("query").asText() : query.asText());
            }
        }
        return out;
    }

    private static void collectTargets(JsonNode panels, List<String> out) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.path("expr").asText());
            }
            collectTargets(panel.path("panels"), out);
        }
    }

    static JsonNode read(ObjectMapper mapper, Path file) {
        try {
            return mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> strings(JsonNode map) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        map.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
