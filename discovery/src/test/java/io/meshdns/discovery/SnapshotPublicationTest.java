package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.awaitSynced;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.namespace;
import static io.meshdns.testkit.MeshObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.testkit.MockCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Changes are coalesced into few immutable snapshots, each saying which changes it carries and since when. */
class SnapshotPublicationTest {
    static final int SERVICES = 150;
    static final Duration COALESCE = Duration.ofMillis(200);

    @TempDir
    Path dir;

    MockCluster east;
    MeshWatcher mesh;
    final List<MeshSnapshot> published = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        east = MockCluster.start("east", dir);
        east.namespace("shop");
        mesh = new MeshWatcher(TestMesh.fast().withCoalesce(COALESCE));
        mesh.addListener(published::add);
        mesh.setClusters(List.of(spec(east))).join();
        awaitSynced(mesh, east);
    }

    @AfterEach
    void stop() {
        mesh.close();
        east.close();
    }

    private MeshSnapshot burst() {
        published.clear();
        for (int i = 0; i < SERVICES; i++) {
            east.create(service("shop", "svc-" + i, "10.96.1." + (i % 250), true));
            east.create(readySlice("shop", "svc-" + i, "svc-" + i + "-1", "10.10." + (i / 250) + "." + (i % 250)));
        }
        return await(
                mesh,
                "every service with its endpoint",
                s -> s.services().size() == SERVICES
                        && s.services().values().stream()
                                .allMatch(g -> g.endpoints().size() == 1));
    }

    @Test
    void manyChangesArePublishedInFewSnapshotsAtMostOnePerCoalesceInterval() {
        long start = System.nanoTime();
        burst();
        long elapsed = System.nanoTime() - start;

        int changes = 2 * SERVICES;
        assertThat(published.size()).as("snapshots for %d changes", changes).isLessThan(changes / 4);
        // Publication passes start at least COALESCE apart, so within the burst there is room for at most this many.
        long room = elapsed / COALESCE.toNanos() + 1;
        assertThat((long) published.size())
                .as("snapshots in %d ms", elapsed / 1_000_000)
                .isLessThanOrEqualTo(room);
    }

    @Test
    void snapshotsHaveIncreasingVersionsAndStayUnchangedAfterPublication() {
        MeshSnapshot before = mesh.snapshot();
        int servicesBefore = before.services().size();
        burst();

        assertThat(published).extracting(MeshSnapshot::version).isSorted().doesNotHaveDuplicates();
        assertThat(published.get(0).version()).isGreaterThan(before.version());
        assertThat(before.services()).hasSize(servicesBefore);
        org.junit.jupiter.api.Assertions.assertThrows(
                UnsupportedOperationException.class,
                () -> mesh.snapshot().services().clear());
    }

    @Test
    void eachChangeIsReportedOnceWithTheTimeItWasObserved() {
        Instant start = Instant.now();
        MeshSnapshot last = burst();

        Set<ServiceKey> reported = new HashSet<>();
        for (MeshSnapshot s : published) {
            for (MeshSnapshot.Change c : s.changes()) {
                assertThat(c.cluster()).isEqualTo(clusterId(east));
                assertThat(c.observedAt()).isAfterOrEqualTo(start).isBeforeOrEqualTo(s.publishedAt());
                reported.add(c.service());
            }
        }
        assertThat(reported).isEqualTo(last.services().keySet());
    }

    @Test
    void theFirstSnapshotInWhichAClusterIsSyncedHoldsEveryServiceOfItsFirstListing() {
        // Large enough that fabric8 is still handing the listing's adds to the handlers when its watches open.
        int services = 3000;
        try (MockCluster west = MockCluster.start("west", dir)) {
            west.load(namespace("shop"));
            for (int i = 0; i < services; i++) {
                west.load(service("shop", "svc-" + i, "10.96.2." + (i % 250), true));
                west.load(readySlice("shop", "svc-" + i, "svc-" + i + "-1", "10.20." + (i / 250) + "." + (i % 250)));
            }
            published.clear();
            mesh.setClusters(List.of(spec(east), spec(west))).join();
            awaitSynced(mesh, east, west);

            MeshSnapshot firstSynced = published.stream()
                    .filter(s -> s.clusters().get(clusterId(west)) != null
                            && s.clusters().get(clusterId(west)).state() == ClusterState.SYNCED)
                    .findFirst()
                    .orElseThrow();
            assertThat(firstSynced.services()).hasSize(services);
            assertThat(firstSynced.clusters().get(clusterId(west)).endpoints()).isEqualTo(services);
        }
    }
}
