package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.meshdns.testkit.MockCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The meshdns Service in the hub cluster as the source of forward addresses. */
class ForwardAddressesTest {
    private MockCluster hub;

    @BeforeEach
    void start() {
        hub = MockCluster.start("hub");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private void service(int port, String clusterIp, String... ingressIps) {
        Service svc = new ServiceBuilder()
                .withNewMetadata()
                .withName("meshdns")
                .withNamespace("meshdns")
                .endMetadata()
                .withNewSpec()
                .withType("LoadBalancer")
                .withClusterIP(clusterIp)
                .addToClusterIPs(clusterIp)
                .addNewPort()
                .withName("dns")
                .withProtocol("UDP")
                .withPort(port)
                .endPort()
                .endSpec()
                .build();
        hub.client().services().inNamespace("meshdns").resource(svc).create();
        if (ingressIps.length > 0) {
            Service got = hub.client()
                    .services()
                    .inNamespace("meshdns")
                    .withName("meshdns")
                    .get();
            for (String ip : ingressIps) {
                got = new ServiceBuilder(got)
                        .editOrNewStatus()
                        .editOrNewLoadBalancer()
                        .addToIngress(
                                new LoadBalancerIngressBuilder().withIp(ip).build())
                        .endLoadBalancer()
                        .endStatus()
                        .build();
            }
            hub.client().services().inNamespace("meshdns").resource(got).updateStatus();
        }
    }

    @Test
    void otherClustersForwardToTheLoadBalancerIngress() {
        service(53, "10.96.5.5", "192.0.2.10", "192.0.2.11");

        assertThat(ForwardAddresses.fromService(hub.client(), "hub", "meshdns", "meshdns", false, false))
                .containsExactly("192.0.2.10", "192.0.2.11");
    }

    @Test
    void theHubForwardsToTheClusterIp() {
        service(53, "10.96.5.5", "192.0.2.10");

        assertThat(ForwardAddresses.fromService(hub.client(), "hub", "meshdns", "meshdns", true, false))
                .containsExactly("10.96.5.5");
    }

    @Test
    void addsTheServicePortWhenItIsNot53() {
        service(5353, "10.96.5.5", "192.0.2.10");

        assertThat(ForwardAddresses.fromService(hub.client(), "hub", "meshdns", "meshdns", false, false))
                .containsExactly("192.0.2.10:5353");
    }

    @Test
    void usesTheClusterIpForOtherClustersOnlyWhenItIsRoutedAcrossTheMesh() {
        service(53, "10.96.5.5");

        assertThat(ForwardAddresses.fromService(hub.client(), "hub", "meshdns", "meshdns", false, true))
                .containsExactly("10.96.5.5");
        assertThatThrownBy(() -> ForwardAddresses.fromService(hub.client(), "hub", "meshdns", "meshdns", false, false))
                .isInstanceOf(CorednsConfigException.class)
                .hasMessage(
                        "cluster hub: Service meshdns/meshdns has no address other clusters can reach (no LoadBalancer"
                                + " ingress IP; its ClusterIP is not routed across the mesh); set coredns.forwardTo for the clusters in the"
                                + " meshdns config");
    }

    @Test
    void reportsAMissingService() {
        assertThatThrownBy(() -> ForwardAddresses.fromService(hub.client(), "hub", "meshdns", "meshdns", true, false))
                .hasMessage("cluster hub: Service meshdns/meshdns does not exist");
    }
}
