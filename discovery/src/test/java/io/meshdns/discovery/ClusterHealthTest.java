package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.awaitSynced;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.part;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.meshdns.core.KubernetesNames;
import io.meshdns.testkit.MockCluster;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cluster health through outages: disconnected keeps answers, stale after staleAfter, exact resync. */
class ClusterHealthTest extends WatchedClusters {
    ClusterHealthTest() {
        super(2);
    }

    @BeforeEach
    void seed() {
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(readySlice("shop", "web", "web-1", "10.10.1.1", "10.10.1.2", "10.10.1.3"));
        east.create(service("shop", "cart", "10.96.0.11", true));
        east.create(readySlice("shop", "cart", "cart-1", "10.10.2.1"));
        west.create(service("shop", "web", "10.97.0.10", true));
        west.create(readySlice("shop", "web", "web-1", "10.20.1.1"));
    }

    private static ClusterHealth health(MeshSnapshot s, MockCluster c) {
        return s.clusters().get(clusterId(c));
    }

    private static java.util.function.Predicate<MeshSnapshot> state(MockCluster c, ClusterState state) {
        return s -> health(s, c) != null && health(s, c).state() == state;
    }

    @Test
    void syncedClusterReportsCountsAndLastEventTime() {
        mesh = TestMesh.start(TestMesh.fast(), spec(east), spec(west));
        var s = await(
                mesh,
                "both synced with their services",
                state(east, ClusterState.SYNCED).and(has(east, "shop", "cart")).and(has(west, "shop", "web")));
        ClusterHealth h = health(s, east);
        assertThat(h.services()).isEqualTo(2);
        assertThat(h.endpoints()).isEqualTo(4);
        assertThat(h.lastEventAt()).isNotNull();
        assertThat(h.reason()).isNull();
        assertThat(h.degraded()).isFalse();
    }

    @Test
    void stoppedApiServerDisconnectsKeepsItsEndpointsAndGoesStaleAfterStaleAfter() {
        Duration staleAfter = Duration.ofMillis(1500);
        mesh = TestMesh.start(TestMesh.fast().withStaleAfter(staleAfter), spec(east), spec(west));
        awaitSynced(mesh, east, west);
        await(mesh, "east's web", has(east, "shop", "web"));

        east.stop();

        var disconnected = await(mesh, "east disconnected", state(east, ClusterState.DISCONNECTED));
        ClusterHealth h = health(disconnected, east);
        assertThat(h.degraded()).as("answered as when synced until staleAfter").isFalse();
        assertThat(h.reason()).as("why it is disconnected").isNotBlank();
        assertThat(part(disconnected, east, "shop", "web").endpoints())
                .as("last known endpoints kept")
                .hasSize(3);
        assertThat(health(disconnected, west).state()).isEqualTo(ClusterState.SYNCED);

        var stale = await(mesh, "east stale", state(east, ClusterState.STALE));
        assertThat(health(stale, east).since()).isAfterOrEqualTo(h.since().plus(staleAfter));
        assertThat(health(stale, east).degraded()).isTrue();
        assertThat(part(stale, east, "shop", "web").endpoints())
                .as("still there; the policy decides")
                .hasSize(3);
        assertThat(part(stale, east, "shop", "cart")).isNotNull();
        assertThat(health(stale, west).state()).isEqualTo(ClusterState.SYNCED);
    }

    @Test
    void apiServerRestartedWithChangedObjectsIsResyncedToExactlyItsState() {
        mesh = TestMesh.start(TestMesh.fast().withStaleAfter(Duration.ofMillis(500)), spec(east), spec(west));
        await(mesh, "east's services", has(east, "shop", "web").and(has(east, "shop", "cart")));

        east.stop();
        await(mesh, "east stale", state(east, ClusterState.STALE));
        // The API server comes back from a different state: web moved, cart is gone, news is new.
        east.restartEmpty();
        long restarted = System.nanoTime();
        east.namespace("shop");
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(readySlice("shop", "web", "web-2", "10.10.1.3", "10.10.1.9"));
        east.create(service("shop", "news", "10.96.0.12", true));
        east.create(readySlice("shop", "news", "news-1", "10.10.6.1"));

        var s = await(
                mesh,
                "east resynced to its API",
                state(east, ClusterState.SYNCED)
                        .and(snap -> exported(snap, east).equals(apiState(east))));
        assertThat(exported(s, east))
                .isEqualTo(Map.of(
                        "shop/news", Set.of("10.10.6.1"),
                        "shop/web", Set.of("10.10.1.3", "10.10.1.9")));
        assertThat(exported(s, east)).isEqualTo(apiState(east));
        assertThat(health(s, east).watchRestarts()).isPositive();
        assertThat(health(s, east).reason()).isNull();
    }

    @Test
    void clusterIsSyncedAgainSoonAfterItsApiServerAnswersAfterALongOutage() throws InterruptedException {
        // Production intervals: the backoff must not have grown past retryInterval during the outage.
        WatchOptions options = WatchOptions.defaults().withCoalesce(Duration.ofMillis(20));
        mesh = TestMesh.start(options, spec(east), spec(west));
        awaitSynced(mesh, east, west);
        await(mesh, "east's web", has(east, "shop", "web"));

        east.stop();
        await(mesh, "east disconnected", state(east, ClusterState.DISCONNECTED));
        Thread.sleep(12_000); // long enough for a doubling backoff from 1 s to reach 8 s
        east.restartEmpty();
        long restarted = System.nanoTime();
        east.namespace("shop");
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(readySlice("shop", "web", "web-2", "10.10.1.1", "10.10.1.2", "10.10.1.4")); // changed meanwhile

        // retryInterval (1 s) plus one list and watch; generous for a loaded machine.
        assertThat(mesh.await(state(east, ClusterState.SYNCED), Duration.ofSeconds(3)))
                .as("east synced within 3 s of its API server answering again")
                .isTrue();
        long millis = (System.nanoTime() - restarted) / 1_000_000;
        System.out.println("east synced again " + millis + " ms after its API server restarted");
        await(
                mesh,
                "the change made during the outage",
                snap -> exported(snap, east).equals(apiState(east)));
        assertThat(exported(mesh.snapshot(), east).get("shop/web")).contains("10.10.1.4");
    }

    @Test
    void refusedCredentialsAfterSyncingKeepTheEndpointsThenGoStaleAfterStaleAfter() {
        Duration staleAfter = Duration.ofMillis(1500);
        mesh = TestMesh.start(TestMesh.fast().withStaleAfter(staleAfter), spec(east), spec(west));
        awaitSynced(mesh, east, west);
        await(mesh, "east's web", has(east, "shop", "web"));

        east.refuseAll(401); // the token expired; the restart drops the open watches
        east.stop();
        east.restartEmpty();
        var error = await(mesh, "east in error", state(east, ClusterState.ERROR));
        assertThat(health(error, east).degraded())
                .as("last known endpoints are still the best knowledge")
                .isFalse();
        assertThat(part(error, east, "shop", "web").endpoints()).hasSize(3);

        var stale = await(mesh, "east stale", state(east, ClusterState.STALE));
        assertThat(health(stale, east).degraded()).isTrue();
        assertThat(health(stale, east).reason()).contains("HTTP 401");
    }

    @Test
    void watchExpiredWithHttp410RelistsAndCatchesUpWithWhatItMissed() {
        east.stallNextWatchOf("endpointslices");
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        await(mesh, "east's web", has(east, "shop", "web"));

        // Changes the stalled watch does not deliver.
        east.client()
                .discovery()
                .v1()
                .endpointSlices()
                .inNamespace("shop")
                .withName("cart-1")
                .delete();
        east.create(readySlice("shop", "web", "web-1", "10.10.1.1", "10.10.1.7"));
        east.expireStalledWatches();

        var s = await(mesh, "east caught up", snap -> exported(snap, east).equals(apiState(east)));
        assertThat(exported(s, east).get("shop/web")).containsExactlyInAnyOrder("10.10.1.1", "10.10.1.7");
        assertThat(health(s, east).watchRestarts()).isPositive();
        assertThat(health(s, east).state()).isEqualTo(ClusterState.SYNCED);
    }

    @Test
    void refusedCredentialsPutOnlyThatClusterInErrorWithTheReason() {
        east.refuseAll(401);
        mesh = TestMesh.start(TestMesh.fast(), spec(east), spec(west));

        var s = await(
                mesh,
                "east in error, west serving",
                state(east, ClusterState.ERROR).and(has(west, "shop", "web")));
        assertThat(health(s, east).reason()).contains("HTTP 401");
        assertThat(s.service(ServiceKey.of("shop", "web")).byCluster().keySet()).containsExactly(clusterId(west));

        east.heal(); // the token was rotated
        await(mesh, "east recovered", state(east, ClusterState.SYNCED).and(has(east, "shop", "web")));
    }

    @Test
    void forbiddenListPutsTheClusterInErrorNamingRbac() {
        east.refuseAll(403);
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        var s = await(
                mesh,
                "east in error",
                state(east, ClusterState.ERROR)
                        .and(snap -> health(snap, east).reason() != null
                                && health(snap, east).reason().contains("list/watch")));
        assertThat(health(s, east).reason()).contains("HTTP 403").contains("RBAC");
    }

    @Test
    void unreadableKubeconfigPutsTheClusterInErrorNamingTheFile() {
        ClusterSpec broken =
                new ClusterSpec(ClusterId.of("north"), dir.resolve("missing.kubeconfig"), null, Reachability.POD);
        mesh = TestMesh.start(TestMesh.fast(), broken, spec(west));
        var s = await(mesh, "west serving", has(west, "shop", "web"));
        ClusterHealth north = s.clusters().get(ClusterId.of("north"));
        assertThat(north.state()).isEqualTo(ClusterState.ERROR);
        assertThat(north.reason()).contains("missing.kubeconfig").contains("missing or unreadable");
    }

    /** What the snapshot holds for one cluster: service -> endpoint IPs. */
    private static Map<String, Set<String>> exported(MeshSnapshot s, MockCluster c) {
        Map<String, Set<String>> out = new TreeMap<>();
        s.services().forEach((key, g) -> {
            ClusterService cs = g.byCluster().get(clusterId(c));
            if (cs != null) {
                Set<String> ips = new TreeSet<>();
                cs.endpoints().forEach(e -> ips.add(e.address().getHostAddress()));
                out.put(key.toString(), ips);
            }
        });
        return out;
    }

    /** The same, computed from the cluster's API: every annotated Service and its slices' addresses. */
    static Map<String, Set<String>> apiState(MockCluster c) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (Service svc : c.client().services().inAnyNamespace().list().getItems()) {
            var annotations = svc.getMetadata().getAnnotations();
            if (annotations != null && "true".equals(annotations.get(KubernetesNames.EXPORT_ANNOTATION))) {
                out.put(
                        svc.getMetadata().getNamespace() + "/"
                                + svc.getMetadata().getName(),
                        new TreeSet<>());
            }
        }
        for (EndpointSlice slice : c.client()
                .discovery()
                .v1()
                .endpointSlices()
                .inAnyNamespace()
                .list()
                .getItems()) {
            String key = slice.getMetadata().getNamespace() + "/"
                    + slice.getMetadata().getLabels().get(KubernetesNames.SERVICE_NAME_LABEL);
            Set<String> ips = out.get(key);
            if (ips != null) {
                slice.getEndpoints().forEach(e -> ips.addAll(e.getAddresses()));
            }
        }
        return out;
    }
}
