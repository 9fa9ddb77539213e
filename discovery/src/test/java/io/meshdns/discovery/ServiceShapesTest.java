package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.part;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.ready;
import static io.meshdns.testkit.MeshObjects.service;
import static io.meshdns.testkit.MeshObjects.sliceOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.meshdns.core.KubernetesNames;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every Service shape maps to the right model: what DNS and the load balancer read. */
class ServiceShapesTest extends WatchedClusters {
    ServiceShapesTest() {
        super(1);
    }

    private ClusterService watch(String name) {
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        return part(await(mesh, name + " in the snapshot", has(east, "shop", name)), east, "shop", name);
    }

    private static List<String> ips(ClusterService cs) {
        return cs.endpoints().stream().map(e -> e.address().getHostAddress()).toList();
    }

    @Test
    void clusterIpServiceContributesItsPodsWithConditionsTopologyAndTargets() {
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(new EndpointSliceBuilder(readySlice("shop", "web", "web-abc"))
                .withEndpoints(
                        new EndpointBuilder()
                                .withAddresses("10.10.1.1")
                                .withNodeName("node-a")
                                .withZone("zone-a")
                                .withNewTargetRef()
                                .withKind("Pod")
                                .withNamespace("shop")
                                .withName("web-1")
                                .endTargetRef()
                                .withNewConditions()
                                .withReady(true)
                                .withServing(true)
                                .withTerminating(false)
                                .endConditions()
                                .build(),
                        new EndpointBuilder()
                                .withAddresses("10.10.1.2")
                                .withNodeName("node-b")
                                .withZone("zone-b")
                                .withNewConditions()
                                .withReady(false)
                                .withServing(true)
                                .withTerminating(true)
                                .endConditions()
                                .build(),
                        new EndpointBuilder()
                                .withAddresses("10.10.1.3")
                                .withNewConditions()
                                .withReady(false)
                                .withServing(false)
                                .withTerminating(false)
                                .endConditions()
                                .build())
                .build());

        ClusterService web = watch("web");

        assertThat(web.type()).isEqualTo("ClusterIP");
        assertThat(web.headless()).isFalse();
        assertThat(web.clusterIps()).extracting(InetAddress::getHostAddress).containsExactly("10.96.0.10");
        assertThat(web.ports()).containsExactly(new ServicePort("http", 80, "TCP"));
        assertThat(web.endpoints())
                .extracting(
                        e -> e.address().getHostAddress(),
                        Endpoint::ready,
                        Endpoint::serving,
                        Endpoint::terminating,
                        Endpoint::nodeName,
                        Endpoint::topologyZone)
                .containsExactly(
                        tuple("10.10.1.1", true, true, false, "node-a", "zone-a"),
                        tuple("10.10.1.2", false, true, true, "node-b", "zone-b"),
                        tuple("10.10.1.3", false, false, false, null, null));
        Endpoint first = web.endpoints().get(0);
        assertThat(first.targetRef()).isEqualTo(new Endpoint.TargetRef("Pod", "shop", "web-1"));
        assertThat(first.port("http", "TCP"))
                .as("the pod's port, where clients connect to a pod IP")
                .isEqualTo(8080);
        assertThat(first.cluster()).isEqualTo(clusterId(east));
    }

    @Test
    void headlessServiceKeepsSliceHostnamesAndDerivesTheOthersFromTheIpAsCoreDnsDoes() {
        east.create(new ServiceBuilder(service("shop", "db", "None", true))
                .editSpec()
                .withClusterIPs("None")
                .endSpec()
                .build());
        east.create(new EndpointSliceBuilder(readySlice("shop", "db", "db-v4"))
                .withEndpoints(
                        new EndpointBuilder()
                                .withAddresses("10.10.3.1")
                                .withHostname("db-0")
                                .build(),
                        new EndpointBuilder().withAddresses("10.10.3.2").build())
                .build());
        east.create(sliceOf("shop", "db", "db-v6", "IPv6", "http", 8080, ready("fd00:10::7")));

        ClusterService db = watch("db");

        assertThat(db.headless()).isTrue();
        assertThat(db.clusterIps()).isEmpty();
        assertThat(db.endpoints())
                .extracting(e -> e.address().getHostAddress(), Endpoint::hostname)
                .containsExactly(
                        tuple("10.10.3.1", "db-0"),
                        tuple("10.10.3.2", "10-10-3-2"),
                        tuple("fd00:10:0:0:0:0:0:7", "fd00-10--7"));
    }

    @Test
    void externalNameServiceIsItsTargetName() {
        east.create(new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName("payments")
                .addToAnnotations(KubernetesNames.EXPORT_ANNOTATION, "true")
                .endMetadata()
                .withNewSpec()
                .withType("ExternalName")
                .withExternalName("Payments.Example.COM.")
                .endSpec()
                .build());

        ClusterService payments = watch("payments");

        assertThat(payments.type()).isEqualTo("ExternalName");
        assertThat(payments.externalName()).isEqualTo("payments.example.com");
        assertThat(payments.endpoints()).isEmpty();
    }

    @Test
    void loadBalancerServiceCarriesIngressIpsAndHostnames() {
        east.create(new ServiceBuilder(service("shop", "gw", "10.96.0.20", true))
                .editSpec()
                .withType("LoadBalancer")
                .endSpec()
                .withNewStatus()
                .withNewLoadBalancer()
                .addNewIngress()
                .withIp("203.0.113.10")
                .endIngress()
                .addNewIngress()
                .withHostname("gw-123.elb.example.com")
                .endIngress()
                .endLoadBalancer()
                .endStatus()
                .build());
        east.create(readySlice("shop", "gw", "gw-1", "10.10.4.1"));

        ClusterService gw = watch("gw");

        assertThat(gw.type()).isEqualTo("LoadBalancer");
        assertThat(gw.loadBalancerIps()).extracting(InetAddress::getHostAddress).containsExactly("203.0.113.10");
        assertThat(gw.loadBalancerHostnames()).containsExactly("gw-123.elb.example.com");
        assertThat(ips(gw)).as("pod reachability still answers pods").containsExactly("10.10.4.1");
    }

    @Test
    void dualStackServiceHasAddressesOfBothFamilies() {
        east.create(new ServiceBuilder(service("shop", "web", "10.96.0.10", true))
                .editSpec()
                .withClusterIPs("10.96.0.10", "fd00:96::10")
                .withIpFamilies("IPv4", "IPv6")
                .withIpFamilyPolicy("RequireDualStack")
                .endSpec()
                .build());
        east.create(readySlice("shop", "web", "web-v4", "10.10.1.1"));
        east.create(sliceOf("shop", "web", "web-v6", "IPv6", "http", 8080, ready("fd00:10::1")));

        ClusterService web = watch("web");

        assertThat(web.clusterIps())
                .extracting(InetAddress::getHostAddress)
                .containsExactly("10.96.0.10", "fd00:96:0:0:0:0:0:10");
        assertThat(web.endpoints())
                .extracting(e -> e.address().getHostAddress(), Endpoint::isIpv6)
                .containsExactlyInAnyOrder(tuple("10.10.1.1", false), tuple("fd00:10:0:0:0:0:0:1", true));
    }

    @Test
    void multiPortServiceKeepsPortNamesAndProtocolsForSrv() {
        east.create(new ServiceBuilder(service("shop", "dns", "10.96.0.53", true))
                .editSpec()
                .withPorts()
                .addNewPort()
                .withName("dns")
                .withPort(53)
                .withProtocol("UDP")
                .endPort()
                .addNewPort()
                .withName("dns-tcp")
                .withPort(53)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("sip")
                .withPort(5060)
                .withProtocol("SCTP")
                .endPort()
                .endSpec()
                .build());
        east.create(new EndpointSliceBuilder(readySlice("shop", "dns", "dns-1", "10.10.5.1"))
                .withPorts()
                .addNewPort()
                .withName("dns")
                .withPort(5353)
                .withProtocol("UDP")
                .endPort()
                .addNewPort()
                .withName("dns-tcp")
                .withPort(5353)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("sip")
                .withPort(5060)
                .withProtocol("SCTP")
                .endPort()
                .build());

        ClusterService dns = watch("dns");

        assertThat(dns.ports())
                .containsExactly(
                        new ServicePort("dns", 53, "UDP"),
                        new ServicePort("dns-tcp", 53, "TCP"),
                        new ServicePort("sip", 5060, "SCTP"));
        Endpoint pod = dns.endpoints().get(0);
        assertThat(pod.port("dns", "UDP")).isEqualTo(5353);
        assertThat(pod.port("sip", "SCTP")).isEqualTo(5060);
        assertThat(pod.port("nope", "TCP")).isEqualTo(-1);
    }

    @Test
    void unknownConditionsCountAsReadyAsKubernetesSays() {
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(new EndpointSliceBuilder(readySlice("shop", "web", "web-1"))
                .withEndpoints(new EndpointBuilder().withAddresses("10.10.1.1").build())
                .build());

        Endpoint e = watch("web").endpoints().get(0);

        assertThat(e.ready()).isTrue();
        assertThat(e.serving()).isTrue();
        assertThat(e.terminating()).isFalse();
    }

    @Test
    void brokenPartsAreSkippedWithOneWarningAndTheRestIsServed() throws Exception {
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            east.create(new ServiceBuilder(service("shop", "web", "10.96.0.10", true))
                    .editSpec()
                    .addNewPort()
                    .withName("broken")
                    .endPort()
                    .endSpec()
                    .build());
            east.create(sliceOf("shop", "web", "web-fqdn", "FQDN", "http", 8080, ready("pod.example.com")));
            east.create(new EndpointSliceBuilder(readySlice("shop", "web", "web-1", "10.10.1.1"))
                    .addNewEndpoint()
                    .withAddresses()
                    .endEndpoint()
                    .addNewEndpoint()
                    .withAddresses("not-an-ip")
                    .endEndpoint()
                    .build());
            // A Service without spec: skipped with a warning, no exception out of the informer.
            east.create(new ServiceBuilder()
                    .withNewMetadata()
                    .withNamespace("shop")
                    .withName("empty")
                    .addToAnnotations(KubernetesNames.EXPORT_ANNOTATION, "true")
                    .endMetadata()
                    .build());

            ClusterService web = watch("web");
            assertThat(ips(web)).containsExactly("10.10.1.1");
            assertThat(web.ports()).containsExactly(new ServicePort("http", 80, "TCP"));

            // Rebuilding web again and again must not repeat the warnings.
            for (int i = 2; i <= 4; i++) {
                east.create(readySlice("shop", "web", "web-" + i, "10.10.1." + i));
            }
            var s = await(
                    mesh,
                    "web with 4 pods",
                    snap -> part(snap, east, "shop", "web").endpoints().size() == 4);
            assertThat(s.service(ServiceKey.of("shop", "empty"))).isNull();
        } finally {
            System.setErr(stderr);
        }
        String warnings = log.toString(StandardCharsets.UTF_8);
        assertThat(count(warnings, "EndpointSlice shop/web-fqdn of service shop/web has addressType FQDN"))
                .isEqualTo(1);
        assertThat(count(warnings, "EndpointSlice shop/web-1 has an endpoint without addresses"))
                .isEqualTo(1);
        assertThat(count(warnings, "EndpointSlice shop/web-1 has address 'not-an-ip'"))
                .isEqualTo(1);
        assertThat(count(warnings, "Service shop/web has a port without a port number ('broken')"))
                .isEqualTo(1);
        assertThat(count(warnings, "Service shop/empty has no spec")).isEqualTo(1);
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
