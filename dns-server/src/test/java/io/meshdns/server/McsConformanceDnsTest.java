package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.EndpointSpec;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The DNS expectations of the MCS API conformance suite (kubernetes-sigs/mcs-api, {@code conformance/}:
 * {@code clusterip_service_dns.go}, {@code headless_service_dns.go}) and of the MCS DNS specification it
 * refers to (KEP-1645 {@code specification.md}, schema 1.0.0) for what the suite does not check, against
 * two mock clusters and the real server. Each test is named for the expectation it ports. As there, the
 * service {@code hello} has the ports {@code tcp} 42/TCP and {@code udp} 42/UDP, and every query comes from
 * a pod of each cluster: through that cluster's CoreDNS, which names the cluster in the EDNS0 option
 * 0xff14 that meshdns's generated stanza sets.
 */
class McsConformanceDnsTest {
    private static final String ZONE = "svc.clusterset.local.";
    private static final String NS = "conformance";
    /** ClusterIP, exported by both clusters; both import it with one ClusterSetIP. */
    private static final String HELLO = "hello." + NS + "." + ZONE;

    private static final String CLUSTER_SET_IP = "10.99.0.42";
    /** Headless, dual-stack, two ready pods without hostnames (a Deployment) in east and west, one not ready. */
    private static final String HEADLESS = "hello-headless." + NS + "." + ZONE;
    /** Headless, two ready pods with hostnames (a StatefulSet) in east and west. */
    private static final String STATEFUL = "hello-stateful." + NS + "." + ZONE;
    /** Headless, exported, with no ready pod. */
    private static final String IDLE = "hello-idle." + NS + "." + ZONE;
    /** ClusterIP, exported by east, unexported by the test that reads it. */
    private static final String LEAVING = "hello-leaving." + NS + "." + ZONE;

    private static final List<String> CLUSTERS = List.of("east", "west");

    @TempDir
    static Path dir;

    static MockCluster east;
    static MockCluster west;
    static MeshdnsServer server;

    @BeforeAll
    static void start() throws Exception {
        east = MockCluster.start("east", dir);
        west = MockCluster.start("west", dir);
        for (MockCluster c : List.of(east, west)) {
            c.installServiceExportCrd();
            c.installServiceImportCrd();
            c.namespace(NS);
            boolean isEast = c == east;
            String n = isEast ? "1" : "2";
            exported(c, hello("hello", "10.9" + n + ".0.42"));
            c.create(slice("hello", "hello-v4", "IPv4", List.of(pod("10." + n + ".0.1", true, null))));
            c.client()
                    .genericKubernetesResources(MeshObjects.SERVICE_IMPORTS)
                    .resource(MeshObjects.serviceImport(NS, "hello", List.of(CLUSTER_SET_IP)))
                    .create();

            exported(c, headless("hello-headless"));
            c.create(slice(
                    "hello-headless",
                    "hello-headless-v4",
                    "IPv4",
                    List.of(
                            pod("10." + n + ".1.1", true, null),
                            pod("10." + n + ".1.2", true, null),
                            pod("10." + n + ".1.3", false, null))));
            c.create(slice(
                    "hello-headless",
                    "hello-headless-v6",
                    "IPv6",
                    List.of(
                            pod("fd00::" + n + ":1:1", true, null),
                            pod("fd00::" + n + ":1:2", true, null),
                            pod("fd00::" + n + ":1:3", false, null))));

            exported(c, headless("hello-stateful"));
            c.create(slice(
                    "hello-stateful",
                    "hello-stateful-v4",
                    "IPv4",
                    List.of(pod("10." + n + ".2.1", true, "hello-0"), pod("10." + n + ".2.2", true, "hello-1"))));

            exported(c, headless("hello-idle"));
            c.create(slice("hello-idle", "hello-idle-v4", "IPv4", List.of(pod("10." + n + ".3.1", false, null))));
        }
        exported(east, hello("hello-leaving", "10.91.0.43"));
        east.create(slice("hello-leaving", "hello-leaving-v4", "IPv4", List.of(pod("10.1.4.1", true, null))));

        server = MeshdnsServer.start(
                ServerConfig.defaults()
                        .withDns("127.0.0.1", 0)
                        .withHttp("127.0.0.1", 0)
                        .withAdmin("127.0.0.1", 0),
                List.of(TwoClusterMesh.spec(east), TwoClusterMesh.spec(west)));
        assertThat(server.awaitServed(everyServiceIn(), Duration.ofSeconds(60)))
                .as("every service served")
                .isTrue();
    }

    private static Predicate<MeshSnapshot> everyServiceIn() {
        return s -> readyIn(s, "hello") == 2
                && readyIn(s, "hello-headless") == 8
                && readyIn(s, "hello-stateful") == 4
                && s.service(ServiceKey.of(NS, "hello-idle")) != null
                && readyIn(s, "hello-leaving") == 1
                && !s.service(ServiceKey.of(NS, "hello")).clusterSetIps().isEmpty();
    }

    private static long readyIn(MeshSnapshot s, String name) {
        GlobalService g = s.service(ServiceKey.of(NS, name));
        return g == null ? 0 : g.endpoints().stream().filter(e -> e.ready()).count();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        for (MockCluster c : new MockCluster[] {east, west}) {
            if (c != null) {
                c.close();
            }
        }
    }

    // ---- clusterip_service_dns.go ----

    @Test
    void aDnsLookupOfAClusterIpServicesClustersetNameResolvesToTheClusterSetIp() throws Exception {
        for (String cluster : CLUSTERS) {
            assertThat(addresses(ask(HELLO, Type.A, cluster)))
                    .as("from %s", cluster)
                    .containsExactly(CLUSTER_SET_IP);
        }
    }

    @Test
    void aDnsSrvQueryOfAClusterIpServicesClustersetNameReturnsValidSrvRecords() throws Exception {
        for (String cluster : CLUSTERS) {
            // Both ports are 42 with the service as target: one record, as nslookup lists it.
            assertThat(srv(ask(HELLO, Type.SRV, cluster)))
                    .as("from %s", cluster)
                    .containsExactly("42 " + HELLO);
        }
    }

    /** meshdns is not authoritative for cluster.local: each cluster's own DNS answers its local services. */
    @Test
    void dnsLookupsOfAClusterIpServicesClusterLocalNameOnlyResolveLocalServices() throws Exception {
        for (String cluster : CLUSTERS) {
            Message m = ask("hello." + NS + ".svc.cluster.local.", Type.A, cluster);
            assertThat(m.getRcode()).as("from %s", cluster).isEqualTo(Rcode.REFUSED);
            assertThat(m.getSection(Section.ANSWER)).isEmpty();
        }
    }

    // ---- headless_service_dns.go ----

    @Test
    void aDnsQueryOfAHeadlessServicesClustersetNameReturnsTheReadyEndpointAddressesOfAllTheBackingPods()
            throws Exception {
        for (String cluster : CLUSTERS) {
            assertThat(addresses(ask(HEADLESS, Type.A, cluster)))
                    .as("A from %s", cluster)
                    .containsExactly("10.1.1.1", "10.1.1.2", "10.2.1.1", "10.2.1.2");
            assertThat(addresses(ask(HEADLESS, Type.AAAA, cluster)))
                    .as("AAAA from %s", cluster)
                    .containsExactly(
                            "fd00:0:0:0:0:1:1:1", "fd00:0:0:0:0:1:1:2", "fd00:0:0:0:0:2:1:1", "fd00:0:0:0:0:2:1:2");
        }
    }

    @Test
    void aDnsQueryOfAHeadlessStatefulSetPodsHostnameClusterIdNameReturnsTheRequestedPodsEndpointAddress()
            throws Exception {
        for (String cluster : CLUSTERS) {
            for (String owner : CLUSTERS) {
                String n = owner.equals("east") ? "1" : "2";
                assertThat(addresses(ask("hello-0." + owner + "." + STATEFUL, Type.A, cluster)))
                        .containsExactly("10." + n + ".2.1");
                assertThat(addresses(ask("hello-1." + owner + "." + STATEFUL, Type.A, cluster)))
                        .containsExactly("10." + n + ".2.2");
            }
        }
    }

    /**
     * One record per ready endpoint of each family (the pods have no hostname: each address has the name
     * derived from it), the target starting with that name, the port the service's.
     */
    @Test
    void aDnsSrvQueryOfAHeadlessServicesClustersetNameReturnsValidSrvRecords() throws Exception {
        List<String> hostnames = List.of(
                "10-1-1-1",
                "10-1-1-2",
                "10-2-1-1",
                "10-2-1-2",
                "fd00--1-1-1",
                "fd00--1-1-2",
                "fd00--2-1-1",
                "fd00--2-1-2");
        for (String cluster : CLUSTERS) {
            List<String> records = srv(ask(HEADLESS, Type.SRV, cluster));
            assertThat(records).as("from %s", cluster).hasSize(hostnames.size());
            for (String hostname : hostnames) {
                assertThat(records).as("from %s", cluster).anyMatch(r -> r.startsWith("42 " + hostname + "."));
            }
        }
    }

    // ---- the MCS DNS specification (KEP-1645 specification.md), beyond the suite ----

    /** 2.2: the schema version record. */
    @Test
    void theDnsVersionTxtRecordHoldsTheSchemaVersion() throws Exception {
        Message m = ask("dns-version.clusterset.local.", Type.TXT, "east");
        assertThat(m.getSection(Section.ANSWER))
                .singleElement()
                .satisfies(r -> assertThat(((TXTRecord) r).getStrings()).containsExactly("1.0.0"));
    }

    /** 2.3.4: no record disambiguating a ClusterSetIP service to one cluster's backends. */
    @Test
    void aClusterSetIpServiceHasNoClusterIdServiceName() throws Exception {
        for (String cluster : CLUSTERS) {
            assertThat(ask("east." + HELLO, Type.A, cluster).getRcode())
                    .as("from %s", cluster)
                    .isEqualTo(Rcode.NXDOMAIN);
        }
    }

    /** 2.4.1: a headless service with no ready endpoint is NXDOMAIN. */
    @Test
    void aHeadlessServiceWithNoReadyEndpointIsNxdomain() throws Exception {
        assertThat(ask(IDLE, Type.A, "east").getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    /** 2.4.2: N ready endpoints and M named ports are N x M SRV records, one name per port. */
    @Test
    void aHeadlessServiceHasAnSrvRecordPerReadyEndpointAndNamedPort() throws Exception {
        for (String port : List.of("_tcp._tcp.", "_udp._udp.")) {
            assertThat(srv(ask(port + STATEFUL, Type.SRV, "west")))
                    .containsExactlyInAnyOrder(
                            "42 hello-0.east." + STATEFUL, "42 hello-1.east." + STATEFUL,
                            "42 hello-0.west." + STATEFUL, "42 hello-1.west." + STATEFUL);
        }
    }

    /** The names of a service that is exported by no cluster any more do not exist. */
    @Test
    void aServiceUnexportedFromEveryClusterIsNxdomain() throws Exception {
        assertThat(addresses(ask(LEAVING, Type.A, "east"))).containsExactly("10.1.4.1");
        east.unexport(NS, "hello-leaving");
        assertThat(server.awaitServed(
                        s -> s.service(ServiceKey.of(NS, "hello-leaving")) == null, Duration.ofSeconds(30)))
                .isTrue();
        for (String cluster : CLUSTERS) {
            assertThat(ask(LEAVING, Type.A, cluster).getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(ask("_tcp._tcp." + LEAVING, Type.SRV, cluster).getRcode())
                    .isEqualTo(Rcode.NXDOMAIN);
        }
    }

    // ---- the objects, as the suite's k8s_objects.go shapes them ----

    /** A ClusterIP Service with the ports tcp 42/TCP and udp 42/UDP. */
    private static Service hello(String name, String clusterIp) {
        return new ServiceBuilder(MeshObjects.service(NS, name, clusterIp, false))
                .editSpec()
                .withPorts(
                        new ServicePortBuilder()
                                .withName("tcp")
                                .withPort(42)
                                .withProtocol("TCP")
                                .build(),
                        new ServicePortBuilder()
                                .withName("udp")
                                .withPort(42)
                                .withProtocol("UDP")
                                .build())
                .endSpec()
                .build();
    }

    private static Service headless(String name) {
        return new ServiceBuilder(hello(name, "None"))
                .editSpec()
                .withClusterIP("None")
                .withClusterIPs("None")
                .endSpec()
                .build();
    }

    private static void exported(MockCluster cluster, Service service) {
        cluster.create(service);
        cluster.export(NS, service.getMetadata().getName());
    }

    private static EndpointSpec pod(String ip, boolean ready, String hostname) {
        return new EndpointSpec(ip, ready, hostname);
    }

    /** An EndpointSlice with the ports tcp 42/TCP and udp 42/UDP, as the controller writes them. */
    private static io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice slice(
            String service, String name, String addressType, List<EndpointSpec> pods) {
        var slice = MeshObjects.sliceOf(NS, service, name, addressType, "tcp", 42, pods);
        slice.getPorts()
                .add(new io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder()
                        .withName("udp")
                        .withPort(42)
                        .withProtocol("UDP")
                        .build());
        return slice;
    }

    // ---- queries, as a pod of {@code cluster} sends them through its CoreDNS ----

    private static Message ask(String name, int type, String cluster) throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        query.addRecord(
                new OPTRecord(
                        1232,
                        0,
                        0,
                        0,
                        List.of(new GenericEDNSOption(0xff14, cluster.getBytes(StandardCharsets.US_ASCII)))),
                Section.ADDITIONAL);
        try (Socket tcp =
                new Socket(server.dnsAddress().getAddress(), server.dnsAddress().getPort())) {
            return DnsClient.query(tcp, query);
        }
    }

    /** The addresses answered, sorted, as the suite's matcher compares them. */
    private static List<String> addresses(Message m) {
        Set<String> out = new TreeSet<>();
        for (Record r : m.getSection(Section.ANSWER)) {
            if (r.getType() == Type.A || r.getType() == Type.AAAA) {
                out.add(addressOf(r).getHostAddress());
            }
        }
        return new ArrayList<>(out);
    }

    private static InetAddress addressOf(Record r) {
        return r instanceof org.xbill.DNS.ARecord a ? a.getAddress() : ((org.xbill.DNS.AAAARecord) r).getAddress();
    }

    /** Port and target of each SRV record: what the suite reads from nslookup. */
    private static List<String> srv(Message m) {
        List<String> out = new ArrayList<>();
        for (Record r : m.getSection(Section.ANSWER)) {
            SRVRecord s = (SRVRecord) r;
            out.add(s.getPort() + " " + s.getTarget());
        }
        return out;
    }
}
