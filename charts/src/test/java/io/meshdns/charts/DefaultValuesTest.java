package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.server.config.ServerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `helm template` with the chart's own values: a two-replica meshdns watching the cluster it runs in. */
class DefaultValuesTest {
    private static Rendered chart;

    @BeforeAll
    static void render() {
        chart = MeshdnsChart.template();
    }

    @Test
    void rendersTheCoreObjectsAndNoOptionalOnes() {
        assertThat(chart.kinds())
                .containsExactly(
                        "ClusterRole",
                        "ClusterRoleBinding",
                        "ConfigMap",
                        "Deployment",
                        "PodDisruptionBudget",
                        "Service",
                        "Service",
                        "ServiceAccount");
    }

    @Test
    void clusterRoleGrantsOnlyReadsOfWhatDiscoveryWatchesAndGetOnTheCrdsAndClusterIdByName() {
        List<PolicyRule> rules = chart.one(ClusterRole.class).getRules();

        assertThat(rules)
                .extracting(PolicyRule::getApiGroups, PolicyRule::getResources, PolicyRule::getVerbs)
                .containsExactlyInAnyOrder(
                        tuple(List.of(""), List.of("services"), List.of("get", "list", "watch")),
                        tuple(List.of("discovery.k8s.io"), List.of("endpointslices"), List.of("get", "list", "watch")),
                        tuple(
                                List.of("multicluster.x-k8s.io"),
                                List.of("serviceexports", "serviceimports"),
                                List.of("get", "list", "watch")),
                        tuple(List.of("apiextensions.k8s.io"), List.of("customresourcedefinitions"), List.of("get")),
                        tuple(List.of("about.k8s.io"), List.of("clusterproperties"), List.of("get")));
        // The CRD rule names the two CRDs discovery reads to know whether ServiceExports and ServiceImports
        // exist, the ClusterProperty rule the one KEP-2149 id; the others cover every object of their kind,
        // read-only.
        assertThat(rules).allSatisfy(rule -> {
            if (rule.getApiGroups().equals(List.of("apiextensions.k8s.io"))) {
                assertThat(rule.getResourceNames())
                        .containsExactly(
                                "serviceexports.multicluster.x-k8s.io", "serviceimports.multicluster.x-k8s.io");
            } else if (rule.getApiGroups().equals(List.of("about.k8s.io"))) {
                assertThat(rule.getResourceNames()).containsExactly("id.k8s.io");
            } else {
                assertThat(rule.getResourceNames()).isNullOrEmpty();
            }
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
        });
    }

    @Test
    void clusterRoleIsBoundToThePodsServiceAccount() {
        ClusterRoleBinding binding = chart.one(ClusterRoleBinding.class);
        String serviceAccount =
                chart.deployment().getSpec().getTemplate().getSpec().getServiceAccountName();

        assertThat(binding.getRoleRef().getName())
                .isEqualTo(chart.one(ClusterRole.class).getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getName()).isEqualTo(serviceAccount);
            assertThat(subject.getNamespace()).isEqualTo(MeshdnsChart.NAMESPACE);
        });
        assertThat(chart.one(ServiceAccount.class).getMetadata().getName()).isEqualTo(serviceAccount);
    }

    @Test
    void containerRunsAsNonRootOnAReadOnlyRootFilesystemWithAllCapabilitiesDropped() {
        PodSpec pod = chart.deployment().getSpec().getTemplate().getSpec();
        Container meshdns = pod.getContainers().get(0);

        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(meshdns.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(meshdns.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(meshdns.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(meshdns.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(meshdns.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(meshdns.getSecurityContext().getPrivileged()).isNull();
    }

    @Test
    void onlyTmpIsWritableBesideTheReadOnlyMounts() {
        Container meshdns = chart.deployment()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(meshdns.getVolumeMounts())
                .filteredOn(m -> !Boolean.TRUE.equals(m.getReadOnly()))
                .extracting(m -> m.getMountPath())
                .containsExactly("/tmp");
    }

    @Test
    void containerListensForDnsOnAnUnprivilegedPortOverUdpAndTcp() {
        Container meshdns = chart.deployment()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(meshdns.getPorts())
                .extracting(ContainerPort::getName, ContainerPort::getContainerPort, ContainerPort::getProtocol)
                .containsExactlyInAnyOrder(
                        tuple("dns-udp", 5353, "UDP"), tuple("dns-tcp", 5353, "TCP"), tuple("http", 9153, "TCP"));
    }

    @Test
    void dnsServiceMapsPort53OverUdpAndTcpToTheContainersDnsPorts() {
        Service dns = chart.named(Service.class, "meshdns");

        assertThat(dns.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(dns.getSpec().getPorts())
                .extracting(
                        ServicePort::getPort,
                        ServicePort::getProtocol,
                        p -> p.getTargetPort().getStrVal())
                .containsExactlyInAnyOrder(tuple(53, "UDP", "dns-udp"), tuple(53, "TCP", "dns-tcp"));
        assertThat(dns.getSpec().getSelector())
                .isEqualTo(
                        chart.deployment().getSpec().getTemplate().getMetadata().getLabels());
    }

    @Test
    void metricsServiceExposesTheHttpPortInsideTheCluster() {
        Service metrics = chart.named(Service.class, "meshdns-metrics");

        assertThat(metrics.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(metrics.getSpec().getPorts())
                .extracting(
                        ServicePort::getName,
                        ServicePort::getPort,
                        p -> p.getTargetPort().getStrVal())
                .containsExactly(tuple("http-metrics", 9153, "http"));
    }

    @Test
    void probesAskHealthzAndReadyzOnTheHttpPort() {
        Container meshdns = chart.deployment()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(meshdns.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(meshdns.getLivenessProbe().getHttpGet().getPort().getStrVal())
                .isEqualTo("http");
        assertThat(meshdns.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(meshdns.getReadinessProbe().getHttpGet().getPort().getStrVal())
                .isEqualTo("http");
    }

    @Test
    void twoReplicasPreferDifferentNodesAndOneMustStayUp() {
        var deployment = chart.deployment();
        var antiAffinity =
                deployment.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity();

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        assertThat(antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution())
                .singleElement()
                .satisfies(term -> {
                    assertThat(term.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname");
                    assertThat(term.getPodAffinityTerm().getLabelSelector().getMatchLabels())
                            .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
                });
        PodDisruptionBudget pdb = chart.one(PodDisruptionBudget.class);
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void containerHasResourceRequestsAndAMemoryLimit() {
        Container meshdns = chart.deployment()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(meshdns.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(meshdns.getResources().getLimits()).containsKey("memory");
    }

    /** The image .ci/e2e-image.sh builds and exports: meshdns:<project version without -SNAPSHOT>. */
    @Test
    void imageTagIsTheChartsAppVersion() {
        Container meshdns = chart.deployment()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(meshdns.getImage()).isEqualTo("meshdns:" + MeshdnsChart.projectRelease());
        assertThat(meshdns.getArgs()).containsExactly("serve", "--config", "/etc/meshdns/config/config.yaml");
    }

    @Test
    void anImageLoadedIntoTheNodesIsUsedWithoutAPull() {
        Container meshdns = chart.deployment()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(meshdns.getImagePullPolicy()).isEqualTo("IfNotPresent");
    }

    @Test
    void renderedConfigLoadsInMeshdnsAndWatchesThisClusterInCluster(@TempDir Path tmp) {
        ServerConfig config = chart.loadConfig(tmp.resolve("etc/meshdns/config/config.yaml"));

        assertThat(config.zone()).isEqualTo("clusterset.local");
        assertThat(config.dns().port()).isEqualTo(5353);
        assertThat(config.http().port()).isEqualTo(9153);
        assertThat(config.dns().rateLimit().enabled())
                .as("response rate limiting is off by default")
                .isFalse();
        assertThat(config.dns().maxTcpConnectionsPerSource()).isEqualTo(100);
        assertThat(config.dns().maxTcpPendingOutputPerConnection()).isEqualTo(64L << 10);
        assertThat(config.dns().maxTcpPendingOutput())
                .as("unset: an eighth of the heap")
                .isEqualTo(Runtime.getRuntime().maxMemory() / 8);
        assertThat(config.admin().bind().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(config.admin().port()).isEqualTo(9154);
        assertThat(config.admin().tokenFile()).isNull();
        assertThat(config.http().limits())
                .isEqualTo(ServerConfig.defaults().http().limits());
        assertThat(config.admin().limits())
                .isEqualTo(ServerConfig.defaults().admin().limits());
        assertThat(config.loadBalancing().policy().configName()).isEqualTo("local-first");
        assertThat(config.kubeconfigDir()).isNull();
        List<ClusterSpec> specs = config.clusterSpecs(tmp);
        assertThat(specs).singleElement().satisfies(spec -> {
            assertThat(spec.id().value()).isEqualTo("local");
            assertThat(spec.inCluster()).isTrue();
        });
    }

    @Test
    void serviceAccountTokenIsMountedForTheInClusterMode() {
        assertThat(chart.deployment().getSpec().getTemplate().getSpec().getAutomountServiceAccountToken())
                .isTrue();
        assertThat(chart.deployment().getSpec().getTemplate().getSpec().getVolumes())
                .extracting(v -> v.getName())
                .containsExactlyInAnyOrder("config", "tmp");
    }

    @Test
    void aSingleReplicaCanUseMaxUnavailableSoDrainsAreNotBlocked() {
        Rendered single = MeshdnsChart.template(Map.of(
                "replicaCount",
                1,
                "podDisruptionBudget.minAvailable",
                "null",
                "podDisruptionBudget.maxUnavailable",
                1));

        PodDisruptionBudget pdb = single.one(PodDisruptionBudget.class);
        assertThat(pdb.getSpec().getMinAvailable()).isNull();
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    }
}
