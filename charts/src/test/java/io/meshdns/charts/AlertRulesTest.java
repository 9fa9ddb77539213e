package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshdns.charts.MonitoringFiles.Alert;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alerting rules as a platform team meets them: each with a severity, a summary, a description and a
 * runbook section (what it means, how to check, how to fix), unit-tested by Prometheus's promtool both
 * firing and not firing.
 */
class AlertRulesTest {

    @Test
    void everyAlertHasASeveritySummaryDescriptionAndARunbookLinkIntoTheRepository() {
        assertThat(MonitoringFiles.alerts()).isNotEmpty().allSatisfy(a -> {
            assertThat(a.name()).matches("Meshdns[A-Za-z]+");
            assertThat(a.labels()).containsKey("severity");
            assertThat(a.labels().get("severity")).isIn("critical", "warning", "info");
            assertThat(a.annotations()).containsOnlyKeys("summary", "description", "runbook_url");
            assertThat(a.annotations().get("runbook_url"))
                    .isEqualTo("http://localhost:9154/runbook#" + a.name().toLowerCase());
        });
    }

    @Test
    void everyAlertHasARunbookSectionSayingWhatItMeansHowToCheckAndHowToFix() throws IOException {
        String runbook = Files.readString(MonitoringFiles.RUNBOOK);
        List<String> sections = List.of(runbook.split("(?m)^## "));
        for (Alert alert : MonitoringFiles.alerts()) {
            // GitHub's anchor of "## MeshdnsDown" is #meshdnsdown, the anchor of the alert's runbook_url.
            String section = sections.stream()
                    .filter(s -> s.startsWith(alert.name() + "\n"))
                    .findFirst()
                    .orElse(null);
            assertThat(section)
                    .as("docs/runbook.md has a section \"## %s\"", alert.name())
                    .isNotNull();
            assertThat(section)
                    .as("section %s", alert.name())
                    .contains("### What it means")
                    .contains("### How to check")
                    .contains("### How to fix");
        }
    }

    @Test
    void everyAlertIsUnitTestedFiringAndNotFiring() throws IOException {
        Set<String> firing = new HashSet<>();
        Set<String> quiet = new HashSet<>();
        for (Path file : ruleTestFiles()) {
            JsonNode tests = MonitoringFiles.read(MonitoringFiles.YAML, file);
            for (JsonNode test : tests.path("tests")) {
                for (JsonNode check : test.path("alert_rule_test")) {
                    (check.path("exp_alerts").isEmpty() ? quiet : firing)
                            .add(check.path("alertname").asText());
                }
            }
        }
        List<String> names = MonitoringFiles.alerts().stream().map(Alert::name).toList();
        assertThat(firing).as("alerts with a promtool test where they fire").containsAll(names);
        assertThat(quiet)
                .as("alerts with a promtool test where they do not fire")
                .containsAll(names);
    }

    @Test
    void promtoolAcceptsTheRulesFile() throws Exception {
        assumePromtool();
        promtool("check", "rules", MonitoringFiles.DEPLOY_RULES.toString());
    }

    @Test
    void promtoolRuleUnitTestsPass() throws Exception {
        assumePromtool();
        List<String> args = new ArrayList<>(List.of("test", "rules"));
        ruleTestFiles().forEach(f -> args.add(f.toString()));
        promtool(args.toArray(String[]::new));
    }

    private static List<Path> ruleTestFiles() throws IOException {
        try (Stream<Path> files = Files.list(MonitoringFiles.DEPLOY_RULE_TESTS)) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** CI installs promtool (Debian's prometheus package, .ci/run); a machine without it skips these two. */
    private static void assumePromtool() {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "promtool")));
        assumeThat(found).as("promtool on PATH (Debian package prometheus)").isTrue();
    }

    /** Runs promtool and fails with its output unless it exits 0. */
    private static void promtool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("promtool");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("promtool did not finish in 60 s: " + output);
        }
        assertThat(process.exitValue())
                .as("%s:%n%s", String.join(" ", command), output)
                .isZero();
    }
}
