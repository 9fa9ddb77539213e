package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.meshdns.core.Cidr;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import io.meshdns.server.config.ServerConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `helm template` with a hub cluster (in-cluster) and two remote clusters, every optional object on. */
class ThreeClustersTest {
    private static Rendered chart;

    @BeforeAll
    static void render() {
        chart = MeshdnsChart.template(MeshdnsChart.THREE_CLUSTERS);
    }

    private static PodSpec pod() {
        return chart.deployment().getSpec().getTemplate().getSpec();
    }

    @Test
    void rendersTheOptionalObjects() {
        assertThat(chart.kinds())
                .containsExactly(
                        "ClusterRole",
                        "ClusterRoleBinding",
                        "ConfigMap",
                        "ConfigMap",
                        "Deployment",
                        "HorizontalPodAutoscaler",
                        "NetworkPolicy",
                        "PodDisruptionBudget",
                        "PrometheusRule",
                        "Service",
                        "Service",
                        "ServiceAccount",
                        "ServiceMonitor");
    }

    @Test
    void renderedConfigLoadsInMeshdnsWithAllThreeClusters(@TempDir Path tmp) {
        ServerConfig config = chart.loadConfig(tmp.resolve("etc/meshdns/config/config.yaml"));

        assertThat(config.zone()).isEqualTo("mesh.example.org");
        assertThat(config.ttl()).isEqualTo(10);
        assertThat(config.staleAfter()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.exportAll()).isTrue();
        assertThat(config.reverseZones()).extracting(Cidr::text).containsExactly("192.168.0.0/16");
        assertThat(config.nameservers()).singleElement().satisfies(ns -> {
            assertThat(ns.name()).isEqualTo("ns1.mesh.example.org");
            assertThat(ns.addresses()).extracting(InetAddress::getHostAddress).containsExactly("192.0.2.53");
        });
        assertThat(config.axfr().allow()).extracting(Cidr::text).containsExactly("192.0.2.0/24");
        assertThat(config.dns().cache()).isEqualTo(32L << 20);
        assertThat(config.dns().tcpQueryTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.dns().maxTcpConnectionsPerSource()).isEqualTo(50);
        assertThat(config.dns().maxTcpPendingOutputPerConnection()).isEqualTo(32L << 10);
        assertThat(config.dns().maxTcpPendingOutput()).isEqualTo(16L << 20);
        assertThat(List.of(
                        config.dns().rateLimit().responsesPerSecond(),
                        config.dns().rateLimit().slip()))
                .containsExactly(200, 2);
        assertThat(config.dns().rateLimit().window()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.dns().chaos().version()).isEqualTo("meshdns");
        assertThat(config.dns().chaos().id()).isNull();
        assertThat(config.http().limits())
                .isEqualTo(new ServerConfig.HttpConnectionLimits(
                        "http", 512, 32, Duration.ofSeconds(3), Duration.ofSeconds(30)));
        assertThat(config.loadBalancing().policy().configName()).isEqualTo("weighted");
        assertThat(config.loadBalancing().maxAnswers()).isEqualTo(4);
        assertThat(config.loadBalancing().zones())
                .singleElement()
                .satisfies(
                        z -> assertThat(List.of(z.cidr().text(), z.zone())).containsExactly("10.10.1.0/24", "hub-a"));
        assertThat(config.clusters())
                .extracting(
                        ServerConfig.Cluster::id,
                        ServerConfig.Cluster::inCluster,
                        ServerConfig.Cluster::context,
                        c -> c.reachability().stream()
                                .map(Reachability::configName)
                                .toList(),
                        ServerConfig.Cluster::weight,
                        ServerConfig.Cluster::priority,
                        c -> c.sourceCidrs().stream().map(Cidr::text).toList())
                .containsExactly(
                        tuple("hub", true, null, List.of("pod"), 2, 0, List.of("10.10.0.0/16")),
                        tuple(
                                "east",
                                false,
                                "east-reader",
                                List.of("pod", "clusterIP"),
                                1,
                                1,
                                List.of("10.20.0.0/16", "fd00:20::/64")),
                        tuple("west", false, null, List.of("loadBalancer"), 1, 2, List.of()));
    }

    @Test
    void eachClustersReverseNetworksReachTheConfigAndOnlyTheOtherClustersDelegateThem(@TempDir Path tmp) {
        ServerConfig config = chart.loadConfig(tmp.resolve("etc/meshdns/config/config.yaml"));

        assertThat(config.clusters())
                .extracting(
                        ServerConfig.Cluster::id,
                        c -> c.reverseZones().stream().map(Cidr::text).toList())
                .containsExactly(
                        tuple("hub", List.of("10.10.0.0/16", "10.96.0.0/16")),
                        tuple("east", List.of("10.20.0.0/16", "fd00:20::/64")),
                        tuple("west", List.of()));
        assertThat(config.reverseZonesDelegatedBy("hub"))
                .extracting(Cidr::text)
                .containsExactly("192.168.0.0/16", "10.20.0.0/16", "fd00:20::/64");
        assertThat(config.reverseZonesDelegatedBy("west"))
                .extracting(Cidr::text)
                .containsExactly("192.168.0.0/16", "10.10.0.0/16", "10.96.0.0/16", "10.20.0.0/16", "fd00:20::/64");
    }

    @Test
    void eachRemoteClustersKubeconfigIsMountedFromItsSecretWhereMeshdnsReadsIt(@TempDir Path tmp) {
        ServerConfig config = chart.loadConfig(tmp.resolve("etc/meshdns/config/config.yaml"));
        // Resolved against "/" the paths are the pod's: the config's kubeconfigDir is absolute.
        Map<String, ClusterSpec> specs = new HashMap<>();
        config.clusterSpecs(Path.of("/etc/meshdns/config")).forEach(s -> specs.put(s.id().value(), s));

        Map<Path, String> mountedFiles = new HashMap<>();
        Container meshdns = pod().getContainers().get(0);
        for (VolumeMount mount : meshdns.getVolumeMounts()) {
            Volume volume = pod().getVolumes().stream()
                    .filter(v -> v.getName().equals(mount.getName()))
                    .findFirst()
                    .orElseThrow();
            if (volume.getProjected() == null) {
                continue;
            }
            for (VolumeProjection source : volume.getProjected().getSources()) {
                for (KeyToPath item : source.getSecret().getItems()) {
                    mountedFiles.put(
                            Path.of(mount.getMountPath(), item.getPath()),
                            source.getSecret().getName() + "/" + item.getKey());
                }
            }
        }

        assertThat(specs.get("hub").inCluster()).isTrue();
        assertThat(mountedFiles)
                .containsOnly(
                        Map.entry(specs.get("east").kubeconfig(), "east-reader-kubeconfig/config"),
                        Map.entry(specs.get("west").kubeconfig(), "meshdns-kubeconfig-west/kubeconfig"));
        assertThat(specs.get("west").reachability()).containsExactly(Reachability.LOAD_BALANCER);
        assertThat(specs.get("east").reachability()).containsExactly(Reachability.POD, Reachability.CLUSTER_IP);
    }

    @Test
    void kubeconfigsAreReadOnlyAndReadableByThePodsGroupOnly() {
        Volume kubeconfigs = pod().getVolumes().stream()
                .filter(v -> v.getName().equals("kubeconfigs"))
                .findFirst()
                .orElseThrow();
        VolumeMount mount = pod().getContainers().get(0).getVolumeMounts().stream()
                .filter(m -> m.getName().equals("kubeconfigs"))
                .findFirst()
                .orElseThrow();

        assertThat(kubeconfigs.getProjected().getDefaultMode()).isEqualTo(0440);
        assertThat(mount.getReadOnly()).isTrue();
        assertThat(pod().getSecurityContext().getFsGroup()).isNotNull();
    }

    @Test
    void chartCreatesNoSecrets() {
        assertThat(chart.all(Secret.class)).isEmpty();
    }

    @Test
    void loadBalancerServiceKeepsPort53OnFixedNodePorts() {
        Service dns = chart.named(Service.class, "meshdns");

        assertThat(dns.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(dns.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");
        assertThat(dns.getSpec().getLoadBalancerSourceRanges()).containsExactly("10.0.0.0/8");
        assertThat(dns.getSpec().getPorts())
                .extracting(ServicePort::getPort, ServicePort::getProtocol, ServicePort::getNodePort)
                .containsExactlyInAnyOrder(tuple(53, "UDP", 30053), tuple(53, "TCP", 30054));
    }

    @Test
    void networkPolicyAdmitsDnsFromAnywhereAndHttpOnlyFromTheListedPeers() {
        NetworkPolicy policy = chart.one(NetworkPolicy.class);

        assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                .isEqualTo(chart.deployment().getSpec().getSelector().getMatchLabels());
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
        assertThat(policy.getSpec().getIngress()).hasSize(2);
        var dns = policy.getSpec().getIngress().get(0);
        assertThat(dns.getPorts())
                .extracting(p -> p.getPort().getIntVal(), NetworkPolicyPort::getProtocol)
                .containsExactlyInAnyOrder(tuple(5353, "UDP"), tuple(5353, "TCP"));
        assertThat(dns.getFrom()).isNullOrEmpty();
        var http = policy.getSpec().getIngress().get(1);
        assertThat(http.getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(9153);
        assertThat(http.getFrom())
                .singleElement()
                .satisfies(peer -> assertThat(peer.getNamespaceSelector().getMatchLabels())
                        .containsEntry("kubernetes.io/metadata.name", "monitoring"));
    }

    @Test
    void serviceMonitorSelectsTheMetricsServiceOnly() {
        GenericKubernetesResource monitor = chart.custom("ServiceMonitor");
        @SuppressWarnings("unchecked")
        Map<String, String> selector = (Map<String, String>) monitor.get("spec", "selector", "matchLabels");

        assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
        assertThat(chart.all(Service.class))
                .filteredOn(s -> s.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                .extracting(s -> s.getMetadata().getName())
                .containsExactly("meshdns-metrics");
        assertThat((String) monitor.get("spec", "endpoints", 0, "port")).isEqualTo("http-metrics");
        assertThat((String) monitor.get("spec", "endpoints", 0, "path")).isEqualTo("/metrics");
    }

    @Test
    void autoscalerOwnsTheReplicaCount() {
        HorizontalPodAutoscaler hpa = chart.one(HorizontalPodAutoscaler.class);

        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getName())
                .isEqualTo(chart.deployment().getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(3);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(9);
        assertThat(chart.deployment().getSpec().getReplicas()).isNull();
    }

    @Test
    void aConfigChangeRollsThePods() {
        String here = chart.deployment()
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations()
                .get("checksum/config");
        String defaults = MeshdnsChart.template()
                .deployment()
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations()
                .get("checksum/config");

        assertThat(here).isNotBlank().isNotEqualTo(defaults);
    }
}
