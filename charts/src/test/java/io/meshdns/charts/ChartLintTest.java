package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `helm lint --strict` and the chart's metadata. */
class ChartLintTest {

    @Test
    void lintsCleanWithTheDefaultValues() {
        LintResult lint = MeshdnsChart.lint();

        assertThat(lint.isFailed()).as("lint messages: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void lintsCleanWithTheThreeClusterValues(@TempDir Path work) {
        LintResult lint = MeshdnsChart.lint(MeshdnsChart.THREE_CLUSTERS, work);

        assertThat(lint.isFailed()).as("lint messages: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void lintFailsOnAClusterWithoutAnId(@TempDir Path work) {
        LintResult lint = MeshdnsChart.lint("values-cluster-without-id.yaml", work);

        assertThat(lint.isFailed()).isTrue();
        assertThat(lint.getMessages())
                .anyMatch(m -> m.contains("[ERROR]") && m.contains("/clusters/1") && m.contains("'id'"));
    }

    @Test
    void appVersionTracksTheProjectVersion() throws IOException {
        JsonNode chart = new ObjectMapper(new YAMLFactory())
                .readTree(MeshdnsChart.DIR.resolve("Chart.yaml").toFile());

        assertThat(chart.path("appVersion").asText()).isEqualTo(MeshdnsChart.projectRelease());
        assertThat(chart.path("name").asText()).isEqualTo("meshdns");
    }
}
