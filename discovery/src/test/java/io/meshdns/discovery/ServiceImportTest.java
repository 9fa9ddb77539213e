package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.testkit.MeshObjects;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The ClusterSetIPs of a service are those of each importing cluster's ServiceImport, as long as it exists. */
class ServiceImportTest extends WatchedClusters {
    private static final ServiceKey WEB = ServiceKey.of("shop", "web");

    ServiceImportTest() {
        super(2);
    }

    private void importWeb(String... ips) {
        west.client()
                .genericKubernetesResources(MeshObjects.SERVICE_IMPORTS)
                .resource(MeshObjects.serviceImport("shop", "web", List.of(ips)))
                .createOr(existing -> existing.update());
    }

    private Predicate<MeshSnapshot> westImports(String... ips) {
        return s -> s.service(WEB) != null
                && s.service(WEB).clusterSetIps(clusterId(west)).stream()
                        .map(InetAddress::getHostAddress)
                        .toList()
                        .equals(List.of(ips));
    }

    @Test
    void clusterSetIpsFollowTheImportingClustersServiceImport() {
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(readySlice("shop", "web", "web-1", "10.10.1.1"));
        west.installServiceImportCrd();
        importWeb("10.99.0.1");
        mesh = TestMesh.start(TestMesh.fast(), spec(east), spec(west));

        MeshSnapshot imported = await(mesh, "west's ClusterSetIP", westImports("10.99.0.1"));
        assertThat(imported.service(WEB).clusterSetIps().keySet())
                .as("west imports without exporting")
                .containsExactly(clusterId(west));
        assertThat(imported.service(WEB).byCluster().keySet()).containsExactly(clusterId(east));

        importWeb("10.99.0.2");
        await(mesh, "west's new ClusterSetIP", westImports("10.99.0.2"));

        west.client()
                .genericKubernetesResources(MeshObjects.SERVICE_IMPORTS)
                .inNamespace("shop")
                .withName("web")
                .delete();
        MeshSnapshot gone = await(mesh, "no ClusterSetIP", westImports());
        assertThat(gone.service(WEB).clusterSetIps()).isEmpty();
        assertThat(has(east, "shop", "web")).accepts(gone);
    }
}
