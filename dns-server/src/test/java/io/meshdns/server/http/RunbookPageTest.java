package io.meshdns.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /runbook on the admin listener: the alerts' default runbook_url lands on each alert's own section. */
class RunbookPageTest {
    @Test
    void everyAlertsDefaultRunbookUrlHasItsSectionOnThePage() throws Exception {
        String page = new String(RunbookPage.html(), StandardCharsets.UTF_8);
        String rules = Files.readString(Path.of("../deploy/prometheus/meshdns-rules.yaml"));

        var links = Pattern.compile("runbook_url: http://localhost:9154/runbook#(\\S+)")
                .matcher(rules);
        int alerts = 0;
        while (links.find()) {
            assertThat(page).contains("<h2 id=\"" + links.group(1) + "\">");
            alerts++;
        }
        assertThat(alerts).isGreaterThanOrEqualTo(10);
    }

    @Test
    void theTextIsEscapedAndHeadingsGetGithubsAnchors() {
        String html = RunbookPage.render("intro <b>&\n## MeshdnsDown\ncurl -s $ADMIN/api/clusters | jq '.[]'\n");

        assertThat(html)
                .contains(
                        "intro &lt;b&gt;&amp;",
                        "<h2 id=\"meshdnsdown\">MeshdnsDown</h2>",
                        "curl -s $ADMIN/api/clusters | jq '.[]'")
                .doesNotContain("<b>");
    }
}
