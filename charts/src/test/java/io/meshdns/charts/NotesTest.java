package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** NOTES.txt, as `helm install` prints it (a client-only dry run). */
class NotesTest {

    @Test
    void printsTheCorednsConfigCommandForEveryCluster() {
        String notes = MeshdnsChart.installDryRun(List.of(MeshdnsChart.THREE_CLUSTERS), Map.of());

        for (String id : List.of("hub", "east", "west")) {
            assertThat(notes)
                    .contains("meshdns coredns-config --config meshdns.yaml --cluster " + id
                            + " --forward-to $ADDR --print");
        }
        assertThat(notes)
                .contains("kubectl -n dns get configmap meshdns -o jsonpath='{.data.config\\.yaml}' > meshdns.yaml");
    }

    @Test
    void tellsWhereTheForwardAddressComesFromForTheServiceType() {
        String loadBalancer = MeshdnsChart.installDryRun(List.of(MeshdnsChart.THREE_CLUSTERS), Map.of());
        String clusterIp = MeshdnsChart.installDryRun(List.of(), Map.of());

        assertThat(loadBalancer)
                .contains(
                        "ADDR=$(kubectl -n dns get service meshdns -o jsonpath='{.status.loadBalancer.ingress[0].ip}')");
        assertThat(clusterIp).contains("ADDR=$(kubectl -n dns get service meshdns -o jsonpath='{.spec.clusterIP}')");
    }

    @Test
    void namesTheSecretEachRemoteClusterNeeds() {
        String notes = MeshdnsChart.installDryRun(List.of(MeshdnsChart.THREE_CLUSTERS), Map.of());

        assertThat(notes)
                .contains(
                        "kubectl -n dns create secret generic east-reader-kubeconfig --from-file=config=east.kubeconfig");
        assertThat(notes)
                .contains(
                        "kubectl -n dns create secret generic meshdns-kubeconfig-west --from-file=kubeconfig=west.kubeconfig");
    }

    @Test
    void saysHowToReachTheStatusPageThroughPortForward() {
        String notes = MeshdnsChart.installDryRun(List.of(), Map.of());

        assertThat(notes)
                .contains("bound to loopback")
                .contains("kubectl -n dns port-forward deployment/meshdns 9154:9154")
                .contains("http://127.0.0.1:9154/");
    }
}
