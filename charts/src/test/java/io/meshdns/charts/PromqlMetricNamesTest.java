package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The lexical metric-name finder the dashboard and rule checks rely on. */
class PromqlMetricNamesTest {

    @Test
    void histogramQuantileOverARateNamesOnlyTheBucketSeries() {
        assertThat(
                        PromqlMetricNames.in(
                                "histogram_quantile(0.99, sum by (le) (rate("
                                        + "meshdns_dns_request_duration_seconds_bucket{job=~\"$job\", instance=~\"$instance\"}[$__rate_interval])))"))
                .containsExactly("meshdns_dns_request_duration_seconds_bucket");
    }

    @Test
    void bothSidesOfABinaryOperationWithIgnoringAreNamed() {
        assertThat(PromqlMetricNames.in("meshdns_cluster_last_event_age_seconds > 3600\n"
                        + "  and ignoring (state) meshdns_cluster_state{state=\"SYNCED\"} == 1"))
                .containsExactly("meshdns_cluster_last_event_age_seconds", "meshdns_cluster_state");
    }

    @Test
    void labelValuesThatLookLikeNamesAreNotNames() {
        assertThat(PromqlMetricNames.in("absent(up{job=\"meshdns_fake_metric\"} == 1)"))
                .containsExactly("up");
    }

    @Test
    void numbersDurationsKeywordsAndFunctionsAreNotNames() {
        assertThat(PromqlMetricNames.in("rate(a_total[5m] offset 1h) > 1e3 or vector(0) unless on (x) b_total * 2"))
                .containsExactly("a_total", "b_total");
    }

    @Test
    void aGrafanaLabelValuesQueryNamesItsSelectorNotItsLabel() {
        assertThat(PromqlMetricNames.inVariableQuery("label_values(meshdns_snapshot_version{job=~\"$job\"}, instance)"))
                .containsExactly("meshdns_snapshot_version");
    }
}
