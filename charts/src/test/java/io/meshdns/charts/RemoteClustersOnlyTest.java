package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.meshdns.server.config.ServerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** meshdns in a cluster it does not watch: it needs no access to that cluster's API at all. */
class RemoteClustersOnlyTest {
    private static Rendered chart;

    @BeforeAll
    static void render() {
        chart = MeshdnsChart.template(Map.of("inCluster.enabled", false, "clusters[0].id", "east"));
    }

    @Test
    void noClusterRoleIsGranted() {
        assertThat(chart.kinds()).doesNotContain("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
    }

    @Test
    void noServiceAccountTokenIsMounted() {
        assertThat(chart.deployment().getSpec().getTemplate().getSpec().getAutomountServiceAccountToken())
                .isFalse();
        assertThat(chart.one(ServiceAccount.class).getAutomountServiceAccountToken())
                .isFalse();
    }

    @Test
    void configWatchesOnlyTheRemoteCluster(@TempDir Path tmp) {
        ServerConfig config = chart.loadConfig(tmp.resolve("config.yaml"));

        assertThat(config.clusterSpecs(Path.of("/etc/meshdns/config")))
                .singleElement()
                .satisfies(spec -> {
                    assertThat(spec.id().value()).isEqualTo("east");
                    assertThat(spec.kubeconfig()).isEqualTo(Path.of("/etc/meshdns/kubeconfigs/east"));
                });
    }
}
