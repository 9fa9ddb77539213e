package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.core.KubernetesNames;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.EndpointSpec;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Every answer is an address and port a client can connect to: one row per Service shape, each asserting
 * the exact records over real DNS, against two mock API servers. {@code east} routes pod and service IPs
 * ({@code [pod, clusterIP]}), {@code west} only pod IPs ({@code [pod]}); the default policy is round-robin
 * so that a service's own traffic settings show. Pods are 10.1.R.x in east and 10.2.R.x in west, ClusterIPs
 * 10.96.R.1 and 10.97.R.1, for row R.
 */
class ConnectableAnswersTest {
    private static final String ZONE = ".svc.clusterset.local.";

    @TempDir
    static Path dir;

    private static MockCluster east;
    private static MockCluster west;
    private static MeshdnsServer server;

    /** One query and the exact records (or rcode) it must get. */
    record Row(String behaviour, String name, int type, String querier, List<String> expected) {
        @Override
        public String toString() {
            return behaviour;
        }
    }

    static Stream<Row> rows() {
        return Stream.of(
                row(
                        "port equal: every cluster's pod IPs",
                        "web.equal",
                        Type.A,
                        null,
                        "10.1.1.1",
                        "10.1.1.2",
                        "10.2.1.1"),
                row(
                        "port equal: SRV carries the Service port, targets the service",
                        "_http._tcp.web.equal",
                        Type.SRV,
                        null,
                        "0 100 80 web.equal" + ZONE),
                row(
                        "port differs: [pod, clusterIP] answers its ClusterIP, [pod] is left out",
                        "web.differs",
                        Type.A,
                        null,
                        "10.96.2.1"),
                row(
                        "port differs: SRV keeps the Service port, which the ClusterIP serves",
                        "_http._tcp.web.differs",
                        Type.SRV,
                        null,
                        "0 100 80 web.differs" + ZONE),
                row(
                        "named targetPort resolved to the port: pod IPs",
                        "web.named",
                        Type.A,
                        null,
                        "10.2.3.1",
                        "10.2.3.2"),
                row(
                        "named targetPort resolved to another port in a [pod] cluster: no address",
                        "web.named-other",
                        Type.A,
                        null,
                        "NOERROR"),
                row(
                        "named targetPort no EndpointSlice port carries: never guessed",
                        "web.named-missing",
                        Type.A,
                        null,
                        "NOERROR"),
                row("port differs only in west: east's pods, west left out", "web.mixed", Type.A, null, "10.1.5.1"),
                row(
                        "port differs only in west: SRV only while answered, with east's port",
                        "_http._tcp.web.mixed",
                        Type.SRV,
                        null,
                        "0 100 80 web.mixed" + ZONE),
                row(
                        "headless: SRV per pod with its own EndpointSlice port",
                        "_pg._tcp.db.stateful",
                        Type.SRV,
                        null,
                        "0 50 5432 db-0.east.db.stateful" + ZONE,
                        "0 50 6432 db-0.west.db.stateful" + ZONE),
                row("headless: pod IPs whatever the ports", "db.stateful", Type.A, null, "10.1.6.1", "10.2.6.1"),
                row(
                        "ClusterSetIP: a querier whose cluster imports the service gets the ClusterSetIP",
                        "web.imported",
                        Type.A,
                        "west",
                        "10.99.8.1"),
                row(
                        "ClusterSetIP: a querier of a cluster without ServiceImport gets the pods",
                        "web.imported",
                        Type.A,
                        "east",
                        "10.1.8.1",
                        "10.2.8.1"),
                row(
                        "ClusterSetIP: an unknown querier gets the pods",
                        "web.imported",
                        Type.A,
                        null,
                        "10.1.8.1",
                        "10.2.8.1"),
                row(
                        "ClusterSetIP: answered with no ready pod anywhere",
                        "web.imported-idle",
                        Type.A,
                        "west",
                        "10.99.9.1"),
                row(
                        "ClusterSetIP: no ready pod and no import: no address",
                        "web.imported-idle",
                        Type.A,
                        null,
                        "NOERROR"),
                row(
                        "ClusterSetIP: a malformed ServiceImport IP is ignored, the rest used",
                        "web.imported-bad",
                        Type.A,
                        "west",
                        "10.99.10.2"),
                row("ExternalName exported: not answered (KEP-1645)", "docs.external", Type.A, null, "NXDOMAIN"),
                row("ExternalName exported: no CNAME either", "docs.external", Type.CNAME, null, "NXDOMAIN"),
                row(
                        "headless/ClusterIP conflict: the oldest export (ClusterIP in east) decides",
                        "web.conflict",
                        Type.A,
                        null,
                        "10.1.11.1"),
                row(
                        "headless/ClusterIP conflict: the later headless cluster has no per-pod names",
                        "w-0.west.web.conflict",
                        Type.A,
                        null,
                        "NXDOMAIN"),
                row(
                        "publishNotReadyAddresses: not-ready pods are answered",
                        "web.notready",
                        Type.A,
                        null,
                        "10.2.12.1",
                        "10.2.12.2"),
                row(
                        "without publishNotReadyAddresses: not-ready pods are not",
                        "web.notready-hidden",
                        Type.A,
                        null,
                        "NOERROR"),
                row(
                        "trafficDistribution PreferClose: east's querier gets east",
                        "web.close",
                        Type.A,
                        "east",
                        "10.1.14.1"),
                row(
                        "trafficDistribution PreferClose: west's querier gets west",
                        "web.close",
                        Type.A,
                        "west",
                        "10.2.14.1"),
                row("internalTrafficPolicy Local: west's querier gets west", "web.local", Type.A, "west", "10.2.15.1"),
                row(
                        "no traffic setting: the default policy (round-robin) answers every cluster",
                        "web.equal",
                        Type.A,
                        "east",
                        "10.1.1.1",
                        "10.1.1.2",
                        "10.2.1.1"));
    }

    private static Row row(String behaviour, String name, int type, String querier, String... expected) {
        return new Row(behaviour, name + ZONE, type, querier, List.of(expected));
    }

    @BeforeAll
    static void start() throws Exception {
        east = MockCluster.start("east", dir);
        west = MockCluster.start("west", dir);
        for (MockCluster c : List.of(east, west)) {
            c.installServiceImportCrd();
        }
        seed(east.client(), west.client());
        Files.writeString(dir.resolve("meshdns.yaml"), """
        dns: {bind: 127.0.0.1, port: 0}
        loadBalancing: {policy: round-robin}
        clusters:
          - id: east
            kubeconfig: east.kubeconfig
            reachability: [pod, clusterIP]
          - id: west
            kubeconfig: west.kubeconfig
            reachability: pod
        """);
        ServerConfig cfg = ConfigLoader.load(dir.resolve("meshdns.yaml"));
        server = MeshdnsServer.start(cfg.withHttp("127.0.0.1", 0).withAdmin("127.0.0.1", 0), cfg.clusterSpecs(dir));
        // Every row's service, the two ServiceImports (in west) and the ExternalName (reported, not answered).
        assertThat(server.awaitServed(
                        s -> s.services().size() == 18
                                && s.service(ServiceKey.of("imported", "web"))
                                                .clusterSetIps()
                                                .size()
                                        == 1
                                && s.service(ServiceKey.of("imported-idle", "web"))
                                                .clusterSetIps()
                                                .size()
                                        == 1
                                && s.service(ServiceKey.of("imported-bad", "web"))
                                                .clusterSetIps()
                                                .size()
                                        == 1,
                        Duration.ofSeconds(30)))
                .as("every row's service served")
                .isTrue();
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void answersOnlyConnectableAddressesAndPorts(Row row) throws Exception {
        assertThat(records(ask(row.name(), row.type(), row.querier())))
                .containsExactlyInAnyOrderElementsOf(row.expected());
    }

    @Test
    void aDualStackServiceAnswersTheSamePodsInANdAaaaUnderTheCap() throws Exception {
        // 10 dual-stack pods in west, answer cap 4: the n-th A and the n-th AAAA answer name the same pods. The
        // capped subset is chosen once per second of the clock, so a pair asked across a second's end is asked again.
        String name = "web.dual" + ZONE;
        for (int round = 0; round < 4; ) {
            long second = System.currentTimeMillis() / 1000;
            List<String> a = pods(ask(name, Type.A, null));
            List<String> aaaa = pods(ask(name, Type.AAAA, null));
            if (System.currentTimeMillis() / 1000 != second) {
                continue;
            }
            assertThat(a).hasSize(4);
            assertThat(aaaa).containsExactlyInAnyOrderElementsOf(a);
            round++;
        }
    }

    @Test
    void aLargeHeadlessServicesSrvAnswerFollowsTheCapOfANeverEmptyOverTcp() throws Exception {
        // 1,000 pods, cap 256: SRV names 256 of them over TCP, not a truncated empty answer.
        Message srv = ask("_pg._tcp.db.big" + ZONE, Type.SRV, null, true);
        assertThat(srv.getHeader().getFlag(org.xbill.DNS.Flags.TC)).isFalse();
        assertThat(srv.getSection(Section.ANSWER)).hasSize(256).allMatch(r -> ((SRVRecord) r).getPort() == 5432);
        assertThat(records(ask("db.big" + ZONE, Type.A, null, true))).hasSize(256);
    }

    @Test
    void theStatusApiNamesTheReasonAClusterIsLeftOut() throws Exception {
        String body = new HttpFetch(server.adminAddress()).get("/api/services").body();
        assertThat(body).contains("port 80 -> 8080 needs clusterIP reachability");
        assertThat(body).contains("port 80 -> 8080: answered with the ClusterIP");
        assertThat(body).contains("ExternalName services cannot be exported");
        assertThat(body).contains("conflict: headless here, ClusterIP in east");
    }

    @Test
    void theUnreachableGaugeCountsTheLeftOutClustersPerService() throws Exception {
        String metrics = new HttpFetch(server.httpAddress()).get("/metrics").body();
        assertThat(metrics).contains("meshdns_service_clusters_unreachable{namespace=\"differs\",service=\"web\"} 1.0");
        assertThat(metrics)
                .contains("meshdns_service_clusters_unreachable{namespace=\"conflict\",service=\"web\"} 1.0");
        assertThat(metrics).doesNotContain("meshdns_service_clusters_unreachable{namespace=\"equal\"");
    }

    // ---- the rows' objects ----

    private static void seed(KubernetesClient e, KubernetesClient w) throws InterruptedException {
        // 1: targetPort equal to the port (explicit), both clusters
        both(e, w, "equal", 1, new IntOrString(80));
        slice(e, "equal", "web", "e", "http", 80, pods("10.1.1.", 2));
        slice(w, "equal", "web", "w", "http", 80, pods("10.2.1.", 1));
        // 2: 80 -> 8080 in both
        both(e, w, "differs", 2, new IntOrString(8080));
        slice(e, "differs", "web", "e", "http", 8080, pods("10.1.2.", 2));
        slice(w, "differs", "web", "w", "http", 8080, pods("10.2.2.", 2));
        // 3, 4, 4b: named targetPorts, west only
        create(w, service("named", "web", "10.97.3.1", new IntOrString("web-port")));
        slice(w, "named", "web", "w", "http", 80, pods("10.2.3.", 2));
        create(w, service("named-other", "web", "10.97.4.1", new IntOrString("web-port")));
        slice(w, "named-other", "web", "w", "http", 8080, pods("10.2.4.", 2));
        create(w, service("named-missing", "web", "10.97.13.1", new IntOrString("web-port")));
        slice(w, "named-missing", "web", "w", "metrics", 9090, pods("10.2.13.", 2));
        // 5: equal in east, 80 -> 8080 in west
        create(e, service("mixed", "web", "10.96.5.1", null));
        slice(e, "mixed", "web", "e", "http", 80, pods("10.1.5.", 1));
        create(w, service("mixed", "web", "10.97.5.1", new IntOrString(8080)));
        slice(w, "mixed", "web", "w", "http", 8080, pods("10.2.5.", 1));
        // 6: headless whose pods listen on different ports in each cluster
        create(e, headless("stateful", "db", "pg", 5432));
        create(w, headless("stateful", "db", "pg", 5432));
        slice(e, "stateful", "db", "e", "pg", 5432, List.of(pod("10.1.6.1", true, "db-0")));
        slice(w, "stateful", "db", "w", "pg", 6432, List.of(pod("10.2.6.1", true, "db-0")));
        // 7: ten dual-stack pods in west, cap 4
        create(
                w,
                new ServiceBuilder(service("dual", "web", "10.97.7.1", null))
                        .editMetadata()
                        .addToAnnotations(KubernetesNames.MAX_ANSWERS_ANNOTATION, "4")
                        .endMetadata()
                        .build());
        List<String[]> v4 = new ArrayList<>();
        List<String[]> v6 = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            v4.add(new String[] {"10.2.7." + i, "pod-" + i});
            v6.add(new String[] {"fd00::7:" + Integer.toHexString(i), "pod-" + i});
        }
        w.discovery()
                .v1()
                .endpointSlices()
                .resource(dualSlice("dual", "web", "w4", "IPv4", v4))
                .create();
        w.discovery()
                .v1()
                .endpointSlices()
                .resource(dualSlice("dual", "web", "w6", "IPv6", v6))
                .create();
        // 8, 8b, 8c: ServiceImports with ClusterSetIPs in west
        both(e, w, "imported", 8, null);
        slice(e, "imported", "web", "e", "http", 80, pods("10.1.8.", 1));
        slice(w, "imported", "web", "w", "http", 80, pods("10.2.8.", 1));
        serviceImport(w, "imported", "web", List.of("10.99.8.1"));
        create(e, service("imported-idle", "web", "10.96.9.1", null));
        serviceImport(w, "imported-idle", "web", List.of("10.99.9.1"));
        create(e, service("imported-bad", "web", "10.96.10.1", null));
        slice(e, "imported-bad", "web", "e", "http", 80, pods("10.1.10.", 1));
        serviceImport(w, "imported-bad", "web", List.of("not-an-ip", "10.99.10.2"));
        // 9: an exported ExternalName service
        namespace(e, "external");
        e.services()
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withNamespace("external")
                        .withName("docs")
                        .addToAnnotations(KubernetesNames.EXPORT_ANNOTATION, "true")
                        .endMetadata()
                        .withNewSpec()
                        .withType("ExternalName")
                        .withExternalName("docs.example.com")
                        .endSpec()
                        .build())
                .create();
        // 10: ClusterIP in east first, headless in west a second later (creation times have whole seconds)
        create(e, service("conflict", "web", "10.96.11.1", null));
        slice(e, "conflict", "web", "e", "http", 80, pods("10.1.11.", 1));
        Thread.sleep(1100);
        create(w, headless("conflict", "web", "http", 80));
        slice(w, "conflict", "web", "w", "http", 80, List.of(pod("10.2.11.1", true, "w-0")));
        // a large headless service: 1,000 pods in west, answer cap 256
        create(
                w,
                new ServiceBuilder(headless("big", "db", "pg", 5432))
                        .editMetadata()
                        .addToAnnotations(KubernetesNames.MAX_ANSWERS_ANNOTATION, "256")
                        .endMetadata()
                        .build());
        List<EndpointSpec> many = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            many.add(pod("10.3." + (i / 250) + "." + (i % 250 + 1), true, "db-" + i));
        }
        slice(w, "big", "db", "w", "pg", 5432, many);
        // 11, 11b: not-ready pods, published or not
        create(
                w,
                new ServiceBuilder(service("notready", "web", "10.97.12.1", null))
                        .editSpec()
                        .withPublishNotReadyAddresses(true)
                        .endSpec()
                        .build());
        slice(
                w,
                "notready",
                "web",
                "w",
                "http",
                80,
                List.of(pod("10.2.12.1", false, null), pod("10.2.12.2", false, null)));
        create(w, service("notready-hidden", "web", "10.97.16.1", null));
        slice(w, "notready-hidden", "web", "w", "http", 80, List.of(pod("10.2.16.1", false, null)));
        // 12, 12b: the Service's own traffic settings
        for (KubernetesClient c : List.of(e, w)) {
            boolean isEast = c == e;
            create(
                    c,
                    new ServiceBuilder(service("close", "web", isEast ? "10.96.14.1" : "10.97.14.1", null))
                            .editSpec()
                            .withTrafficDistribution("PreferClose")
                            .endSpec()
                            .build());
            slice(c, "close", "web", isEast ? "e" : "w", "http", 80, pods(isEast ? "10.1.14." : "10.2.14.", 1));
            create(
                    c,
                    new ServiceBuilder(service("local", "web", isEast ? "10.96.15.1" : "10.97.15.1", null))
                            .editSpec()
                            .withInternalTrafficPolicy("Local")
                            .endSpec()
                            .build());
            slice(c, "local", "web", isEast ? "e" : "w", "http", 80, pods(isEast ? "10.1.15." : "10.2.15.", 1));
        }
    }

    /** The row's Service in both clusters, ClusterIPs 10.96.R.1 and 10.97.R.1. */
    private static void both(KubernetesClient e, KubernetesClient w, String ns, int row, IntOrString target) {
        create(e, service(ns, "web", "10.96." + row + ".1", target));
        create(w, service(ns, "web", "10.97." + row + ".1", target));
    }

    private static void create(KubernetesClient client, Service service) {
        namespace(client, service.getMetadata().getNamespace());
        client.services().resource(service).create();
    }

    private static void namespace(KubernetesClient client, String ns) {
        client.namespaces().resource(MeshObjects.namespace(ns)).createOr(existing -> existing.update());
    }

    /** An exported ClusterIP Service with port {@code http} 80 and the given targetPort ({@code null}: unset). */
    private static Service service(String ns, String name, String clusterIp, IntOrString targetPort) {
        return MeshObjects.withTargetPort(MeshObjects.service(ns, name, clusterIp, true), targetPort);
    }

    private static Service headless(String ns, String name, String portName, int port) {
        return MeshObjects.headless(MeshObjects.service(ns, name, "None", true), portName, port);
    }

    private static EndpointSpec pod(String ip, boolean ready, String hostname) {
        return new EndpointSpec(ip, ready, hostname);
    }

    private static List<EndpointSpec> pods(String prefix, int count) {
        return MeshObjects.pods(prefix, 1, count, true);
    }

    private static void slice(
            KubernetesClient client,
            String ns,
            String service,
            String suffix,
            String portName,
            int port,
            List<EndpointSpec> pods) {
        client.discovery()
                .v1()
                .endpointSlices()
                .resource(MeshObjects.sliceOf(ns, service, service + "-" + suffix, portName, port, pods))
                .create();
    }

    /** A slice of one family whose endpoints name their pod ({@code targetRef}), as the controller writes it. */
    private static EndpointSlice dualSlice(
            String ns, String service, String suffix, String family, List<String[]> ipAndPod) {
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(service + "-" + suffix)
                .addToLabels(KubernetesNames.SERVICE_NAME_LABEL, service)
                .endMetadata()
                .withAddressType(family)
                .addNewPort()
                .withName("http")
                .withPort(80)
                .withProtocol("TCP")
                .endPort()
                .withEndpoints(ipAndPod.stream()
                        .map(p -> new EndpointBuilder()
                                .withAddresses(p[0])
                                .withNewTargetRef()
                                .withKind("Pod")
                                .withNamespace(ns)
                                .withName(p[1])
                                .endTargetRef()
                                .withNewConditions()
                                .withReady(true)
                                .withServing(true)
                                .withTerminating(false)
                                .endConditions()
                                .build())
                        .toList())
                .build();
    }

    private static void serviceImport(KubernetesClient client, String ns, String name, List<String> ips) {
        namespace(client, ns);
        client.genericKubernetesResources(MeshObjects.SERVICE_IMPORTS)
                .resource(MeshObjects.serviceImport(ns, name, ips))
                .create();
    }

    // ---- DNS ----

    /** A query over UDP, with the EDNS0 cluster option CoreDNS adds when {@code querier} is given. */
    private static Message ask(String name, int type, String querier) throws Exception {
        return ask(name, type, querier, false);
    }

    private static Message ask(String name, int type, String querier, boolean tcp) throws Exception {
        SimpleResolver resolver = new SimpleResolver(server.dnsAddress());
        resolver.setTCP(tcp);
        resolver.setTimeout(Duration.ofSeconds(3));
        List<EDNSOption> options = querier == null
                ? List.of()
                : List.of(new GenericEDNSOption(0xff14, querier.getBytes(StandardCharsets.US_ASCII)));
        resolver.setEDNS(0, 1232, 0, options);
        return resolver.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    /** The answer's records as text (addresses, SRV data), or its rcode when the answer section is empty. */
    private static List<String> records(Message response) {
        List<String> out = new ArrayList<>();
        for (Record r : response.getSection(Section.ANSWER)) {
            if (r instanceof ARecord a) {
                out.add(a.getAddress().getHostAddress());
            } else if (r instanceof AAAARecord a) {
                out.add(a.getAddress().getHostAddress());
            } else if (r instanceof SRVRecord s) {
                out.add(s.getPriority() + " " + s.getWeight() + " " + s.getPort() + " " + s.getTarget());
            } else {
                out.add(Type.string(r.getType()) + " " + r.rdataToString());
            }
        }
        return out.isEmpty() ? List.of(Rcode.string(response.getRcode())) : out;
    }

    private static final Map<String, String> POD_OF = new HashMap<>();

    static {
        for (int i = 1; i <= 10; i++) {
            POD_OF.put("10.2.7." + i, "pod-" + i);
            POD_OF.put(hostAddress("fd00::7:" + Integer.toHexString(i)), "pod-" + i);
        }
    }

    private static String hostAddress(String ip) {
        try {
            return InetAddress.getByName(ip).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    /** The pods behind an A or AAAA answer of the dual-stack row. */
    private static List<String> pods(Message response) {
        return records(response).stream().map(ip -> POD_OF.getOrDefault(ip, ip)).toList();
    }
}
