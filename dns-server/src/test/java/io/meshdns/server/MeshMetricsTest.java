package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.MeshSnapshot;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The mesh metrics over snapshots given by hand, read back from the Prometheus text. */
class MeshMetricsTest {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final AtomicReference<CacheStats> cache = new AtomicReference<>(CacheStats.empty());
    final MeshMetrics metrics = new MeshMetrics(registry, cache::get);

    PrometheusText scrape() {
        return PrometheusText.parse(registry.scrape());
    }

    static ClusterHealth health(String id, ClusterState state, int endpoints, long restarts) {
        return new ClusterHealth(ClusterId.of(id), state, Instant.now(), Instant.now(), 1, endpoints, restarts, null);
    }

    static MeshSnapshot snapshot(long version, ClusterHealth... clusters) {
        Map<ClusterId, ClusterHealth> byId = new java.util.HashMap<>();
        for (ClusterHealth h : clusters) {
            byId.put(h.cluster(), h);
        }
        return MeshSnapshot.of(version, Map.of(), byId);
    }

    @Test
    void cacheCountersReadTheSuppliedStatisticsAtScrapeTime() {
        cache.set(CacheStats.of(7, 3, 0, 0, 0, 0, 0));

        PrometheusText m = scrape();

        assertThat(m.family("meshdns_cache_hits_total").value(Map.of())).isEqualTo(7);
        assertThat(m.family("meshdns_cache_misses_total").value(Map.of())).isEqualTo(3);
    }

    @Test
    void clusterSeriesAppearWithTheClusterAndLeaveWithIt() {
        metrics.installed(snapshot(
                1, health("east", ClusterState.SYNCED, 5, 0), health("west", ClusterState.DISCONNECTED, 2, 4)));

        PrometheusText both = scrape();
        assertThat(both.family("meshdns_cluster_state").value(Map.of("cluster", "west", "state", "DISCONNECTED")))
                .isEqualTo(1);
        assertThat(both.family("meshdns_cluster_state").value(Map.of("cluster", "west", "state", "SYNCED")))
                .isZero();
        assertThat(both.family("meshdns_cluster_endpoints").value(Map.of("cluster", "west")))
                .isEqualTo(2);
        assertThat(both.family("meshdns_watch_restarts_total").value(Map.of("cluster", "west")))
                .isEqualTo(4);

        metrics.installed(snapshot(2, health("east", ClusterState.SYNCED, 5, 0)));

        PrometheusText eastOnly = scrape();
        for (var family : eastOnly.families().values()) {
            assertThat(family.samples())
                    .as(family.name())
                    .noneMatch(s -> "west".equals(s.labels().get("cluster")));
        }
        assertThat(eastOnly.family("meshdns_cluster_endpoints").value(Map.of("cluster", "east")))
                .isEqualTo(5);
        assertThat(eastOnly.family("meshdns_snapshot_version").value(Map.of())).isEqualTo(2);
    }

    @Test
    void theTokenExpiryIsTheTimeLeftOnARenewedTokenAndNaNForACredentialThatDoesNotExpire() {
        Instant expires = Instant.now().plusSeconds(3600);
        metrics.installed(snapshot(
                1,
                new ClusterHealth(
                        ClusterId.of("east"),
                        ClusterState.SYNCED,
                        Instant.now(),
                        Instant.now(),
                        1,
                        1,
                        0,
                        null,
                        expires),
                health("west", ClusterState.SYNCED, 1, 0)));

        PrometheusText m = scrape();

        assertThat(m.family("meshdns_cluster_token_expiry_seconds").value(Map.of("cluster", "east")))
                .isBetween(3500.0, 3600.0);
        assertThat(m.family("meshdns_cluster_token_expiry_seconds").value(Map.of("cluster", "west")))
                .isNaN();
    }

    @Test
    void aClusterWithoutEventsHasNoLastEventAge() {
        metrics.installed(snapshot(
                1,
                new ClusterHealth(
                        ClusterId.of("east"),
                        ClusterState.CONNECTING,
                        Instant.now(),
                        null,
                        0,
                        0,
                        0,
                        "Connection refused")));

        assertThat(scrape().family("meshdns_cluster_last_event_age_seconds").value(Map.of("cluster", "east")))
                .isNaN();
    }

    @Test
    void aSnapshotWithoutObservedChangesRecordsNoPropagation() {
        metrics.installed(snapshot(1, health("east", ClusterState.SYNCED, 1, 0)));

        assertThat(scrape().family("meshdns_propagation_seconds").value("meshdns_propagation_seconds_count", Map.of()))
                .isZero();
    }
}
