package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.core.KubernetesNames;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.server.cli.DemoMesh;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.MeshObjects;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The querier's cluster end to end: two mock API servers (east, west), the real server on a loopback port,
 * real DNS packets from dnsjava carrying the EDNS0 cluster option, or sent from the loopback addresses
 * the config maps to each cluster (127.0.0.2 = east, 127.0.0.3 = west; 127.0.0.1 is unmapped).
 */
class LoadBalancingIntegrationTest {
    private static final String WEB = "web.shop.svc.clusterset.local.";
    private static final List<String> EAST_WEB = List.of("10.10.1.1", "10.10.1.2", "10.10.1.3");
    private static final List<String> WEST_WEB = List.of("10.20.1.1", "10.20.1.2");

    @TempDir
    static Path dir;

    private static DemoMesh demo;
    private static MeshdnsServer server;

    @BeforeAll
    static void start() throws Exception {
        demo = DemoMesh.start(dir);
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, """
        dns:
          bind: 127.0.0.1
          port: 0
        clusters:
          - id: east
            kubeconfig: east.kubeconfig
            context: east
            sourceCidrs: [127.0.0.2/32]
          - id: west
            kubeconfig: west.kubeconfig
            context: west
            sourceCidrs: [127.0.0.3/32]
        """);
        ServerConfig cfg = ConfigLoader.load(config);
        server = MeshdnsServer.start(cfg.withHttp("127.0.0.1", 0).withAdmin("127.0.0.1", 0), cfg.clusterSpecs(dir));
        assertThat(server.awaitServed(readyIn(ServiceKey.of("shop", "web"), 5), Duration.ofSeconds(30)))
                .isTrue();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (demo != null) {
            demo.close();
        }
    }

    @Test
    void theClusterOptionForEastGetsEastsPodsAndForWestWestsPods() throws Exception {
        assertThat(addresses(ask(WEB, "east", null, false))).containsExactlyInAnyOrderElementsOf(EAST_WEB);
        assertThat(addresses(ask(WEB, "west", null, false))).containsExactlyInAnyOrderElementsOf(WEST_WEB);
    }

    @Test
    void theClusterOptionIsReadOverTcpToo() throws Exception {
        assertThat(addresses(ask(WEB, "west", null, true))).containsExactlyInAnyOrderElementsOf(WEST_WEB);
    }

    @Test
    void aSourceAddressInEastsNetworkGetsEastsPodsAndInWestsWestsPods() throws Exception {
        assertThat(addresses(ask(WEB, null, "127.0.0.2", false))).containsExactlyInAnyOrderElementsOf(EAST_WEB);
        assertThat(addresses(ask(WEB, null, "127.0.0.3", false))).containsExactlyInAnyOrderElementsOf(WEST_WEB);
        assertThat(addresses(ask(WEB, null, "127.0.0.3", true))).containsExactlyInAnyOrderElementsOf(WEST_WEB);
    }

    @Test
    void theClusterOptionWinsOverTheSourceAddress() throws Exception {
        assertThat(addresses(ask(WEB, "east", "127.0.0.3", false))).containsExactlyInAnyOrderElementsOf(EAST_WEB);
    }

    @Test
    void anUnmappedQuerierWithoutOptionGetsBothClusters() throws Exception {
        assertThat(addresses(ask(WEB, null, "127.0.0.1", false)))
                .containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2");
    }

    @Test
    void tenConsecutiveQueriesOfAFiveEndpointServiceStartWithAtLeastThreeAddresses() throws Exception {
        java.util.Set<String> first = new java.util.HashSet<>();
        for (int i = 0; i < 10; i++) {
            first.add(addresses(ask(WEB, null, "127.0.0.1", false)).get(0));
        }
        assertThat(first).as("every query rotates, none is frozen by a cache").hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void anOptionNamingAnUnknownClusterIsNoErrorAndCountsAsUnknown() throws Exception {
        Message response = ask(WEB, "north", "127.0.0.1", false);
        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(addresses(response)).hasSize(5);
        assertThat(addresses(ask(WEB, "north", "127.0.0.3", false))).containsExactlyInAnyOrderElementsOf(WEST_WEB);
    }

    @Test
    void aPolicyAnnotationOnTheServiceInOneClusterAppliesToTheGlobalName() throws Exception {
        ServiceKey key = ServiceKey.of("shop", "search");
        createService(
                demo.cluster("east").client(),
                "search",
                "10.96.0.30",
                KubernetesNames.POLICY_ANNOTATION,
                "round-robin");
        MeshObjects.slice(
                demo.cluster("east").client(),
                "shop",
                "search",
                "search-east-1",
                MeshObjects.pods("10.10.3.", 1, 1, true));
        MeshObjects.exported(demo.cluster("west").client(), "shop", "search", "10.97.0.30");
        MeshObjects.slice(
                demo.cluster("west").client(),
                "shop",
                "search",
                "search-west-1",
                MeshObjects.pods("10.20.3.", 1, 1, true));
        assertThat(server.awaitServed(readyIn(key, 2), Duration.ofSeconds(10))).isTrue();
        // local-first would answer west alone; round-robin answers every cluster
        assertThat(addresses(ask("search.shop.svc.clusterset.local.", "west", null, false)))
                .containsExactlyInAnyOrder("10.10.3.1", "10.20.3.1");
    }

    @Test
    void whenEastsPodsTurnNotReadyEastFailsOverToWestWithinOneSnapshotPublication() throws Exception {
        ServiceKey key = ServiceKey.of("shop", "api");
        String api = "api.shop.svc.clusterset.local.";
        KubernetesClient east = demo.cluster("east").client();
        MeshObjects.exported(east, "shop", "api", "10.96.0.20");
        MeshObjects.slice(east, "shop", "api", "api-east-1", MeshObjects.pods("10.10.2.", 1, 2, true));
        MeshObjects.exported(demo.cluster("west").client(), "shop", "api", "10.97.0.20");
        MeshObjects.slice(
                demo.cluster("west").client(), "shop", "api", "api-west-1", MeshObjects.pods("10.20.2.", 1, 2, true));
        assertThat(server.awaitServed(readyIn(key, 4), Duration.ofSeconds(10))).isTrue();
        assertThat(addresses(ask(api, "east", null, false))).containsExactlyInAnyOrder("10.10.2.1", "10.10.2.2");

        // Listeners run in order: once this one sees the publication, the server's listeners have run.
        CountDownLatch published = new CountDownLatch(1);
        server.mesh().addListener(snapshot -> {
            if (readyIn(key, ClusterId.of("east"), 0).test(snapshot)
                    && readyIn(key, 2).test(snapshot)) {
                published.countDown();
            }
        });
        MeshObjects.slice(east, "shop", "api", "api-east-1", MeshObjects.pods("10.10.2.", 1, 2, false));
        assertThat(published.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(addresses(ask(api, "east", null, false))).containsExactlyInAnyOrder("10.20.2.1", "10.20.2.2");
    }

    private static void createService(
            KubernetesClient client, String name, String ip, String annotation, String value) {
        Service svc = MeshObjects.service("shop", name, ip, true);
        svc.getMetadata().getAnnotations().put(annotation, value);
        client.services().resource(svc).create();
    }

    private static Predicate<MeshSnapshot> readyIn(ServiceKey key, int ready) {
        return snapshot -> {
            GlobalService s = snapshot.service(key);
            return s != null && s.endpoints().stream().filter(Endpoint::ready).count() == ready;
        };
    }

    private static Predicate<MeshSnapshot> readyIn(ServiceKey key, ClusterId cluster, int ready) {
        return snapshot -> {
            GlobalService s = snapshot.service(key);
            return s != null
                    && s.byCluster().containsKey(cluster)
                    && s.byCluster().get(cluster).endpoints().stream()
                                    .filter(Endpoint::ready)
                                    .count()
                            == ready;
        };
    }

    /** An A query for {@code name}, with the cluster option when {@code cluster} is given, from {@code source}. */
    private static Message ask(String name, String cluster, String source, boolean tcp) throws Exception {
        SimpleResolver resolver = new SimpleResolver(server.dnsAddress());
        resolver.setTCP(tcp);
        resolver.setTimeout(Duration.ofSeconds(3));
        if (source != null) {
            resolver.setLocalAddress(InetAddress.getByName(source));
        }
        List<EDNSOption> options = cluster == null
                ? List.of()
                : List.of(new GenericEDNSOption(0xff14, cluster.getBytes(StandardCharsets.US_ASCII)));
        resolver.setEDNS(0, 1232, 0, options);
        return resolver.send(Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN)));
    }

    private static List<String> addresses(Message response) {
        return response.getSection(Section.ANSWER).stream()
                .map(r -> ((ARecord) r).getAddress().getHostAddress())
                .toList();
    }
}
