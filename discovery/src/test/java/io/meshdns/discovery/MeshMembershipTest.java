package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.lacks;
import static io.meshdns.discovery.TestMesh.part;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Clusters join and leave the mesh at run time without disturbing the others. */
class MeshMembershipTest extends WatchedClusters {
    MeshMembershipTest() {
        super(2);
    }

    @BeforeEach
    void seed() {
        webInBoth();
    }

    @Test
    void addedClusterJoinsAndTheOthersPartsAreUntouched() {
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        var before = await(mesh, "east's web", has(east, "shop", "web"));
        ClusterService eastWeb = part(before, east, "shop", "web");
        List<MeshSnapshot> published = new CopyOnWriteArrayList<>();
        mesh.addListener(published::add);

        mesh.setClusters(List.of(spec(east), spec(west))).join();

        var after = await(mesh, "west's web", has(west, "shop", "web"));
        assertThat(part(after, east, "shop", "web"))
                .as("east's part not rebuilt")
                .isSameAs(eastWeb);
        assertThat(published)
                .allSatisfy(s -> assertThat(part(s, east, "shop", "web")).isSameAs(eastWeb));
        assertThat(mesh.clusters()).extracting(ClusterSpec::id).containsExactly(clusterId(east), clusterId(west));
    }

    @Test
    void aPartReadAgainUnchangedIsStillTheSameObjectWhenAnotherClusterJoins() {
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        var before = await(mesh, "east's web", has(east, "shop", "web"));
        ClusterService eastWeb = part(before, east, "shop", "web");
        // An update meshdns reads nothing new from, as a late add of the first listing or a relist under load;
        // then another service, whose arrival shows the update was read (one informer, in order).
        east.client()
                .services()
                .inNamespace("shop")
                .withName("web")
                .edit(s -> new io.fabric8.kubernetes.api.model.ServiceBuilder(s)
                        .editMetadata()
                        .addToLabels("team", "shop")
                        .endMetadata()
                        .build());
        east.create(service("shop", "cart", "10.96.0.11", true));
        await(mesh, "east's cart", has(east, "shop", "cart"));

        mesh.setClusters(List.of(spec(east), spec(west))).join();

        var after = await(mesh, "west's web", has(west, "shop", "web"));
        assertThat(part(after, east, "shop", "web"))
                .as("east's part not rebuilt")
                .isSameAs(eastWeb);
    }

    @Test
    void removedClusterLeavesWithItsServicesAndHealth() {
        mesh = TestMesh.start(TestMesh.fast(), spec(east), spec(west));
        var before = await(mesh, "web from both", has(east, "shop", "web").and(has(west, "shop", "web")));
        ClusterService eastWeb = part(before, east, "shop", "web");

        mesh.setClusters(List.of(spec(east))).join();

        var after = await(mesh, "west gone", lacks(west, "shop", "web"));
        assertThat(after.clusters().keySet()).containsExactly(clusterId(east));
        assertThat(part(after, east, "shop", "web")).isSameAs(eastWeb);
        assertThat(after.changes()).extracting(MeshSnapshot.Change::cluster).containsOnly(clusterId(west));
    }

    @Test
    void theClustersThatStayKeepWatchingAfterAnotherClustersClientIsClosed() {
        // The member clients share one HTTP transport (MemberHttpTransport): closing west's must not end east's.
        mesh = TestMesh.start(TestMesh.fast(), spec(east), spec(west));
        await(mesh, "web from both", has(east, "shop", "web").and(has(west, "shop", "web")));
        mesh.setClusters(List.of(spec(east))).join();
        await(mesh, "west gone", lacks(west, "shop", "web"));

        east.create(service("shop", "cart", "10.96.0.11", true));
        east.create(readySlice("shop", "cart", "cart-1", "10.10.2.1"));

        var after = await(
                mesh,
                "east's cart with its endpoint",
                s -> part(s, east, "shop", "cart") != null
                        && !part(s, east, "shop", "cart").endpoints().isEmpty());
        assertThat(part(after, east, "shop", "cart")
                        .endpoints()
                        .get(0)
                        .address()
                        .getHostAddress())
                .isEqualTo("10.10.2.1");
    }

    @Test
    void changedClusterIsRestartedWithItsNewSpec() {
        mesh = TestMesh.start(TestMesh.fast(), spec(east), spec(west));
        // Both, not west alone: the clusters start side by side, so west may sync first.
        await(mesh, "web from both", has(east, "shop", "web").and(has(west, "shop", "web")));

        mesh.setClusters(List.of(spec(east), spec(west, Reachability.CLUSTER_IP)))
                .join();

        var after = await(
                mesh,
                "west answering its clusterIP",
                s -> part(s, west, "shop", "web") != null
                        && part(s, west, "shop", "web")
                                .endpoints()
                                .get(0)
                                .address()
                                .getHostAddress()
                                .equals("10.96.0.10"));
        assertThat(part(after, east, "shop", "web").endpoints().get(0).address().getHostAddress())
                .isEqualTo("10.10.1.1");
    }

    @Test
    void clusterListsSetBackToBackApplyInOrderThoughClustersStartSideBySide() {
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        await(mesh, "east's web", has(east, "shop", "web"));

        // Not joined in between: the second list's removal of west waits until the first list's start of west is done.
        var added = mesh.setClusters(List.of(spec(east), spec(west)));
        var removed = mesh.setClusters(List.of(spec(east)));
        removed.join();

        assertThat(added).isCompleted();
        var after = await(mesh, "west gone", s -> s.clusters().keySet().equals(java.util.Set.of(clusterId(east))));
        assertThat(part(after, west, "shop", "web")).isNull();
        assertThat(part(after, east, "shop", "web")).isNotNull();
        assertThat(mesh.clusters()).extracting(ClusterSpec::id).containsExactly(clusterId(east));
    }

    @Test
    void aClusterIdConfiguredTwiceIsRefused() {
        mesh = new MeshWatcher(TestMesh.fast());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> mesh.setClusters(List.of(spec(east), spec(east))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'east' is configured twice");
    }
}
