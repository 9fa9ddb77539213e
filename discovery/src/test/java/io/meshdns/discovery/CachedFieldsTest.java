package io.meshdns.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ListMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.ServiceListBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceListBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.meshdns.core.KubernetesNames;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The informer caches keep a trimmed copy of each object ({@link CachedFields}): exactly the fields discovery
 * reads, so that a 200,000-endpoint mesh fits in a small heap, and the same discovery output as from the
 * object the API server sent.
 */
class CachedFieldsTest {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final ClusterSpec CLUSTER = new ClusterSpec(
            ClusterId.of("east"),
            null,
            null,
            List.of(Reachability.POD, Reachability.CLUSTER_IP, Reachability.LOAD_BALANCER));

    /** A Service as an API server returns it, with every field a real one carries. */
    private static Service fullService(String name, String clusterIp) {
        return new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName(name)
                .withUid("0b6f5c1e-uid")
                .withResourceVersion("42")
                .withGeneration(3L)
                .withCreationTimestamp("2026-11-20T10:00:00Z")
                .addToLabels("app", name)
                .addToLabels("team", "payments")
                .addToAnnotations(KubernetesNames.EXPORT_ANNOTATION, "true")
                .addToAnnotations(KubernetesNames.POLICY_ANNOTATION, "round-robin")
                .addToAnnotations(
                        "kubectl.kubernetes.io/last-applied-configuration",
                        "{\"apiVersion\":\"v1\",\"kind\":\"Service\"}")
                .addToAnnotations("cloud.example.com/lb-type", "nlb")
                .addNewManagedField()
                .withManager("kubectl")
                .withOperation("Update")
                .withApiVersion("v1")
                .endManagedField()
                .addNewOwnerReference()
                .withKind("Deployment")
                .withName(name)
                .withUid("owner-uid")
                .withApiVersion("apps/v1")
                .endOwnerReference()
                .addToFinalizers("service.kubernetes.io/load-balancer-cleanup")
                .endMetadata()
                .withNewSpec()
                .withType("LoadBalancer")
                .withClusterIP(clusterIp)
                .withClusterIPs(clusterIp)
                .withIpFamilies("IPv4")
                .withIpFamilyPolicy("SingleStack")
                .addToSelector("app", name)
                .withSessionAffinity("None")
                .withExternalTrafficPolicy("Cluster")
                .withInternalTrafficPolicy("Local")
                .withTrafficDistribution("PreferClose")
                .withPublishNotReadyAddresses(false)
                .withLoadBalancerSourceRanges("0.0.0.0/0")
                .withAllocateLoadBalancerNodePorts(true)
                .addNewPort()
                .withName("http")
                .withPort(80)
                .withProtocol("TCP")
                .withTargetPort(new IntOrString("web"))
                .withNodePort(30080)
                .withAppProtocol("http")
                .endPort()
                .addNewPort()
                .withName("metrics")
                .withPort(9090)
                .withProtocol("TCP")
                .withTargetPort(new IntOrString(9090))
                .withNodePort(30090)
                .endPort()
                .endSpec()
                .withNewStatus()
                .withNewLoadBalancer()
                .addNewIngress()
                .withIp("203.0.113.7")
                .withHostname("lb-1.example.com")
                .withIpMode("VIP")
                .addNewPort()
                .withPort(80)
                .withProtocol("TCP")
                .endPort()
                .endIngress()
                .endLoadBalancer()
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .withReason("Ok")
                .withMessage("ok")
                .endCondition()
                .endStatus()
                .build();
    }

    /** An EndpointSlice as the EndpointSlice controller writes it, with every field. */
    private static EndpointSlice fullSlice(String service, String sliceName) {
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName(sliceName)
                .withGenerateName(service + "-")
                .withUid("slice-uid")
                .withResourceVersion("77")
                .withGeneration(5L)
                .withCreationTimestamp("2026-11-20T10:00:01Z")
                .addToLabels(KubernetesNames.SERVICE_NAME_LABEL, service)
                .addToLabels(KubernetesNames.MANAGED_BY_LABEL, KubernetesNames.ENDPOINTSLICE_CONTROLLER)
                .addToLabels("app", service)
                .addToAnnotations("endpoints.kubernetes.io/last-change-trigger-time", "2026-11-20T10:00:01Z")
                .addNewOwnerReference()
                .withKind("Service")
                .withName(service)
                .withUid("svc-uid")
                .withApiVersion("v1")
                .endOwnerReference()
                .addNewManagedField()
                .withManager("endpointslice-controller")
                .withOperation("Update")
                .withApiVersion("v1")
                .endManagedField()
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort()
                .withName("http")
                .withPort(8080)
                .withProtocol("TCP")
                .withAppProtocol("http")
                .endPort()
                .addNewEndpoint()
                .withAddresses("10.10.0.7")
                .withHostname("web-0")
                .withNodeName("node-a")
                .withZone("zone-a")
                .withNewConditions()
                .withReady(true)
                .withServing(true)
                .withTerminating(false)
                .endConditions()
                .withNewTargetRef()
                .withKind("Pod")
                .withNamespace("shop")
                .withName("web-0")
                .withUid("pod-uid-0")
                .withResourceVersion("9")
                .endTargetRef()
                .withNewHints()
                .addNewForZone()
                .withName("zone-a")
                .endForZone()
                .endHints()
                .addToDeprecatedTopology("topology.kubernetes.io/region", "eu-west-1")
                .endEndpoint()
                .addNewEndpoint()
                .withAddresses("10.10.0.8")
                .withNodeName("node-b")
                .withZone("zone-b")
                .withNewConditions()
                .withReady(false)
                .withServing(true)
                .withTerminating(true)
                .endConditions()
                .withNewTargetRef()
                .withKind("Pod")
                .withNamespace("shop")
                .withName("web-1")
                .withUid("pod-uid-1")
                .endTargetRef()
                .endEndpoint()
                .build();
    }

    private static JsonNode json(Object o) throws Exception {
        return new ObjectMapper().readTree(JSON.asJson(o));
    }

    @Test
    void aCachedServiceKeepsExactlyTheFieldsDiscoveryReads() throws Exception {
        assertThat(json(CachedFields.service(fullService("web", "10.96.0.10"))))
                .isEqualTo(new ObjectMapper().readTree("""
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"namespace": "shop", "name": "web", "resourceVersion": "42",
                      "creationTimestamp": "2026-11-20T10:00:00Z",
                      "annotations": {"meshdns.io/export": "true", "meshdns.io/lb-policy": "round-robin"}},
         "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                  "internalTrafficPolicy": "Local", "trafficDistribution": "PreferClose",
                  "publishNotReadyAddresses": false,
                  "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"},
                            {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090}]},
         "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7", "hostname": "lb-1.example.com"}]}}}
        """));
    }

    @Test
    void aCachedEndpointSliceKeepsExactlyTheFieldsDiscoveryReads() throws Exception {
        assertThat(json(CachedFields.endpointSlice(fullSlice("web", "web-abcde"))))
                .isEqualTo(new ObjectMapper().readTree("""
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"namespace": "shop", "name": "web-abcde", "resourceVersion": "77",
                      "labels": {"kubernetes.io/service-name": "web"}},
         "addressType": "IPv4",
         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
         "endpoints": [
           {"addresses": ["10.10.0.7"], "hostname": "web-0", "nodeName": "node-a", "zone": "zone-a",
            "conditions": {"ready": true, "serving": true, "terminating": false},
            "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-0"}},
           {"addresses": ["10.10.0.8"], "nodeName": "node-b", "zone": "zone-b",
            "conditions": {"ready": false, "serving": true, "terminating": true},
            "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-1"}}]}
        """));
    }

    @Test
    void memberClientsDecodeListedEndpointSlicesStraightIntoTheirCachedCopies() throws Exception {
        EndpointSliceList listed = new EndpointSliceListBuilder()
                .withMetadata(new ListMetaBuilder().withResourceVersion("78").build())
                .withItems(fullSlice("web", "web-abcde"), fullSlice("api", "api-fghij"))
                .build();

        EndpointSliceList decoded =
                KubernetesClients.memberSerialization().unmarshal(JSON.asJson(listed), EndpointSliceList.class);

        assertThat(decoded.getMetadata().getResourceVersion()).isEqualTo("78");
        assertThat(decoded.getItems()).allMatch(CachedFields::isCopy);
        assertThat(json(decoded.getItems().get(0)))
                .isEqualTo(json(CachedFields.endpointSlice(fullSlice("web", "web-abcde"))));
    }

    @Test
    void memberClientsDecodeListedServicesStraightIntoTheirCachedCopies() throws Exception {
        ServiceList listed = new ServiceListBuilder()
                .withItems(fullService("web", "10.96.0.10"))
                .build();

        ServiceList decoded = KubernetesClients.memberSerialization().unmarshal(JSON.asJson(listed), ServiceList.class);

        assertThat(decoded.getItems()).allMatch(CachedFields::isCopy);
        assertThat(json(decoded.getItems().get(0)))
                .isEqualTo(json(CachedFields.service(fullService("web", "10.96.0.10"))));
    }

    @Test
    void memberClientsDecodeWatchedObjectsStraightIntoTheirCachedCopies() throws Exception {
        String event = "{\"type\": \"MODIFIED\", \"object\": " + JSON.asJson(fullSlice("web", "web-abcde")) + "}";

        WatchEvent decoded = KubernetesClients.memberSerialization().unmarshal(event, WatchEvent.class);

        assertThat(decoded.getObject()).isInstanceOf(EndpointSlice.class);
        assertThat(CachedFields.isCopy((EndpointSlice) decoded.getObject())).isTrue();
        assertThat(json(decoded.getObject()))
                .isEqualTo(json(CachedFields.endpointSlice(fullSlice("web", "web-abcde"))));
    }

    @Test
    void theCopyOfACopyIsThatCopy() {
        // What the informers' stores get from the member clients, and what a replaced informer is seeded with.
        EndpointSlice slice = CachedFields.endpointSlice(fullSlice("web", "web-abcde"));
        Service service = CachedFields.service(fullService("web", "10.96.0.10"));

        assertThat(CachedFields.endpointSlice(slice)).isSameAs(slice);
        assertThat(CachedFields.service(service)).isSameAs(service);
    }

    @Test
    void otherClientsDecodeTheFullObjects() throws Exception {
        EndpointSlice decoded = JSON.unmarshal(JSON.asJson(fullSlice("web", "web-abcde")), EndpointSlice.class);

        assertThat(CachedFields.isCopy(decoded)).isFalse();
        assertThat(decoded.getMetadata().getUid()).isEqualTo("slice-uid");
    }

    @Test
    void discoveryMapsTheCachedCopiesToTheSameServiceAsTheFullObjects() {
        Service full = fullService("web", "10.96.0.10");
        EndpointSlice slice = fullSlice("web", "web-abcde");
        Instant exported = Instant.parse("2026-11-21T00:00:00Z");

        ClusterService fromFull = new ServiceMapper(CLUSTER, false).map(full, false, null, List.of(slice));
        ClusterService fromCache = new ServiceMapper(CLUSTER, false)
                .map(CachedFields.service(full), false, null, List.of(CachedFields.endpointSlice(slice)));
        ClusterService exportedFull = new ServiceMapper(CLUSTER, false).map(full, true, exported, List.of(slice));
        ClusterService exportedCache = new ServiceMapper(CLUSTER, false)
                .map(CachedFields.service(full), true, exported, List.of(CachedFields.endpointSlice(slice)));

        assertThat(fromCache).isEqualTo(fromFull);
        assertThat(fromFull.answeredBy())
                .as("port 80 -> 'web' (8080): the ClusterIP")
                .isEqualTo(Reachability.CLUSTER_IP);
        assertThat(exportedCache).isEqualTo(exportedFull);
    }

    @Test
    void discoveryMapsCachedHeadlessPodsToTheSameEndpointsAsTheFullObjects() {
        Service full = new ServiceBuilder(fullService("db", "None"))
                .editSpec()
                .withType("ClusterIP")
                .withClusterIPs("None")
                .endSpec()
                .build();
        EndpointSlice slice = fullSlice("db", "db-xyz");

        ClusterService fromFull = new ServiceMapper(CLUSTER, false).map(full, false, null, List.of(slice));
        ClusterService fromCache = new ServiceMapper(CLUSTER, false)
                .map(CachedFields.service(full), false, null, List.of(CachedFields.endpointSlice(slice)));

        assertThat(fromFull.headless()).isTrue();
        assertThat(fromFull.endpoints())
                .extracting(Endpoint::hostname, Endpoint::nodeName, Endpoint::topologyZone)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("web-0", "node-a", "zone-a"),
                        org.assertj.core.groups.Tuple.tuple("10-10-0-8", "node-b", "zone-b"));
        assertThat(fromCache).isEqualTo(fromFull);
    }

    @Test
    void endpointsWithOneCanonicalIpv4AddressEachArePackedAndReadBackAsTheyCame() throws Exception {
        EndpointSlice cached = CachedFields.endpointSlice(fullSlice("web", "web-abcde"));

        assertThat(cached).isInstanceOf(CachedFields.PackedEndpointSlice.class);
        assertThat(json(cached).get("endpoints")).isEqualTo(new ObjectMapper().readTree("""
        [{"addresses": ["10.10.0.7"], "hostname": "web-0", "nodeName": "node-a", "zone": "zone-a",
          "conditions": {"ready": true, "serving": true, "terminating": false},
          "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-0"}},
         {"addresses": ["10.10.0.8"], "nodeName": "node-b", "zone": "zone-b",
          "conditions": {"ready": false, "serving": true, "terminating": true},
          "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-1"}}]
        """));
        assertThat(CachedFields.endpointSlice(cached).getEndpoints())
                .as("a cached copy cached again (a relist)")
                .isEqualTo(cached.getEndpoints());
    }

    @Test
    void addressesThatCannotBeWrittenBackExactlyAreKeptAsTheyCame() throws Exception {
        EndpointSlice odd = new EndpointSliceBuilder(fullSlice("web", "web-abcde"))
                .editFirstEndpoint()
                .withAddresses("010.10.0.7")
                .endEndpoint()
                .editLastEndpoint()
                .withAddresses("10.10.0.8", "10.10.0.9")
                .endEndpoint()
                .build();

        EndpointSlice cached = CachedFields.endpointSlice(odd);

        assertThat(cached).isNotInstanceOf(CachedFields.PackedEndpointSlice.class);
        assertThat(cached.getEndpoints())
                .extracting(e -> e.getAddresses())
                .containsExactly(List.of("010.10.0.7"), List.of("10.10.0.8", "10.10.0.9"));
        ClusterService fromFull =
                new ServiceMapper(CLUSTER, false).map(fullService("web", "10.96.0.10"), false, null, List.of(odd));
        ClusterService fromCache =
                new ServiceMapper(CLUSTER, false).map(fullService("web", "10.96.0.10"), false, null, List.of(cached));
        assertThat(fromCache).isEqualTo(fromFull);
    }

    @Test
    void onlyCanonicalDottedQuadsCountAsPackableIpv4() {
        assertThat(CachedFields.parseIpv4("10.0.0.1")).isEqualTo(0x0a000001L);
        assertThat(CachedFields.parseIpv4("255.255.255.255")).isEqualTo(0xffffffffL);
        assertThat(CachedFields.ipv4Text((int) CachedFields.parseIpv4("192.168.0.10")))
                .isEqualTo("192.168.0.10");
        for (String notCanonical : List.of(
                "010.0.0.1",
                "10.0.0",
                "10.0.0.1.",
                "10..0.1",
                "256.0.0.1",
                "1000.0.0.1",
                "10.0.0.1.2",
                "fd00::1",
                "",
                "10.0.0.01",
                " 10.0.0.1")) {
            assertThat(CachedFields.parseIpv4(notCanonical)).as(notCanonical).isEqualTo(-1);
        }
    }

    @Test
    void stringsAndConditionsThatRepeatAreOneObjectInTheCache() {
        EndpointSlice a = CachedFields.endpointSlice(fullSlice("web", "web-abcde"));
        EndpointSlice b = CachedFields.endpointSlice(new EndpointSliceBuilder(fullSlice("web", "web-fghij")).build());

        assertThat(a.getMetadata().getNamespace()).isSameAs(b.getMetadata().getNamespace());
        assertThat(a.getMetadata().getLabels().get(KubernetesNames.SERVICE_NAME_LABEL))
                .isSameAs(b.getMetadata().getLabels().get(KubernetesNames.SERVICE_NAME_LABEL));
        assertThat(a.getEndpoints().get(0).getNodeName())
                .isSameAs(b.getEndpoints().get(0).getNodeName());
        assertThat(a.getEndpoints().get(0).getZone())
                .isSameAs(b.getEndpoints().get(0).getZone());
        assertThat(a.getEndpoints().get(0).getHostname())
                .isSameAs(b.getEndpoints().get(0).getHostname());
        assertThat(a.getEndpoints().get(0).getConditions())
                .isSameAs(b.getEndpoints().get(0).getConditions());
    }
}
