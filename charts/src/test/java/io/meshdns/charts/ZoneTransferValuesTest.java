package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.meshdns.core.Cidr;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Zone transfers in the chart: the TSIG key comes from a Kubernetes Secret, mounted where the config reads it. */
class ZoneTransferValuesTest {
    private static Rendered chart;

    @BeforeAll
    static void render() {
        chart = MeshdnsChart.template("values-transfer.yaml");
    }

    private static PodSpec pod() {
        return chart.deployment().getSpec().getTemplate().getSpec();
    }

    @Test
    void theTsigSecretIsMountedAsOneFileNamedByTheKey() {
        Volume tsig = pod().getVolumes().stream()
                .filter(v -> v.getName().equals("tsig"))
                .findFirst()
                .orElseThrow();
        var source = tsig.getProjected().getSources().get(0).getSecret();

        assertThat(source.getName()).isEqualTo("meshdns-tsig");
        assertThat(source.getItems()).singleElement().satisfies(item -> {
            assertThat(item.getKey()).isEqualTo("secret");
            assertThat(item.getPath()).isEqualTo("meshdns-xfr");
        });
        assertThat(pod().getContainers().get(0).getVolumeMounts())
                .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/meshdns/tsig"));
    }

    @Test
    void theRenderedConfigReadsTheMountedSecretAndLoadsInMeshdns(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("meshdns-xfr"), Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        // Where the pod has the Secret mounted, the test has the same file.
        Path file = tmp.resolve("config.yaml");
        Files.writeString(file, chart.configText().replace("/etc/meshdns/tsig/", tmp.toAbsolutePath() + "/"));
        ServerConfig config = ConfigLoader.load(file);

        assertThat(config.axfr().allow()).extracting(Cidr::text).containsExactly("192.0.2.0/24");
        assertThat(config.axfr().tsig()).singleElement().satisfies(k -> {
            assertThat(k.name()).isEqualTo("meshdns-xfr");
            assertThat(k.algorithm()).isEqualTo("hmac-sha256");
            assertThat(k.secretBytes()).hasSize(32);
        });
        assertThat(config.axfr().notifyTo())
                .containsExactly(new InetSocketAddress("192.0.2.10", 53), new InetSocketAddress("192.0.2.11", 5353));
        assertThat(config.axfr().journal().depth()).isEqualTo(20);
        assertThat(chart.configText())
                .contains("secretFile: /etc/meshdns/tsig/meshdns-xfr")
                .doesNotContain("AAAA");
    }
}
