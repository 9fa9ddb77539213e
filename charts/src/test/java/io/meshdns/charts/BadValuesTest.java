package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Values that cannot work stop `helm template` / `helm install` with a message naming the value. */
class BadValuesTest {

    @Test
    void schemaRejectsARemoteClusterWithoutAnId() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("clusters[0].reachability", "pod")))
                .hasMessageContaining("/clusters/0")
                .hasMessageContaining("'id'");
    }

    @Test
    void schemaRejectsAClusterIdThatIsNotADnsLabel() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("clusters[0].id", "East_1")))
                .hasMessageContaining("/clusters/0/id");
    }

    @Test
    void noClusterAndNoInClusterModeFailsNamingBothValues() {
        assertThatThrownBy(() -> MeshdnsChart.template("values-no-cluster.yaml"))
                .hasMessageContaining("no cluster to watch")
                .hasMessageContaining("inCluster.enabled")
                .hasMessageContaining("clusters[]");
    }

    @Test
    void duplicateRemoteClusterIdsFailNamingTheSecondEntry() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("clusters[0].id", "east", "clusters[1].id", "east")))
                .hasMessageContaining("clusters[1].id")
                .hasMessageContaining("\"east\" is already used by clusters[0].id");
    }

    @Test
    void aRemoteClusterReusingTheInClusterIdFails() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("inCluster.id", "hub", "clusters[0].id", "hub")))
                .hasMessageContaining("clusters[0].id")
                .hasMessageContaining("already used by inCluster.id");
    }

    @Test
    void duplicateClusterIdsFailAtInstallTimeToo() {
        assertThatThrownBy(() -> MeshdnsChart.installDryRun(
                        List.of(), Map.of("clusters[0].id", "east", "clusters[1].id", "east")))
                .hasMessageContaining("clusters[1].id");
    }

    @Test
    void aPendingTcpOutputBudgetThatIsNotASizeIsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.dns.maxTcpPendingOutput", "lots")))
                .hasMessageContaining("/config/dns/maxTcpPendingOutput");
    }

    @Test
    void servicePortAbove65535IsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("service.port", 70000)))
                .hasMessageContaining("/service/port")
                .hasMessageContaining("65,535");
    }

    @Test
    void servicePortZeroIsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("service.port", 0)))
                .hasMessageContaining("/service/port");
    }

    @Test
    void privilegedContainerDnsPortIsRejected() {
        // The container runs without capabilities, so it cannot bind below 1024.
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("containerPorts.dns", 53)))
                .hasMessageContaining("/containerPorts/dns")
                .hasMessageContaining("1,024");
    }

    @Test
    void containerHttpPortOutOfRangeIsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("containerPorts.http", 65536)))
                .hasMessageContaining("/containerPorts/http");
    }

    @Test
    void dnsAndHttpOnTheSameContainerPortFail() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("containerPorts.http", 5353)))
                .hasMessageContaining("containerPorts.http (5353) must differ from containerPorts.dns (5353)");
    }

    @Test
    void unknownConfigKeyIsRejectedAsMeshdnsWouldRejectIt() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.zones", "example.org")))
                .hasMessageContaining("/config")
                .hasMessageContaining("zones");
    }

    @Test
    void aTsigKeyWithoutItsSecretIsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.axfr.tsig[0].name", "meshdns-xfr")))
                .hasMessageContaining("/config/axfr/tsig/0")
                .hasMessageContaining("'secretName'");
    }

    @Test
    void aTsigAlgorithmMeshdnsDoesNotOfferIsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of(
                        "config.axfr.tsig[0].name",
                        "meshdns-xfr",
                        "config.axfr.tsig[0].secretName",
                        "meshdns-tsig",
                        "config.axfr.tsig[0].algorithm",
                        "hmac-md5")))
                .hasMessageContaining("/config/axfr/tsig/0/algorithm");
    }

    @Test
    void anHttpConnectionCapBelowOneIsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.http.maxConnectionsPerSource", 0)))
                .hasMessageContaining("/config/http/maxConnectionsPerSource");
    }

    @Test
    void anAdminRequestTimeoutOfZeroIsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.admin.requestTimeout", "0s")))
                .hasMessageContaining("/config/admin/requestTimeout");
    }

    @Test
    void unknownLoadBalancingPolicyIsRejected() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.loadBalancing.policy", "fastest")))
                .hasMessageContaining("/config/loadBalancing/policy");
    }

    @Test
    void autoscalerWithMoreMinimumThanMaximumReplicasFails() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of(
                        "autoscaling.enabled", true, "autoscaling.minReplicas", 5, "autoscaling.maxReplicas", 3)))
                .hasMessageContaining("autoscaling.minReplicas (5) is greater than autoscaling.maxReplicas (3)");
    }

    @Test
    void autoscalerWithoutACpuRequestFails() {
        assertThatThrownBy(() ->
                        MeshdnsChart.template(Map.of("autoscaling.enabled", true, "resources.requests.cpu", "null")))
                .hasMessageContaining("autoscaling.enabled needs resources.requests.cpu");
    }

    @Test
    void disruptionBudgetWithoutEitherLimitFails() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("podDisruptionBudget.minAvailable", "null")))
                .hasMessageContaining("podDisruptionBudget.minAvailable or podDisruptionBudget.maxUnavailable");
    }

    @Test
    void adminListenerBeyondLoopbackWithoutATokenSecretFailsNamingBothValues() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.admin.bind", "0.0.0.0")))
                .hasMessageContaining("config.admin.bind \"0.0.0.0\" is not a loopback address")
                .hasMessageContaining("adminToken.secretName");
    }

    @Test
    void adminPortSharedWithTheMetricsPortFails() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("containerPorts.admin", 9153)))
                .hasMessageContaining("containerPorts.admin (9153) must differ");
    }
}
