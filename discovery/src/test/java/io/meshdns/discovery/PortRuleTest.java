package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.part;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.testkit.MeshObjects.service;
import static io.meshdns.testkit.MeshObjects.withTargetPort;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.meshdns.testkit.MeshObjects;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which addresses a cluster contributes when a Service's targetPort differs from its port: never pod IPs
 * a client would reach on a closed port. (Answers over DNS: dns-server's ConnectableAnswersTest.)
 */
class PortRuleTest extends WatchedClusters {
    PortRuleTest() {
        super(1);
    }

    @BeforeEach
    void seed() {
        // port 80 -> targetPort 8080, pods listening on 8080
        east.create(withTargetPort(service("shop", "web", "10.96.0.10", true), 8080));
        east.create(readySlice("shop", "web", "web-1", "10.10.1.1"));
        // port 80 -> targetPort "http", which the EndpointSlice resolves to 80
        east.create(withTargetPort(service("shop", "same", "10.96.0.11", true), new IntOrString("http")));
        east.create(new EndpointSliceBuilder(readySlice("shop", "same", "same-1", "10.10.2.1"))
                .editFirstPort()
                .withPort(80)
                .endPort()
                .build());
    }

    private MeshSnapshot watch(List<Reachability> reachability) {
        mesh = TestMesh.start(TestMesh.fast(), new ClusterSpec(clusterId(east), east.kubeconfig(), null, reachability));
        return await(mesh, "web and same", has(east, "shop", "web").and(has(east, "shop", "same")));
    }

    @Test
    void aPodClusterIsLeftOutWithTheReasonWhenTheTargetPortDiffers() {
        ClusterService web = part(watch(List.of(Reachability.POD)), east, "shop", "web");
        assertThat(web.endpoints()).isEmpty();
        assertThat(web.leftOut()).isTrue();
        assertThat(web.reason()).isEqualTo("port 80 -> 8080 needs clusterIP reachability");
    }

    @Test
    void thePodThenClusterIpListFallsBackToTheClusterIp() {
        ClusterService web = part(watch(List.of(Reachability.POD, Reachability.CLUSTER_IP)), east, "shop", "web");
        assertThat(web.endpoints())
                .extracting(e -> e.address().getHostAddress())
                .containsExactly("10.96.0.10");
        assertThat(web.answeredBy()).isEqualTo(Reachability.CLUSTER_IP);
        assertThat(web.reason()).isEqualTo("port 80 -> 8080: answered with the ClusterIP");
    }

    @Test
    void aNamedTargetPortResolvedToThePortKeepsPodIps() {
        ClusterService same = part(watch(List.of(Reachability.POD, Reachability.CLUSTER_IP)), east, "shop", "same");
        assertThat(same.endpoints())
                .extracting(e -> e.address().getHostAddress())
                .containsExactly("10.10.2.1");
        assertThat(same.answeredBy()).isEqualTo(Reachability.POD);
        assertThat(same.reason()).isNull();
    }

    @Test
    void aClusterPropertyIdOtherThanTheConfiguredOneIsOneWarningNamingBoth() throws Exception {
        east.client()
                .genericKubernetesResources(MeshObjects.CLUSTER_PROPERTIES)
                .resource(MeshObjects.clusterProperty("id.k8s.io", "us-east-prod"))
                .create();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            watch(List.of(Reachability.POD));
            Thread.sleep(Duration.ofMillis(600).toMillis()); // several CRD probes (every 200 ms in tests)
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log)
                .contains("its ClusterProperty id.k8s.io says the cluster id is 'us-east-prod',"
                        + " but meshdns's config calls it 'east'");
        assertThat(log.split("ClusterProperty id.k8s.io says", -1))
                .as("warned once, not per probe")
                .hasSize(2);
    }
}
