package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.server.cli.DemoTls;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.testkit.Kubeconfig;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * After a (re)start, DNS does not answer from a partly loaded mesh: until readiness (every cluster synced
 * once, or {@code readyAfter} with one synced) in-zone queries get SERVFAIL, over UDP, TCP and DNS over
 * TLS, never NXDOMAIN or some of a service's addresses. Real packets to a real server watching mock API
 * servers, one of which refuses meshdns's credentials until it is healed.
 */
class StartupAnswersTest {
    static final String WEB = "web.shop.svc.clusterset.local.";
    /** Exported by west only: NXDOMAIN from a mesh that has not read west yet. */
    static final String API = "api.shop.svc.clusterset.local.";

    static final Set<String> WEB_EVERYWHERE = Set.of("10.10.1.1", "10.10.1.2", "10.20.1.1", "10.20.1.2");

    @TempDir
    Path dir;

    DemoTls ca;
    MockCluster east;
    MockCluster west;
    MeshdnsServer server;

    @BeforeEach
    void start() throws Exception {
        ca = DemoTls.newCa("test CA", Duration.ofDays(1));
        ca.server("meshdns", Duration.ofDays(1)).write(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        east = MockCluster.start("east", dir);
        west = MockCluster.start("west", dir);
        east.load(MeshObjects.namespace("shop"));
        east.load(MeshObjects.service("shop", "web", "10.96.0.10", true));
        east.load(MeshObjects.sliceOf("shop", "web", "web-east", MeshObjects.pods("10.10.1.", 1, 2, true)));
        west.load(MeshObjects.namespace("shop"));
        west.load(MeshObjects.service("shop", "web", "10.96.0.10", true));
        west.load(MeshObjects.sliceOf("shop", "web", "web-west", MeshObjects.pods("10.20.1.", 1, 2, true)));
        west.load(MeshObjects.service("shop", "api", "10.96.0.11", true));
        west.load(MeshObjects.sliceOf("shop", "api", "api-west", MeshObjects.pods("10.20.2.", 1, 1, true)));
        west.refuseAll(401); // meshdns's token for west is rejected until heal(): west cannot sync
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        east.close();
        west.close();
    }

    MeshdnsServer startServer(String readyAfter, List<ClusterSpec> clusters) {
        server = MeshdnsServer.start(
                ConfigLoader.parse(
                                "test.yaml", """
        readyAfter: %s
        reverseZones: [10.0.0.0/8]
        axfr:
          allow: [127.0.0.0/8]
        dns:
          tls:
            port: 0
            certFile: %s
            keyFile: %s
        """.formatted(readyAfter, dir.resolve("tls.crt"), dir.resolve("tls.key")))
                        .withDns("127.0.0.1", 0)
                        .withHttp("127.0.0.1", 0)
                        .withAdmin("127.0.0.1", 0),
                clusters);
        return server;
    }

    MeshdnsServer startWatchingEastAndWest() {
        return startServer("1h", List.of(TwoClusterMesh.spec(east), TwoClusterMesh.spec(west)));
    }

    /** Waits until DNS answers from a snapshot in which east has synced: without the rule, a partial answer. */
    void awaitEastServed() throws InterruptedException {
        Predicate<MeshSnapshot> eastSynced = s -> s.clusters().containsKey(ClusterId.of("east"))
                && s.clusters().get(ClusterId.of("east")).state() == ClusterState.SYNCED
                && !s.services().isEmpty();
        assertThat(server.awaitServed(eastSynced, Duration.ofSeconds(30))).isTrue();
    }

    static Message query(String name, int type) throws Exception {
        return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
    }

    /** The response over UDP, TCP and DNS over TLS, in that order. */
    List<Message> overEveryTransport(String name, int type) throws Exception {
        List<Message> out = new ArrayList<>();
        out.add(new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP).query(name, type));
        out.add(new DnsClient(server.dnsAddress(), DnsClient.Transport.TCP).query(name, type));
        try (SSLSocket tls = DotClient.trusting(ca.ca(), null).connect(server.dotAddress())) {
            out.add(DnsClient.query(tls, query(name, type)));
        }
        return out;
    }

    static List<Integer> rcodes(List<Message> responses) {
        return responses.stream().map(Message::getRcode).toList();
    }

    static Set<String> addresses(Message response) {
        Set<String> out = new TreeSet<>();
        for (Record r : response.getSection(Section.ANSWER)) {
            if (r instanceof ARecord a) {
                out.add(a.getAddress().getHostAddress());
            }
        }
        return out;
    }

    @Test
    void aServiceSomeClustersHaveSyncedIsServfailNotAPartialAnswer() throws Exception {
        startWatchingEastAndWest();
        awaitEastServed();

        List<Message> web = overEveryTransport(WEB, Type.A);

        assertThat(rcodes(web)).containsOnly(Rcode.SERVFAIL);
        assertThat(web).allSatisfy(m -> assertThat(m.getSection(Section.ANSWER)).isEmpty());
        assertThat(web).allSatisfy(m -> assertThat(m.getQuestion().getName()).isEqualTo(Name.fromString(WEB)));
    }

    @Test
    void aNameNoSyncedClusterHasIsServfailNotNxdomain() throws Exception {
        startWatchingEastAndWest();
        awaitEastServed();

        assertThat(rcodes(overEveryTransport(API, Type.A))).containsOnly(Rcode.SERVFAIL);
        assertThat(rcodes(overEveryTransport("1.2.20.10.in-addr.arpa.", Type.PTR)))
                .containsOnly(Rcode.SERVFAIL);
        assertThat(rcodes(overEveryTransport("clusterset.local.", Type.SOA))).containsOnly(Rcode.SERVFAIL);
    }

    @Test
    void aNameOutsideTheZonesKeepsItsAnswerBeforeReadiness() throws Exception {
        startWatchingEastAndWest();
        awaitEastServed();

        assertThat(rcodes(overEveryTransport("example.com.", Type.A))).containsOnly(Rcode.REFUSED);
    }

    @Test
    void zoneTransfersWaitForTheSameReadinessAsAnswers() throws Exception {
        startWatchingEastAndWest();
        awaitEastServed();

        try (Socket tcp =
                new Socket(server.dnsAddress().getAddress(), server.dnsAddress().getPort())) {
            assertThat(DnsClient.query(tcp, "clusterset.local.", Type.AXFR).getRcode())
                    .isEqualTo(Rcode.SERVFAIL);
        }
        west.heal();
        var udp = new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP);
        assertThat(udp.addressesOnce(WEB, WEB_EVERYWHERE)).isEqualTo(WEB_EVERYWHERE);
        try (Socket tcp =
                new Socket(server.dnsAddress().getAddress(), server.dnsAddress().getPort())) {
            assertThat(DnsClient.query(tcp, "clusterset.local.", Type.AXFR).getRcode())
                    .isEqualTo(Rcode.NOERROR);
        }
    }

    @Test
    void onceEveryClusterHasSyncedTheFirstAnswerIsWholeAndNoneBeforeItWasADenial() throws Exception {
        startWatchingEastAndWest();
        awaitEastServed();
        var udp = new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP);
        List<String> seen = new ArrayList<>();
        Message web = udp.query(WEB, Type.A);
        seen.add(Rcode.string(web.getRcode()) + " " + addresses(web));

        west.heal();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (web.getRcode() != Rcode.NOERROR && System.nanoTime() < deadline) {
            web = udp.query(WEB, Type.A); // as fast as it answers: the first NOERROR is the one that counts
            seen.add(Rcode.string(web.getRcode()) + " " + addresses(web));
        }

        assertThat(seen)
                .allMatch(
                        s -> s.startsWith("SERVFAIL ") || s.equals("NOERROR " + new TreeSet<>(WEB_EVERYWHERE)),
                        "SERVFAIL or the whole answer");
        assertThat(addresses(web)).isEqualTo(WEB_EVERYWHERE);
        assertThat(rcodes(overEveryTransport(API, Type.A))).containsOnly(Rcode.NOERROR);
    }

    @Test
    void readyAfterWithOneClusterSyncedOpensTheAnswersWithoutAnotherPublication() throws Exception {
        // West keeps refusing: after its first error nothing changes, so no snapshot is published after readyAfter.
        startServer("10s", List.of(TwoClusterMesh.spec(east), TwoClusterMesh.spec(west)));
        awaitEastServed();

        var udp = new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP);
        Set<String> eastPods = Set.of("10.10.1.1", "10.10.1.2");
        assertThat(udp.addressesOnce(WEB, eastPods)).isEqualTo(eastPods);
    }

    @Test
    void aClusterAddedAfterReadinessDoesNotTakeTheAnswersAway() throws Exception {
        west.heal();
        startWatchingEastAndWest();
        var udp = new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP);
        assertThat(udp.addressesOnce(WEB, WEB_EVERYWHERE)).isEqualTo(WEB_EVERYWHERE);
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Files.writeString(dir.resolve("north.kubeconfig"), Kubeconfig.of("north", "http://127.0.0.1:" + closed));

        server.mesh()
                .setClusters(List.of(
                        TwoClusterMesh.spec(east),
                        TwoClusterMesh.spec(west),
                        ClusterSpec.ofKubeconfig("north", dir.resolve("north.kubeconfig"), "north")))
                .join();
        assertThat(server.awaitServed(s -> s.clusters().containsKey(ClusterId.of("north")), Duration.ofSeconds(30)))
                .isTrue();

        assertThat(addresses(udp.query(WEB, Type.A))).isEqualTo(WEB_EVERYWHERE);
    }

    @Test
    void servfailsBeforeReadinessAreCounted() throws Exception {
        startWatchingEastAndWest();
        awaitEastServed();

        overEveryTransport(WEB, Type.A);

        var metrics = PrometheusText.parse(
                new HttpFetch(server.httpAddress()).get("/metrics").body());
        assertThat(metrics.family("meshdns_dns_not_ready_total").value(Map.of()))
                .isEqualTo(3);
    }
}
