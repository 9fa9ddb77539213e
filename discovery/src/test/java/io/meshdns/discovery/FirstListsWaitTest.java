package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.testkit.Kubeconfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A starting mesh publishes its clusters' services together once their first lists are in (or
 * {@code firstListsWait} has passed), so each global service is built once; a synced cluster waiting for the
 * others is never shown as synced without its services.
 */
class FirstListsWaitTest extends WatchedClusters {
    // Longer than TestMesh.HANG: a test that waited it out would fail on its await, not pass slowly.
    private static final Duration LONG = Duration.ofMinutes(10);

    private final List<MeshSnapshot> published = new CopyOnWriteArrayList<>();

    FirstListsWaitTest() {
        super(2);
    }

    @BeforeEach
    void seed() {
        webInBoth();
    }

    private void start(Duration firstListsWait, ClusterSpec... clusters) {
        mesh = new MeshWatcher(TestMesh.fast().withFirstListsWait(firstListsWait));
        mesh.addListener(published::add);
        mesh.setClusters(List.of(clusters)).join();
    }

    @Test
    void theFirstServicesArePublishedOnceEveryClusterHasListed() {
        start(LONG, spec(east), spec(west));

        await(mesh, "web from both", has(east, "shop", "web").and(has(west, "shop", "web")));

        assertThat(published)
                .filteredOn(s -> !s.services().isEmpty())
                .first()
                .as("the first snapshot with services")
                .satisfies(
                        s -> assertThat(s.service(ServiceKey.of("shop", "web")).byCluster())
                                .containsOnlyKeys(clusterId(east), clusterId(west)));
    }

    @Test
    void aSyncedClusterWaitingForAnotherIsShownConnectingWithoutItsServicesUntilTheWaitEnds() throws IOException {
        // An API server that takes connections and never answers: its cluster stays in its first list.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            var hung = new ClusterSpec(
                    ClusterId.of("hung"),
                    Kubeconfig.write(dir, "hung", "http://127.0.0.1:" + silent.getLocalPort()),
                    "hung",
                    List.of(Reachability.POD));
            start(Duration.ofSeconds(5), spec(east), hung);

            await(mesh, "east's web", has(east, "shop", "web"));

            assertThat(published).as("east listed, held for hung").anySatisfy(s -> {
                ClusterHealth h = s.clusters().get(clusterId(east));
                assertThat(h.state()).isEqualTo(ClusterState.CONNECTING);
                assertThat(h.reason()).startsWith("listed; published with the first lists of 1 more cluster");
                assertThat(s.services()).isEmpty();
            });
            assertThat(published)
                    .as("east shown synced only with its services")
                    .filteredOn(s -> s.clusters().get(clusterId(east)).state() == ClusterState.SYNCED)
                    .isNotEmpty()
                    .allSatisfy(
                            s -> assertThat(has(east, "shop", "web").test(s)).isTrue());
        }
    }

    @Test
    void aClusterThatCannotBeReachedIsNotWaitedFor() {
        west.stop(); // connections refused

        start(LONG, spec(east), spec(west));

        var s = await(mesh, "east's web", has(east, "shop", "web"));
        assertThat(s.clusters().get(clusterId(west)).state()).isNotEqualTo(ClusterState.SYNCED);
    }
}
