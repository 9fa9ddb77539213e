package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.part;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A cluster's reachability decides which of its addresses it contributes to global answers. */
class ReachabilityTest extends WatchedClusters {
    ReachabilityTest() {
        super(1);
    }

    @BeforeEach
    void seed() {
        // A dual-stack LoadBalancer service with one ready and one unready pod.
        east.create(new ServiceBuilder(service("shop", "web", "10.96.0.10", true))
                .editSpec()
                .withType("LoadBalancer")
                .withClusterIPs("10.96.0.10", "fd00:96::10")
                .endSpec()
                .withNewStatus()
                .withNewLoadBalancer()
                .addNewIngress()
                .withIp("203.0.113.10")
                .endIngress()
                .endLoadBalancer()
                .endStatus()
                .build());
        east.create(new EndpointSliceBuilder(readySlice("shop", "web", "web-1", "10.10.1.1"))
                .addToEndpoints(new EndpointBuilder()
                        .withAddresses("10.10.1.2")
                        .withNewConditions()
                        .withReady(false)
                        .endConditions()
                        .build())
                .build());
        // Headless: it has no service address at all.
        east.create(new ServiceBuilder(service("shop", "db", "None", true))
                .editSpec()
                .withClusterIPs("None")
                .endSpec()
                .build());
        east.create(readySlice("shop", "db", "db-1", "10.10.3.1"));
    }

    private MeshSnapshot watch(Reachability reachability) {
        mesh = TestMesh.start(TestMesh.fast(), spec(east, reachability));
        return await(mesh, "web and db", has(east, "shop", "web").and(has(east, "shop", "db")));
    }

    @Test
    void podReachabilityContributesPodIps() {
        var s = watch(Reachability.POD);
        assertThat(part(s, east, "shop", "web").endpoints())
                .extracting(e -> e.address().getHostAddress(), Endpoint::ready)
                .containsExactly(tuple("10.10.1.1", true), tuple("10.10.1.2", false));
    }

    @Test
    void clusterIpReachabilityContributesTheServiceClusterIpsReadyWhileAPodIsReady() {
        var s = watch(Reachability.CLUSTER_IP);
        assertThat(part(s, east, "shop", "web").endpoints())
                .extracting(e -> e.address().getHostAddress(), Endpoint::ready)
                .containsExactly(tuple("10.96.0.10", true), tuple("fd00:96:0:0:0:0:0:10", true));
        assertThat(part(s, east, "shop", "db").endpoints())
                .as("a headless service has no routable address")
                .isEmpty();
    }

    @Test
    void loadBalancerReachabilityContributesIngressIps() {
        var s = watch(Reachability.LOAD_BALANCER);
        assertThat(part(s, east, "shop", "web").endpoints())
                .extracting(e -> e.address().getHostAddress(), Endpoint::ready)
                .containsExactly(tuple("203.0.113.10", true));
    }

    @Test
    void serviceAddressesAreNotReadyWhenNoPodIs() {
        east.create(new EndpointSliceBuilder(readySlice("shop", "web", "web-1"))
                .withEndpoints(new EndpointBuilder()
                        .withAddresses("10.10.1.1")
                        .withNewConditions()
                        .withReady(false)
                        .withServing(true)
                        .withTerminating(true)
                        .endConditions()
                        .build())
                .build());
        var s = watch(Reachability.CLUSTER_IP);
        assertThat(part(s, east, "shop", "web").endpoints())
                .extracting(Endpoint::ready, Endpoint::serving, Endpoint::terminating)
                .containsOnly(tuple(false, true, true));
    }
}
