package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.server.MeshdnsServer;
import io.meshdns.server.cli.DemoMesh;
import io.meshdns.server.config.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The chart's output run for real: the rendered config and the kubeconfig files laid out as the pod
 * would see them (under a temp dir standing for the container's root), served by meshdns against the
 * demo mesh's two mock API servers, and queried over DNS.
 */
class RenderedConfigServesDnsTest {

    @Test
    void meshdnsStartedFromTheRenderedPodFilesAnswersFromBothRemoteClusters(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("pod");
        int dnsPort = freePort();
        Rendered chart = MeshdnsChart.template(Map.of(
                "inCluster.enabled",
                false,
                "clusters[0].id",
                "east",
                "clusters[1].id",
                "west",
                "containerPorts.dns",
                dnsPort,
                "containerPorts.http",
                freePort(),
                "containerPorts.admin",
                freePort(),
                "config.dns.bind",
                "127.0.0.1"));

        DemoMesh demo = DemoMesh.start(tmp.resolve("demo"));
        try {
            mountVolumes(chart, root, demo);
            // `serve --config FILE`, FILE as the container's args name it.
            Path podConfigFile = Path.of(chart.deployment()
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getContainers()
                    .get(0)
                    .getArgs()
                    .get(2));
            ServerConfig config = chart.loadConfig(inPod(root, podConfigFile));
            List<ClusterSpec> specs = config.clusterSpecs(podConfigFile.getParent()).stream()
                    .map(s -> new ClusterSpec(s.id(), inPod(root, s.kubeconfig()), s.context(), s.reachability()))
                    .toList();

            try (MeshdnsServer server = MeshdnsServer.start(config, specs)) {
                assertThat(server.dnsAddress().getPort()).isEqualTo(dnsPort);
                assertThat(server.mesh().await(readyEndpoints(ServiceKey.of("shop", "web"), 5), Duration.ofSeconds(30)))
                        .as("both clusters synced through the mounted kubeconfigs")
                        .isTrue();
                for (boolean tcp : List.of(false, true)) {
                    assertThat(ask(dnsPort, "web.shop.svc.clusterset.local.", tcp))
                            .as(tcp ? "TCP" : "UDP")
                            .containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2");
                }
            }
        } finally {
            closeDemo(demo);
        }
    }

    /**
     * Fills the kubeconfig volume as Kubernetes would: each Secret item (here: the demo cluster's
     * kubeconfig, the item's path being the cluster id) at mount path + item path.
     */
    private static void mountVolumes(Rendered chart, Path root, DemoMesh demo) throws IOException {
        var pod = chart.deployment().getSpec().getTemplate().getSpec();
        for (VolumeMount mount : pod.getContainers().get(0).getVolumeMounts()) {
            Volume volume = pod.getVolumes().stream()
                    .filter(v -> v.getName().equals(mount.getName()))
                    .findFirst()
                    .orElseThrow();
            if (volume.getProjected() == null) {
                continue;
            }
            Path dir = Files.createDirectories(inPod(root, Path.of(mount.getMountPath())));
            for (VolumeProjection source : volume.getProjected().getSources()) {
                for (KeyToPath item : source.getSecret().getItems()) {
                    Files.copy(demo.cluster(item.getPath()).kubeconfig(), dir.resolve(item.getPath()));
                }
            }
        }
    }

    private static Path inPod(Path root, Path absolute) {
        return absolute == null
                ? null
                : root.resolve(Path.of("/").relativize(absolute).toString());
    }

    private static Predicate<MeshSnapshot> readyEndpoints(ServiceKey key, int ready) {
        return snapshot -> {
            GlobalService service = snapshot.service(key);
            return service != null
                    && service.endpoints().stream().filter(Endpoint::ready).count() == ready;
        };
    }

    private static List<String> ask(int port, String name, boolean tcp) throws Exception {
        SimpleResolver resolver = new SimpleResolver(new InetSocketAddress("127.0.0.1", port));
        resolver.setTimeout(Duration.ofSeconds(2));
        resolver.setTCP(tcp);
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        for (int attempt = 1; ; attempt++) {
            try {
                return resolver.send(query).getSection(Section.ANSWER).stream()
                        .map(Record::rdataToString)
                        .toList();
            } catch (IOException timedOut) {
                if (tcp || attempt == 3) {
                    throw timedOut;
                }
                // A UDP packet lost on a busy machine: ask again, as a stub resolver would.
            }
        }
    }

    /**
     * The mock API servers sometimes exceed their own shutdown timeout on a loaded machine while closing
     * the watches meshdns just dropped; that is cleanup of the test's fixtures, not the behaviour under test.
     */
    private static void closeDemo(DemoMesh demo) {
        try {
            demo.close();
        } catch (IllegalStateException slowShutdown) {
            System.err.println("demo mesh shutdown: " + slowShutdown.getMessage());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
