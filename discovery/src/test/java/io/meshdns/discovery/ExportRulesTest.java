package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.awaitSynced;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.lacks;
import static io.meshdns.discovery.TestMesh.part;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.meshdns.core.KubernetesNames;
import org.junit.jupiter.api.Test;

/** Which services are global: ServiceExport, the annotation, exportAll; namespace sameness across clusters. */
class ExportRulesTest extends WatchedClusters {
    ExportRulesTest() {
        super(2);
    }

    @Test
    void serviceExportCreatedAfterTheServiceExportsItAndDeletingItUnexportsIt() {
        east.installServiceExportCrd();
        east.create(service("shop", "cart", "10.96.0.11", false));
        east.create(readySlice("shop", "cart", "cart-1", "10.10.2.1"));
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        var synced = awaitSynced(mesh, east);
        assertThat(part(synced, east, "shop", "cart")).as("not exported yet").isNull();

        east.export("shop", "cart");
        var exported = await(mesh, "cart exported by its ServiceExport", has(east, "shop", "cart"));
        assertThat(part(exported, east, "shop", "cart").endpoints())
                .extracting(e -> e.address().getHostAddress())
                .containsExactly("10.10.2.1");

        east.unexport("shop", "cart");
        await(mesh, "cart unexported", lacks(east, "shop", "cart"));

        east.export("shop", "cart");
        await(mesh, "cart exported again", has(east, "shop", "cart"));
    }

    @Test
    void serviceExportCrdInstalledAfterStartIsPickedUp() {
        east.create(service("shop", "cart", "10.96.0.11", false));
        east.create(readySlice("shop", "cart", "cart-1", "10.10.2.1"));
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        awaitSynced(mesh, east);

        east.installServiceExportCrd();
        east.export("shop", "cart");
        await(mesh, "cart exported once the CRD appeared", has(east, "shop", "cart"));
    }

    @Test
    void removingTheServiceExportCrdUnexportsWhatOnlyItExported() {
        east.installServiceExportCrd();
        east.create(service("shop", "cart", "10.96.0.11", false));
        east.create(service("shop", "web", "10.96.0.10", true));
        east.export("shop", "cart");
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        await(mesh, "cart exported", has(east, "shop", "cart").and(has(east, "shop", "web")));

        east.removeServiceExportCrd();
        var after = await(mesh, "cart unexported with its CRD", lacks(east, "shop", "cart"));
        assertThat(part(after, east, "shop", "web")).as("annotated web stays").isNotNull();
    }

    @Test
    void serviceExportsAnswering404AfterTheCrdIsRemovedAreDroppedAtOnceNotAtTheNextPeriodicLook() {
        east.installServiceExportCrd();
        east.create(service("shop", "cart", "10.96.0.11", false));
        east.export("shop", "cart");
        east.stallNextWatchOf("serviceexports");
        mesh = TestMesh.start(TestMesh.fast().withExportsRecheck(java.time.Duration.ofMinutes(10)), spec(east));
        await(mesh, "cart exported", has(east, "shop", "cart"));

        // The CRD goes: its objects' URLs answer 404, and the watch on them ends.
        east.removeServiceExportCrd();
        east.answer("serviceexports", 404);
        east.expireStalledWatches();

        var after = await(mesh, "cart unexported", lacks(east, "shop", "cart"));
        assertThat(after.clusters().get(clusterId(east)).state()).isEqualTo(ClusterState.SYNCED);
    }

    @Test
    void annotationExportsAService() {
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(service("shop", "internal", "10.96.0.12", false));
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        var s = await(mesh, "web exported", has(east, "shop", "web"));
        assertThat(part(s, east, "shop", "internal")).isNull();
    }

    @Test
    void exportAllExportsEverythingButKubeSystemAndServicesThatOptOut() {
        east.namespace("kube-system");
        east.create(service("shop", "web", "10.96.0.10", false));
        east.create(new ServiceBuilder(service("shop", "secret", "10.96.0.13", false))
                .editMetadata()
                .addToAnnotations(KubernetesNames.EXPORT_ANNOTATION, "false")
                .endMetadata()
                .build());
        east.create(service("kube-system", "kube-dns", "10.96.0.53", false));
        mesh = TestMesh.start(TestMesh.fast().withExportAll(true), spec(east));
        var s = await(mesh, "web exported by exportAll", has(east, "shop", "web"));
        awaitSynced(mesh, east);
        assertThat(s.services().keySet()).containsExactly(ServiceKey.of("shop", "web"));
    }

    @Test
    void sameNamespaceAndNameInTwoClustersIsOneGlobalService() {
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(readySlice("shop", "web", "web-1", "10.10.1.1"));
        west.installServiceExportCrd();
        west.create(service("shop", "web", "10.97.0.10", false));
        west.create(readySlice("shop", "web", "web-1", "10.20.1.1"));
        west.export("shop", "web");
        mesh = TestMesh.start(TestMesh.fast(), spec(east), spec(west));
        var s = await(mesh, "web from both clusters", has(east, "shop", "web").and(has(west, "shop", "web")));
        GlobalService web = s.service(ServiceKey.of("shop", "web"));
        assertThat(web.byCluster().keySet()).containsExactly(clusterId(east), clusterId(west));
        assertThat(web.endpoints())
                .extracting(e -> e.address().getHostAddress())
                .containsExactly("10.10.1.1", "10.20.1.1");
    }
}
