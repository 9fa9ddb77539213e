package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conventions operators know from CoreDNS's and external-dns's charts (issue 31 item 8): image digest,
 * extra env/args/volumes, common labels, a startup probe, a lame-duck preStop delay and a `helm test` hook.
 */
class ChartConventionsTest {
    private static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

    private static Container meshdns(Rendered chart) {
        return chart.deployment()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
    }

    /** The `helm test` pod, or null when the chart renders none. */
    private static Pod testPod(Path workDir, Map<String, Object> sets) {
        return MeshdnsChart.templateWithHooks(workDir, sets).all(Pod.class).stream()
                .findFirst()
                .orElse(null);
    }

    @Test
    void anImageDigestPinsTheImageInPlaceOfTheTag() {
        Rendered chart = MeshdnsChart.template(Map.of(
                "image.repository", "registry.example.com/meshdns", "image.tag", "9.9.9", "image.digest", DIGEST));

        assertThat(meshdns(chart).getImage()).isEqualTo("registry.example.com/meshdns@" + DIGEST);
    }

    @Test
    void aDigestThatIsNotSha256IsRejectedBySchema() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("image.digest", "latest")))
                .hasMessageContaining("/image/digest");
    }

    @Test
    void commonLabelsAreOnEveryObjectAndOnThePods() {
        Rendered chart =
                MeshdnsChart.template(List.of(MeshdnsChart.THREE_CLUSTERS), Map.of("commonLabels.team", "platform"));

        assertThat(chart.all(HasMetadata.class))
                .allSatisfy(o -> assertThat(o.getMetadata().getLabels())
                        .as(o.getKind() + " " + o.getMetadata().getName())
                        .containsEntry("team", "platform"));
        assertThat(chart.deployment().getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry("team", "platform");
        // Not in the selector: a Deployment's selector cannot change after install.
        assertThat(chart.deployment().getSpec().getSelector().getMatchLabels()).doesNotContainKey("team");
    }

    @Test
    void extraEnvArgsAndVolumesReachTheContainer() {
        Rendered chart = MeshdnsChart.template(Map.of(
                "extraEnv[0].name",
                "TZ",
                "extraEnv[0].value",
                "UTC",
                "extraArgs[0]",
                "--query-log",
                "extraVolumes[0].name",
                "zones",
                "extraVolumes[0].configMap.name",
                "static-zones",
                "extraVolumeMounts[0].name",
                "zones",
                "extraVolumeMounts[0].mountPath",
                "/etc/meshdns/zones"));
        Container meshdns = meshdns(chart);

        assertThat(meshdns.getArgs())
                .containsExactly("serve", "--config", "/etc/meshdns/config/config.yaml", "--query-log");
        assertThat(meshdns.getEnv())
                .extracting(EnvVar::getName, EnvVar::getValue)
                .contains(org.assertj.core.groups.Tuple.tuple("TZ", "UTC"));
        assertThat(meshdns.getVolumeMounts())
                .extracting(VolumeMount::getName, VolumeMount::getMountPath)
                .contains(org.assertj.core.groups.Tuple.tuple("zones", "/etc/meshdns/zones"));
        assertThat(chart.deployment().getSpec().getTemplate().getSpec().getVolumes())
                .extracting(Volume::getName)
                .contains("zones");
    }

    @Test
    void anExtraVolumeMountWithoutAPathIsRejectedBySchema() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("extraVolumeMounts[0].name", "zones")))
                .hasMessageContaining("/extraVolumeMounts/0");
    }

    @Test
    void javaOptionsGoToTheLauncherNotToEveryJvmInThePod() {
        Container meshdns = meshdns(MeshdnsChart.template());

        assertThat(meshdns.getEnv())
                .extracting(EnvVar::getName)
                .contains("MESHDNS_JAVA_OPTS")
                .doesNotContain("JAVA_TOOL_OPTIONS");
    }

    /**
     * bench/RESULTS.md "Chart sizing on Temurin 25 after the trimmed caches": serve at 60,000 endpoints reached
     * 349 MiB RSS with the default javaOptions; the default limit must leave 30% of it free (issue 29).
     */
    @Test
    void theDefaultMemoryLimitHoldsASixtyThousandEndpointMeshWith30PercentHeadroom() {
        Container meshdns = meshdns(MeshdnsChart.template());
        long limit = io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(
                        meshdns.getResources().getLimits().get("memory"))
                .longValue();
        long measuredRss = 349L << 20;

        assertThat(measuredRss).isLessThanOrEqualTo((long) (limit * 0.7));
        assertThat(meshdns.getResources().getRequests().get("memory"))
                .isEqualTo(meshdns.getResources().getLimits().get("memory"));
        assertThat(meshdns.getEnv())
                .filteredOn(e -> e.getName().equals("MESHDNS_JAVA_OPTS"))
                .singleElement()
                .extracting(EnvVar::getValue)
                .isEqualTo(
                        "-XX:+UseSerialGC -XX:+UseCompactObjectHeaders -XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void aStartupProbeHoldsLivenessBackUntilHealthzAnswers() {
        Container meshdns = meshdns(MeshdnsChart.template());

        assertThat(meshdns.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(meshdns.getStartupProbe().getFailureThreshold()
                        * meshdns.getStartupProbe().getPeriodSeconds())
                .isGreaterThanOrEqualTo(60);
    }

    @Test
    void theLameDuckDelayDefaultsToTheTimeTheReadinessProbeTakesToSeeThePodGo() {
        Container meshdns = meshdns(MeshdnsChart.template());
        int probeSeconds = meshdns.getReadinessProbe().getPeriodSeconds()
                * meshdns.getReadinessProbe().getFailureThreshold();

        assertThat(meshdns.getLifecycle().getPreStop().getExec().getCommand())
                .containsExactly("sleep", String.valueOf(probeSeconds));
        assertThat(probeSeconds).isEqualTo(10);
    }

    @Test
    void theLameDuckDelayFollowsTheReadinessProbe() {
        Container meshdns = meshdns(MeshdnsChart.template(Map.of("readinessProbe.periodSeconds", 3)));

        assertThat(meshdns.getLifecycle().getPreStop().getExec().getCommand()).containsExactly("sleep", "6");
    }

    @Test
    void lameDuckSecondsSetsTheDelayAndZeroRemovesTheHook() {
        assertThat(meshdns(MeshdnsChart.template(Map.of("lameDuckSeconds", 5)))
                        .getLifecycle()
                        .getPreStop()
                        .getExec()
                        .getCommand())
                .containsExactly("sleep", "5");
        assertThat(meshdns(MeshdnsChart.template(Map.of("lameDuckSeconds", 0))).getLifecycle())
                .isNull();
    }

    @Test
    void aGracePeriodTooShortForTheLameDuckDelayAndTheShutdownFailsNamingBoth() {
        assertThatThrownBy(
                        () -> MeshdnsChart.template(Map.of("lameDuckSeconds", 20, "terminationGracePeriodSeconds", 21)))
                .hasMessageContaining("terminationGracePeriodSeconds (21)")
                .hasMessageContaining("lame-duck delay (20 s");
    }

    @Test
    void helmTestResolvesTheZonesSoaThroughTheServiceWithTheMeshdnsImage(@TempDir Path tmp) {
        Map<String, Object> sets = Map.of("config.zone", "mesh.example", "service.port", 5300, "image.digest", DIGEST);
        Rendered chart = MeshdnsChart.template(sets);
        Pod test = testPod(tmp, sets);
        assertThat(test).as("a helm test pod").isNotNull();
        Container soa = test.getSpec().getContainers().get(0);

        assertThat(test.getMetadata().getAnnotations()).containsEntry(MeshdnsChart.HOOK_SEEN_AS, "test");
        assertThat(test.getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(soa.getImage()).isEqualTo(meshdns(chart).getImage());
        assertThat(soa.getEnv())
                .extracting(EnvVar::getName, EnvVar::getValue)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("SERVER", "meshdns.dns.svc"),
                        org.assertj.core.groups.Tuple.tuple("PORT", "5300"),
                        org.assertj.core.groups.Tuple.tuple("ZONE", "mesh.example"));
        assertThat(String.join(" ", soa.getCommand()))
                .contains("org.xbill.DNS.tools.dig \"@$SERVER\" \"$ZONE\" SOA -p \"$PORT\"")
                .contains("status: NOERROR")
                .contains("IN[[:space:]]+SOA");
        assertThat(soa.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    }

    @Test
    void testsEnabledFalseRendersNoTestPod(@TempDir Path tmp) {
        assertThat(testPod(tmp, Map.of("tests.enabled", false))).isNull();
    }
}
