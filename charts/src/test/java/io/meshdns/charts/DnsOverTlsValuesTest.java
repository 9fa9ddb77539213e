package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.meshdns.server.config.ServerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DNS over TLS in the chart: the Secret mounted where the config names its files, port 853 exposed. */
class DnsOverTlsValuesTest {
    static final Map<String, Object> TLS = Map.of("tls.enabled", true, "tls.secretName", "meshdns-tls");

    @Test
    void theConfigNamesTheFilesOfTheMountedSecret(@TempDir Path tmp) {
        Rendered chart = MeshdnsChart.template(TLS);

        ServerConfig.Tls tls =
                chart.loadConfig(tmp.resolve("config.yaml")).dns().tls();
        assertThat(tls.enabled()).isTrue();
        assertThat(tls.port()).isEqualTo(8853);
        assertThat(tls.clientCaFile()).isNull();
        var pod = chart.deployment().getSpec().getTemplate().getSpec();
        Volume volume = pod.getVolumes().stream()
                .filter(v -> v.getName().equals("tls"))
                .findFirst()
                .orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("meshdns-tls");
        assertThat(volume.getSecret().getItems())
                .extracting(i -> i.getKey() + "->" + i.getPath())
                .containsExactly("tls.crt->tls.crt", "tls.key->tls.key");
        Container meshdns = pod.getContainers().get(0);
        VolumeMount mount = meshdns.getVolumeMounts().stream()
                .filter(m -> m.getName().equals("tls"))
                .findFirst()
                .orElseThrow();
        assertThat(mount.getSubPath())
                .as("a subPath mount would never see a renewed certificate")
                .isNull();
        assertThat(tls.certFile()).isEqualTo(mount.getMountPath() + "/tls.crt");
        assertThat(tls.keyFile()).isEqualTo(mount.getMountPath() + "/tls.key");
        assertThat(meshdns.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("dns-tls");
            assertThat(p.getContainerPort()).isEqualTo(8853);
            assertThat(p.getProtocol()).isEqualTo("TCP");
        });
    }

    @Test
    void theServiceExposes853ToTheTlsPort() {
        Service service = MeshdnsChart.template(TLS).named(Service.class, "meshdns");

        assertThat(service.getSpec().getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("dns-tls");
            assertThat(p.getPort()).isEqualTo(853);
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("dns-tls");
            assertThat(p.getProtocol()).isEqualTo("TCP");
        });
    }

    @Test
    void aClientCaKeyTurnsOnMutualTlsFromTheSameSecretByDefault(@TempDir Path tmp) {
        Rendered chart = MeshdnsChart.template(Map.of(
                "tls.enabled",
                true,
                "tls.secretName",
                "meshdns-tls",
                "tls.clientCA.key",
                "ca.crt",
                "networkPolicy.enabled",
                true));

        assertThat(chart.loadConfig(tmp.resolve("config.yaml")).dns().tls().clientCaFile())
                .isEqualTo("/etc/meshdns/client-ca/ca.crt");
        Volume volume = chart.deployment().getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals("client-ca"))
                .findFirst()
                .orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("meshdns-tls");
        assertThat(chart.one(NetworkPolicy.class).getSpec().getIngress().get(0).getPorts())
                .anySatisfy(p -> assertThat(p.getPort().getIntVal()).isEqualTo(8853));
    }

    @Test
    void everyAnswerToAnEdnsQueryIsPaddedByDefaultAndOnlyRequestedOnesWhenSoSet(@TempDir Path tmp) {
        assertThat(MeshdnsChart.template(TLS)
                        .loadConfig(tmp.resolve("a/config.yaml"))
                        .dns()
                        .tls()
                        .padsEveryEdnsAnswer())
                .isTrue();
        Rendered requested = MeshdnsChart.template(
                Map.of("tls.enabled", true, "tls.secretName", "meshdns-tls", "tls.padding", "requested"));
        assertThat(requested
                        .loadConfig(tmp.resolve("b/config.yaml"))
                        .dns()
                        .tls()
                        .padsEveryEdnsAnswer())
                .isFalse();
    }

    @Test
    void aPaddingModeOtherThanTheTwoIsRejectedBySchema() {
        assertThatThrownBy(() -> MeshdnsChart.template(
                        Map.of("tls.enabled", true, "tls.secretName", "meshdns-tls", "tls.padding", "off")))
                .hasMessageContaining("/tls/padding");
    }

    @Test
    void offByDefault() {
        Rendered chart = MeshdnsChart.template(Map.of());

        assertThat(chart.configText()).doesNotContain("tls");
        assertThat(chart.named(Service.class, "meshdns").getSpec().getPorts())
                .extracting(p -> p.getName())
                .doesNotContain("dns-tls");
    }

    @Test
    void tlsWithoutASecretFailsNamingTheValue() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("tls.enabled", true)))
                .hasMessageContaining("tls.enabled needs tls.secretName");
    }

    @Test
    void aTlsPortEqualToTheDnsPortFails() {
        assertThatThrownBy(() -> MeshdnsChart.template(
                        Map.of("tls.enabled", true, "tls.secretName", "s", "containerPorts.dot", 5353)))
                .hasMessageContaining("containerPorts.dot (5353) must differ");
    }
}
