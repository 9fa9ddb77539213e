package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Volume;
import io.meshdns.server.config.ServerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status page's API opened beyond loopback: only with the bearer token from a Secret. */
class AdminTokenValuesTest {
    static final Map<String, Object> WIDE =
            Map.of("config.admin.bind", "0.0.0.0", "adminToken.secretName", "meshdns-admin-token");

    @Test
    void tokenSecretIsMountedAndNamedInTheConfig(@TempDir Path tmp) {
        Rendered chart = MeshdnsChart.template(WIDE);

        Volume volume = chart.deployment().getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals("admin-token"))
                .findFirst()
                .orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("meshdns-admin-token");
        Container meshdns = chart.deployment()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(meshdns.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("admin-token");
            assertThat(m.getMountPath()).isEqualTo("/etc/meshdns/admin-token");
            assertThat(m.getReadOnly()).isTrue();
        });
        ServerConfig config = chart.loadConfig(tmp.resolve("config.yaml"));
        assertThat(config.admin().bind().getHostAddress()).isEqualTo("0.0.0.0");
        assertThat(config.admin().tokenFile()).isEqualTo("/etc/meshdns/admin-token/token");
    }

    @Test
    void notesNameTheTokenSecret() {
        String notes = MeshdnsChart.installDryRun(java.util.List.of(), WIDE);

        assertThat(notes)
                .contains("bound to 0.0.0.0; /api/* needs the")
                .contains("bearer token in Secret meshdns-admin-token, key token");
    }

    @Test
    void noTokenSecretMeansNoMountAndNoAdminContainerPort() {
        Rendered chart = MeshdnsChart.template(Map.of());

        assertThat(chart.deployment().getSpec().getTemplate().getSpec().getVolumes())
                .extracting(Volume::getName)
                .doesNotContain("admin-token");
        assertThat(chart.deployment()
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getPorts())
                .extracting(p -> p.getName())
                .doesNotContain("admin");
    }
}
