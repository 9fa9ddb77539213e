package io.meshdns.discovery;

import static io.meshdns.discovery.MockCluster.annotated;
import static io.meshdns.discovery.MockCluster.readySlice;
import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.lacks;
import static io.meshdns.discovery.TestMesh.part;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clusters join and leave the mesh at run time without disturbing the others. */
class MeshMembershipTest {
  @TempDir
  Path dir;

  MockCluster east;
  MockCluster west;
  MeshWatcher mesh;

  @BeforeEach
  void start() {
    east = MockCluster.start("east", dir);
    west = MockCluster.start("west", dir);
    for (MockCluster c : new MockCluster[] {east, west}) {
      c.namespace("shop");
      c.create(annotated("shop", "web", "10.96.0.10"));
    }
    east.create(readySlice("shop", "web", "web-1", "10.10.1.1"));
    west.create(readySlice("shop", "web", "web-1", "10.20.1.1"));
  }

  @AfterEach
  void stop() {
    if (mesh != null) {
      mesh.close();
    }
    east.close();
    west.close();
  }

  @Test
  void addedClusterJoinsAndTheOthersPartsAreUntouched() {
    mesh = TestMesh.start(TestMesh.fast(), east.spec());
    var before = await(mesh, "east's web", has(east, "shop", "web"));
    ClusterService eastWeb = part(before, east, "shop", "web");
    List<MeshSnapshot> published = new CopyOnWriteArrayList<>();
    mesh.addListener(published::add);

    mesh.setClusters(List.of(east.spec(), west.spec())).join();

    var after = await(mesh, "west's web", has(west, "shop", "web"));
    assertThat(part(after, east, "shop", "web")).as("east's part not rebuilt").isSameAs(eastWeb);
    assertThat(published).allSatisfy(s -> assertThat(part(s, east, "shop", "web")).isSameAs(eastWeb));
    assertThat(mesh.clusters()).extracting(ClusterSpec::id).containsExactly(east.clusterId(), west.clusterId());
  }

  @Test
  void removedClusterLeavesWithItsServicesAndHealth() {
    mesh = TestMesh.start(TestMesh.fast(), east.spec(), west.spec());
    var before = await(mesh, "web from both", has(east, "shop", "web").and(has(west, "shop", "web")));
    ClusterService eastWeb = part(before, east, "shop", "web");

    mesh.setClusters(List.of(east.spec())).join();

    var after = await(mesh, "west gone", lacks(west, "shop", "web"));
    assertThat(after.clusters().keySet()).containsExactly(east.clusterId());
    assertThat(part(after, east, "shop", "web")).isSameAs(eastWeb);
    assertThat(after.changes()).extracting(MeshSnapshot.Change::cluster).containsOnly(west.clusterId());
  }

  @Test
  void changedClusterIsRestartedWithItsNewSpec() {
    mesh = TestMesh.start(TestMesh.fast(), east.spec(), west.spec());
    await(mesh, "west's web", has(west, "shop", "web"));

    mesh.setClusters(List.of(east.spec(), west.spec(Reachability.CLUSTER_IP))).join();

    var after = await(mesh, "west answering its clusterIP", s -> part(s, west, "shop", "web") != null
        && part(s, west, "shop", "web").endpoints().get(0).address().getHostAddress().equals("10.96.0.10"));
    assertThat(part(after, east, "shop", "web").endpoints().get(0).address().getHostAddress()).isEqualTo("10.10.1.1");
  }

  @Test
  void aClusterIdConfiguredTwiceIsRefused() {
    mesh = new MeshWatcher(TestMesh.fast());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> mesh.setClusters(List.of(east.spec(), east.spec())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'east' is configured twice");
  }
}
