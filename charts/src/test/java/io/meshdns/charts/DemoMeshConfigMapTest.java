package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart for the demo mesh's two clusters (values-demo-mesh.yaml). Its ConfigMap is also written
 * out, one file per data key as the pod's config volume holds it, to target/demo-mesh-config/: the
 * image check (.ci/e2e-image.sh) runs `serve --config` on exactly that file inside the image.
 */
class DemoMeshConfigMapTest {
    private static final Path OUT =
            MeshdnsChart.DIR.toAbsolutePath().resolveSibling("target").resolve("demo-mesh-config");
    private static final Path CONFIG_DIR = Path.of("/etc/meshdns/config");

    @Test
    void configMapWatchesEastAndWestThroughTheMountedKubeconfigsOnLoopback() throws IOException {
        Rendered chart = MeshdnsChart.template("values-demo-mesh.yaml");
        Map<String, String> data = chart.one(ConfigMap.class).getData();
        Files.createDirectories(OUT);
        for (Map.Entry<String, String> file : data.entrySet()) {
            Files.writeString(OUT.resolve(file.getKey()), file.getValue());
        }

        assertThat(data).containsOnlyKeys("config.yaml");
        assertThat(chart.deployment()
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getArgs())
                .containsExactly(
                        "serve", "--config", CONFIG_DIR.resolve("config.yaml").toString());
        ServerConfig config = ConfigLoader.load(OUT.resolve("config.yaml"));
        assertThat(config.dns().bind().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(config.http().bind().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(config.clusterSpecs(CONFIG_DIR))
                .extracting(s -> s.id().value(), ClusterSpec::kubeconfig)
                .containsExactly(
                        tuple("east", Path.of("/etc/meshdns/kubeconfigs/east")),
                        tuple("west", Path.of("/etc/meshdns/kubeconfigs/west")));
    }
}
