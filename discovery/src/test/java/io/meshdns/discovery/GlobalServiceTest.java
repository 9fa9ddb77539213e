package io.meshdns.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How one service's clusters are merged: the oldest export decides, the others conform or are left out. */
class GlobalServiceTest {
    private static final ServiceKey WEB = ServiceKey.of("shop", "web");
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static ClusterService part(
            String cluster, boolean headless, int port, Instant exportedAt, Reachability answeredBy, String reason)
            throws Exception {
        ClusterId id = ClusterId.of(cluster);
        List<Endpoint> endpoints = answeredBy == null
                ? List.of()
                : List.of(new Endpoint(
                        id, InetAddress.getByName("10.0.0." + port % 250), true, true, false, null, null, null));
        return new ClusterService(
                id,
                WEB,
                "ClusterIP",
                headless,
                null,
                List.of(new ServicePort("http", port, "TCP")),
                endpoints,
                Map.of(),
                List.of(),
                List.of(),
                List.of(),
                exportedAt,
                answeredBy,
                reason,
                null,
                null);
    }

    @Test
    void onlyClustersThatDisagreeWithTheOldestExportAreConflicts() throws Exception {
        ClusterService east = part("east", false, 80, T0, Reachability.POD, null);
        ClusterService west = part("west", false, 8080, T0.plusSeconds(1), Reachability.POD, null);
        ClusterService north = part("north", true, 80, T0.plusSeconds(2), Reachability.POD, null);
        ClusterService south =
                part("south", false, 80, T0.plusSeconds(3), null, "no address for reachability [clusterIP]");
        ClusterService docs = new ClusterService(
                ClusterId.of("docs"), WEB, "ExternalName", false, "docs.example.com", List.of(), List.of(), Map.of());

        GlobalService web = new GlobalService(
                WEB,
                Map.of(
                        east.cluster(),
                        east,
                        west.cluster(),
                        west,
                        north.cluster(),
                        north,
                        south.cluster(),
                        south,
                        docs.cluster(),
                        docs));

        assertThat(web.leftOut()).containsOnlyKeys(west.cluster(), north.cluster(), south.cluster(), docs.cluster());
        assertThat(web.conflicting()).containsExactly(north.cluster(), west.cluster());
        assertThat(web.leftOut().get(west.cluster()))
                .isEqualTo("conflict: port 'http'/TCP is 8080 here, 80 in east (exported first)");
        assertThat(web.leftOut().get(north.cluster()))
                .isEqualTo("conflict: headless here, ClusterIP in east (exported first, so it decides)");
        assertThat(web.leftOut().get(south.cluster())).isEqualTo("no address for reachability [clusterIP]");
        assertThat(web.leftOut().get(docs.cluster())).isEqualTo(ClusterService.EXTERNAL_NAME_REASON);
    }
}
