package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.exported;
import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.testkit.EndpointSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A global name answers the ready pods of its service in every cluster, and follows changes live. */
class GlobalServiceAnswersTest {
    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;

    @BeforeAll
    static void start() {
        mesh = new TwoClusterMesh(kubeconfigs);
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    @Test
    void serviceExportedInBothClustersAnswersPodsFromBoth() throws Exception {
        exported(mesh.east(), "shop", "web", "10.96.0.10");
        slice(mesh.east(), "shop", "web", "web-east", pods("10.10.1.", 1, 3, true));
        exported(mesh.west(), "shop", "web", "10.97.0.10");
        slice(mesh.west(), "shop", "web", "web-west", pods("10.20.1.", 1, 2, true));

        Set<String> all = Set.of("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2");
        assertThat(mesh.udp().addressesOnce("web.shop.svc.clusterset.local", all))
                .isEqualTo(all);
        assertThat(mesh.tcp().addresses("web.shop.svc.clusterset.local")).isEqualTo(all);
    }

    @Test
    void scalingTheEndpointSliceIsVisibleWithoutRestart() throws Exception {
        exported(mesh.east(), "shop", "api", "10.96.0.20");
        slice(mesh.east(), "shop", "api", "api-east", pods("10.10.5.", 1, 2, true));
        DnsClient dns = mesh.udp();
        assertThat(dns.addressesOnce("api.shop.svc.clusterset.local", Set.of("10.10.5.1", "10.10.5.2")))
                .containsExactlyInAnyOrder("10.10.5.1", "10.10.5.2");

        slice(mesh.east(), "shop", "api", "api-east", pods("10.10.5.", 1, 4, true));
        Set<String> up = Set.of("10.10.5.1", "10.10.5.2", "10.10.5.3", "10.10.5.4");
        assertThat(dns.addressesOnce("api.shop.svc.clusterset.local", up)).isEqualTo(up);

        slice(mesh.east(), "shop", "api", "api-east", pods("10.10.5.", 4, 1, true));
        assertThat(dns.addressesOnce("api.shop.svc.clusterset.local", Set.of("10.10.5.4")))
                .containsExactly("10.10.5.4");
    }

    @Test
    void notReadyEndpointIsNeverAnswered() throws Exception {
        exported(mesh.west(), "shop", "cart", "10.97.0.30");
        List<EndpointSpec> endpoints = new ArrayList<>(pods("10.20.7.", 1, 2, true));
        endpoints.add(new EndpointSpec("10.20.7.3", false));
        slice(mesh.west(), "shop", "cart", "cart-west", endpoints);

        Set<String> ready = Set.of("10.20.7.1", "10.20.7.2");
        assertThat(mesh.udp().addressesOnce("cart.shop.svc.clusterset.local", ready))
                .isEqualTo(ready);
        // Round robin rotates the order: ask often enough to see every rotation over both transports.
        for (DnsClient dns : List.of(mesh.udp(), mesh.tcp())) {
            for (int i = 0; i < 10; i++) {
                assertThat(dns.addresses("cart.shop.svc.clusterset.local")).doesNotContain("10.20.7.3");
            }
        }
    }

    @Test
    void serviceWhosePodsAreAllNotReadyAnswersNoAddressInsteadOfTheUnreadyOnes() throws Exception {
        exported(mesh.east(), "shop", "batch", "10.96.0.40");
        slice(mesh.east(), "shop", "batch", "batch-east", pods("10.10.9.", 1, 2, false));
        mesh.server.awaitServed(
                s -> s.services().keySet().stream().anyMatch(k -> k.name().equals("batch")),
                java.time.Duration.ofSeconds(15));

        assertThat(mesh.udp().addresses("batch.shop.svc.clusterset.local")).isEmpty();
    }

    @Test
    void deletingTheServiceInOneClusterRemovesOnlyThatClustersAddresses() throws Exception {
        exported(mesh.east(), "shop", "search", "10.96.0.50");
        slice(mesh.east(), "shop", "search", "search-east", pods("10.10.8.", 1, 2, true));
        exported(mesh.west(), "shop", "search", "10.97.0.50");
        slice(mesh.west(), "shop", "search", "search-west", pods("10.20.8.", 1, 2, true));
        DnsClient dns = mesh.udp();
        Set<String> both = Set.of("10.10.8.1", "10.10.8.2", "10.20.8.1", "10.20.8.2");
        assertThat(dns.addressesOnce("search.shop.svc.clusterset.local", both)).isEqualTo(both);

        mesh.west().services().inNamespace("shop").withName("search").delete();

        Set<String> eastOnly = Set.of("10.10.8.1", "10.10.8.2");
        assertThat(dns.addressesOnce("search.shop.svc.clusterset.local", eastOnly))
                .isEqualTo(eastOnly);
    }
}
