package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.exported;
import static io.meshdns.testkit.MeshObjects.headless;
import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.service;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.meshdns.core.KubernetesNames;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.EndpointSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Every name form of the zone and its reverse zones, asked over UDP and TCP of a two-cluster mesh. */
class ZoneNamesTest {
    static final String Z = "clusterset.local.";

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        ServerConfig config = ConfigLoader.parse("test", "reverseZones: [10.10.0.0/16, 10.20.0.0/16]\n");
        mesh = new TwoClusterMesh(kubeconfigs, config);
        var east = mesh.east();
        var west = mesh.west();
        exported(east, "shop", "web", "10.96.0.10");
        slice(east, "shop", "web", "web-east", pods("10.10.1.", 1, 3, true));
        exported(west, "shop", "web", "10.97.0.10");
        List<EndpointSpec> westWeb = new ArrayList<>(pods("10.20.1.", 1, 2, true));
        westWeb.add(new EndpointSpec("10.20.1.3", false));
        slice(west, "shop", "web", "web-west", westWeb);

        east.services()
                .resource(headless(service("shop", "db", "None", true), "postgres", 5432))
                .create();
        slice(
                east,
                "shop",
                "db",
                "db-east",
                "postgres",
                5432,
                List.of(new EndpointSpec("10.10.3.1", true, "db-0"), new EndpointSpec("10.10.3.2", true, "db-1")));
        west.services()
                .resource(headless(service("shop", "db", "None", true), "postgres", 5432))
                .create();
        slice(west, "shop", "db", "db-west", "postgres", 5432, List.of(new EndpointSpec("10.20.3.1", true)));

        east.services()
                .resource(headless(service("shop", "gone", "None", true), "http", 80))
                .create();
        slice(east, "shop", "gone", "gone-east", pods("10.10.4.", 1, 2, false));

        east.services()
                .resource(new ServiceBuilder(service("shop", "docs", null, true))
                        .editSpec()
                        .withType("ExternalName")
                        .withExternalName("docs.example.com")
                        .withClusterIP(null)
                        .withClusterIPs((List<String>) null)
                        .withPorts(List.of())
                        .endSpec()
                        .build())
                .create();

        exported(east, "shop", "v6", "fd00:96::10");
        east.discovery()
                .v1()
                .endpointSlices()
                .resource(new EndpointSliceBuilder()
                        .withNewMetadata()
                        .withNamespace("shop")
                        .withName("v6-east")
                        .addToLabels(KubernetesNames.SERVICE_NAME_LABEL, "v6")
                        .endMetadata()
                        .withAddressType("IPv6")
                        .addNewEndpoint()
                        .withAddresses("fd00:10::1")
                        .withNewConditions()
                        .withReady(true)
                        .endConditions()
                        .endEndpoint()
                        .build())
                .create();

        mesh.server.awaitServed(
                s -> s.services().size() == 5
                        && s.services().values().stream()
                                        .mapToInt(g -> g.endpoints().size())
                                        .sum()
                                == 12,
                Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    static Stream<Arguments> names() {
        return Stream.of(
                row("dns-version." + Z, Type.TXT, Rcode.NOERROR, "1.0.0"),
                row(Z, Type.NS, Rcode.NOERROR, "ns." + Z),
                row(
                        "web.shop.svc." + Z,
                        Type.A,
                        Rcode.NOERROR,
                        "10.10.1.1",
                        "10.10.1.2",
                        "10.10.1.3",
                        "10.20.1.1",
                        "10.20.1.2"),
                row("web.shop.svc." + Z, Type.AAAA, Rcode.NOERROR),
                row(
                        "web.shop.svc." + Z,
                        Type.ANY,
                        Rcode.NOERROR,
                        "10.10.1.1",
                        "10.10.1.2",
                        "10.10.1.3",
                        "10.20.1.1",
                        "10.20.1.2"),
                row("v6.shop.svc." + Z, Type.AAAA, Rcode.NOERROR, "fd00:10:0:0:0:0:0:1"),
                row("v6.shop.svc." + Z, Type.A, Rcode.NOERROR),
                row("db.shop.svc." + Z, Type.A, Rcode.NOERROR, "10.10.3.1", "10.10.3.2", "10.20.3.1"),
                row("db-0.east.db.shop.svc." + Z, Type.A, Rcode.NOERROR, "10.10.3.1"),
                row("db-1.east.db.shop.svc." + Z, Type.A, Rcode.NOERROR, "10.10.3.2"),
                row("10-20-3-1.west.db.shop.svc." + Z, Type.A, Rcode.NOERROR, "10.20.3.1"),
                row("db-0.west.db.shop.svc." + Z, Type.A, Rcode.NXDOMAIN),
                row("east.db.shop.svc." + Z, Type.A, Rcode.NOERROR),
                row("east.web.shop.svc." + Z, Type.A, Rcode.NXDOMAIN),
                row(
                        "_postgres._tcp.db.shop.svc." + Z,
                        Type.SRV,
                        Rcode.NOERROR,
                        "0 33 5432 db-0.east.db.shop.svc." + Z,
                        "0 33 5432 db-1.east.db.shop.svc." + Z,
                        "0 33 5432 10-20-3-1.west.db.shop.svc." + Z),
                row("_http._tcp.web.shop.svc." + Z, Type.SRV, Rcode.NOERROR, "0 100 80 web.shop.svc." + Z),
                row("_tcp.web.shop.svc." + Z, Type.SRV, Rcode.NOERROR),
                row("_grpc._tcp.web.shop.svc." + Z, Type.SRV, Rcode.NXDOMAIN),
                row("docs.shop.svc." + Z, Type.A, Rcode.NXDOMAIN), // an ExternalName export is invalid (KEP-1645)
                row("gone.shop.svc." + Z, Type.A, Rcode.NXDOMAIN),
                row("svc." + Z, Type.A, Rcode.NOERROR),
                row("shop.svc." + Z, Type.A, Rcode.NOERROR),
                row("payments.shop.svc." + Z, Type.A, Rcode.NXDOMAIN),
                row("1.3.10.10.in-addr.arpa.", Type.PTR, Rcode.NOERROR, "db-0.east.db.shop.svc." + Z),
                row("1.3.20.10.in-addr.arpa.", Type.PTR, Rcode.NOERROR, "10-20-3-1.west.db.shop.svc." + Z),
                row("2.1.10.10.in-addr.arpa.", Type.PTR, Rcode.NOERROR, "web.shop.svc." + Z),
                row("9.9.10.10.in-addr.arpa.", Type.PTR, Rcode.NXDOMAIN),
                row("10.10.in-addr.arpa.", Type.SOA, Rcode.NOERROR, "ns." + Z + " hostmaster." + Z),
                row("1.1.1.1.in-addr.arpa.", Type.PTR, Rcode.REFUSED),
                row("example.com.", Type.A, Rcode.REFUSED));
    }

    private static Arguments row(String name, int type, int rcode, String... rdata) {
        return Arguments.of(name, type, rcode, Set.of(rdata));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("names")
    void nameAnswersOverUdp(String name, int type, int rcode, Set<String> rdata) {
        check(mesh.udp(), name, type, rcode, rdata);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("names")
    void nameAnswersOverTcp(String name, int type, int rcode, Set<String> rdata) {
        check(mesh.tcp(), name, type, rcode, rdata);
    }

    private static void check(DnsClient client, String name, int type, int rcode, Set<String> rdata) {
        Message m = client.query(name, type);

        assertThat(Rcode.string(m.getRcode()))
                .as("rcode of %s %s", name, Type.string(type))
                .isEqualTo(Rcode.string(rcode));
        Set<String> got = new TreeSet<>();
        for (Record r : m.getSection(Section.ANSWER)) {
            String text = r.rdataToString();
            // SOA: compare the names only; the serial follows the snapshot.
            got.add(r.getType() == Type.SOA ? text.substring(0, text.indexOf(' ', text.indexOf(' ') + 1)) : text);
        }
        assertThat(got).as("answer of %s %s", name, Type.string(type)).isEqualTo(new TreeSet<>(rdata));
        if (got.isEmpty() && rcode != Rcode.REFUSED) {
            assertThat(m.getSection(Section.AUTHORITY))
                    .as("negative answers carry the SOA")
                    .singleElement()
                    .matches(r -> r.getType() == Type.SOA);
        }
    }
}
