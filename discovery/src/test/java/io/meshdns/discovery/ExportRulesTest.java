package io.meshdns.discovery;

import static io.meshdns.discovery.MockCluster.annotated;
import static io.meshdns.discovery.MockCluster.readySlice;
import static io.meshdns.discovery.MockCluster.service;
import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.awaitSynced;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.lacks;
import static io.meshdns.discovery.TestMesh.part;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which services are global: ServiceExport, the annotation, exportAll; namespace sameness across clusters. */
class ExportRulesTest {
  @TempDir
  Path dir;

  MockCluster east;
  MockCluster west;
  MeshWatcher mesh;

  @BeforeEach
  void startClusters() {
    east = MockCluster.start("east", dir);
    west = MockCluster.start("west", dir);
    for (MockCluster c : new MockCluster[] {east, west}) {
      c.namespace("shop");
    }
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
  void serviceExportCreatedAfterTheServiceExportsItAndDeletingItUnexportsIt() {
    east.installServiceExportCrd();
    east.create(service("shop", "cart", "10.96.0.11").build());
    east.create(readySlice("shop", "cart", "cart-1", "10.10.2.1"));
    mesh = TestMesh.start(TestMesh.fast(), east.spec());
    var synced = awaitSynced(mesh, east);
    assertThat(part(synced, east, "shop", "cart")).as("not exported yet").isNull();

    east.export("shop", "cart");
    var exported = await(mesh, "cart exported by its ServiceExport", has(east, "shop", "cart"));
    assertThat(part(exported, east, "shop", "cart").endpoints()).extracting(e -> e.address().getHostAddress())
        .containsExactly("10.10.2.1");

    east.unexport("shop", "cart");
    await(mesh, "cart unexported", lacks(east, "shop", "cart"));

    east.export("shop", "cart");
    await(mesh, "cart exported again", has(east, "shop", "cart"));
  }

  @Test
  void serviceExportCrdInstalledAfterStartIsPickedUp() {
    east.create(service("shop", "cart", "10.96.0.11").build());
    east.create(readySlice("shop", "cart", "cart-1", "10.10.2.1"));
    mesh = TestMesh.start(TestMesh.fast(), east.spec());
    awaitSynced(mesh, east);

    east.installServiceExportCrd();
    east.export("shop", "cart");
    await(mesh, "cart exported once the CRD appeared", has(east, "shop", "cart"));
  }

  @Test
  void removingTheServiceExportCrdUnexportsWhatOnlyItExported() {
    east.installServiceExportCrd();
    east.create(service("shop", "cart", "10.96.0.11").build());
    east.create(annotated("shop", "web", "10.96.0.10"));
    east.export("shop", "cart");
    mesh = TestMesh.start(TestMesh.fast(), east.spec());
    await(mesh, "cart exported", has(east, "shop", "cart").and(has(east, "shop", "web")));

    east.removeServiceExportCrd();
    var after = await(mesh, "cart unexported with its CRD", lacks(east, "shop", "cart"));
    assertThat(part(after, east, "shop", "web")).as("annotated web stays").isNotNull();
  }

  @Test
  void serviceExportsAnswering404AfterTheCrdIsRemovedAreDroppedAtOnceNotAtTheNextPeriodicLook() {
    east.installServiceExportCrd();
    east.create(service("shop", "cart", "10.96.0.11").build());
    east.export("shop", "cart");
    east.stallNextWatchOf("serviceexports");
    mesh = TestMesh.start(TestMesh.fast().withExportsRecheck(java.time.Duration.ofMinutes(10)), east.spec());
    await(mesh, "cart exported", has(east, "shop", "cart"));

    // The CRD goes: its objects' URLs answer 404, and the watch on them ends.
    east.removeServiceExportCrd();
    east.answer("serviceexports", 404);
    east.expireStalledWatches();

    var after = await(mesh, "cart unexported", lacks(east, "shop", "cart"));
    assertThat(after.clusters().get(east.clusterId()).state()).isEqualTo(ClusterState.SYNCED);
  }

  @Test
  void annotationExportsAService() {
    east.create(annotated("shop", "web", "10.96.0.10"));
    east.create(service("shop", "internal", "10.96.0.12").build());
    mesh = TestMesh.start(TestMesh.fast(), east.spec());
    var s = await(mesh, "web exported", has(east, "shop", "web"));
    assertThat(part(s, east, "shop", "internal")).isNull();
  }

  @Test
  void exportAllExportsEverythingButKubeSystemAndServicesThatOptOut() {
    east.namespace("kube-system");
    east.create(service("shop", "web", "10.96.0.10").build());
    east.create(service("shop", "secret", "10.96.0.13").editMetadata()
        .addToAnnotations(ServiceMapper.EXPORT_ANNOTATION, "false").endMetadata().build());
    east.create(service("kube-system", "kube-dns", "10.96.0.53").build());
    mesh = TestMesh.start(TestMesh.fast().withExportAll(true), east.spec());
    var s = await(mesh, "web exported by exportAll", has(east, "shop", "web"));
    awaitSynced(mesh, east);
    assertThat(s.services().keySet()).containsExactly(ServiceKey.of("shop", "web"));
  }

  @Test
  void sameNamespaceAndNameInTwoClustersIsOneGlobalService() {
    east.create(annotated("shop", "web", "10.96.0.10"));
    east.create(readySlice("shop", "web", "web-1", "10.10.1.1"));
    west.installServiceExportCrd();
    west.create(service("shop", "web", "10.97.0.10").build());
    west.create(readySlice("shop", "web", "web-1", "10.20.1.1"));
    west.export("shop", "web");
    mesh = TestMesh.start(TestMesh.fast(), east.spec(), west.spec());
    var s = await(mesh, "web from both clusters", has(east, "shop", "web").and(has(west, "shop", "web")));
    GlobalService web = s.service(ServiceKey.of("shop", "web"));
    assertThat(web.byCluster().keySet()).containsExactly(east.clusterId(), west.clusterId());
    assertThat(web.endpoints()).extracting(e -> e.address().getHostAddress()).containsExactly("10.10.1.1", "10.20.1.1");
  }
}
