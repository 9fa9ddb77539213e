package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DNS cookies in the chart: off by default; the secret every replica shares comes from a Kubernetes Secret. */
class DnsCookiesValuesTest {
    private static PodSpec pod(Rendered chart) {
        return chart.deployment().getSpec().getTemplate().getSpec();
    }

    @Test
    void offByDefault(@TempDir Path tmp) {
        Rendered chart = MeshdnsChart.template(Map.of());

        assertThat(chart.configText()).doesNotContain("cookies");
        assertThat(chart.loadConfig(tmp.resolve("config.yaml")).dns().cookies().enabled())
                .isFalse();
        assertThat(pod(chart).getVolumes()).extracting(Volume::getName).doesNotContain("cookie-secret");
    }

    @Test
    void theSharedSecretIsMountedWhereTheConfigReadsItAndLoadsInMeshdns(@TempDir Path tmp) throws Exception {
        Rendered chart = MeshdnsChart.template(
                Map.of("config.dns.cookies.enabled", true, "config.dns.cookies.secretName", "meshdns-cookie"));

        Volume volume = pod(chart).getVolumes().stream()
                .filter(v -> v.getName().equals("cookie-secret"))
                .findFirst()
                .orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("meshdns-cookie");
        assertThat(volume.getSecret().getItems())
                .extracting(i -> i.getKey() + "->" + i.getPath())
                .containsExactly("secret->secret");
        assertThat(pod(chart).getContainers().get(0).getVolumeMounts())
                .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/meshdns/cookie"));
        assertThat(chart.configText()).contains("secretFile: /etc/meshdns/cookie/secret");
        // Where the pod has the Secret mounted, the test has the same file.
        Files.writeString(tmp.resolve("secret"), "e5e973e5a6b2a43f48e7dc849e37bfcf\n");
        Path file = tmp.resolve("config.yaml");
        Files.writeString(file, chart.configText().replace("/etc/meshdns/cookie/", tmp.toAbsolutePath() + "/"));
        ServerConfig.Cookies cookies = ConfigLoader.load(file).dns().cookies();
        assertThat(cookies.enabled()).isTrue();
        assertThat(cookies.secrets())
                .extracting(HexFormat.of()::formatHex)
                .containsExactly("e5e973e5a6b2a43f48e7dc849e37bfcf");
    }

    @Test
    void withoutASecretEachPodMakesItsOwn(@TempDir Path tmp) {
        Rendered chart = MeshdnsChart.template(Map.of("config.dns.cookies.enabled", true));

        ServerConfig.Cookies cookies =
                chart.loadConfig(tmp.resolve("config.yaml")).dns().cookies();
        assertThat(cookies.enabled()).isTrue();
        assertThat(cookies.secretFile()).isNull();
        assertThat(pod(chart).getVolumes()).extracting(Volume::getName).doesNotContain("cookie-secret");
    }

    @Test
    void aSecretWithCookiesOffFailsNamingTheValues() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.dns.cookies.secretName", "meshdns-cookie")))
                .hasMessageContaining("config.dns.cookies.secretName is set but cookies are off");
    }
}
