package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.server.config.ServerConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zone's NS record names a server that resolves: the chart fills {@code nameservers} from its own
 * Service's address unless the values give them.
 */
class NameServerValuesTest {
    @Test
    void aFixedClusterIpBecomesTheAddressOfTheDefaultNameServer(@TempDir Path tmp) {
        ServerConfig config =
                MeshdnsChart.template(Map.of("service.clusterIP", "10.96.0.53")).loadConfig(tmp.resolve("config.yaml"));

        assertThat(config.nameservers()).singleElement().satisfies(ns -> {
            assertThat(ns.name()).isEqualTo("ns.clusterset.local");
            assertThat(ns.addresses()).extracting(InetAddress::getHostAddress).containsExactly("10.96.0.53");
        });
    }

    @Test
    void aLoadBalancersIpBecomesTheAddressOfTheDefaultNameServer(@TempDir Path tmp) {
        ServerConfig config = MeshdnsChart.template(Map.of(
                        "service.type",
                        "LoadBalancer",
                        "service.loadBalancerIP",
                        "203.0.113.53",
                        "service.clusterIP",
                        "10.96.0.53",
                        "config.zone",
                        "mesh.example.org"))
                .loadConfig(tmp.resolve("config.yaml"));

        assertThat(config.nameservers()).singleElement().satisfies(ns -> {
            assertThat(ns.name()).isEqualTo("ns.mesh.example.org");
            assertThat(ns.addresses()).extracting(InetAddress::getHostAddress).containsExactly("203.0.113.53");
        });
    }

    @Test
    void nameServersGivenInTheValuesAreUsedAsTheyAre(@TempDir Path tmp) {
        ServerConfig config = MeshdnsChart.template(
                        Map.of("service.clusterIP", "10.96.0.53", "config.nameservers[0].name", "ns1.example.net"))
                .loadConfig(tmp.resolve("config.yaml"));

        assertThat(config.nameservers()).singleElement().satisfies(ns -> {
            assertThat(ns.name()).isEqualTo("ns1.example.net");
            assertThat(ns.addresses()).isEmpty();
        });
    }

    /** helm template sees no installed Service: without a fixed IP, meshdns's own default (ns.<zone>) applies. */
    @Test
    void withoutAnAddressToUseTheConfigLeavesNameServersToMeshdns() {
        assertThat(MeshdnsChart.template(Map.of()).configText()).doesNotContain("nameservers");
    }
}
