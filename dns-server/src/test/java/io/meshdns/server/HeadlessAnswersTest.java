package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.server.cli.DemoTls;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.testkit.EndpointSpec;
import io.meshdns.testkit.MeshObjects;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Headless means complete (Kubernetes DNS: one A record per ready endpoint, one SRV record per ready
 * endpoint and port): two mock clusters, the real server on loopback, real packets over UDP, TCP and DNS
 * over TLS. What does not fit the client's UDP size is truncated with TC set, and TCP carries it all.
 */
class HeadlessAnswersTest {
    private static final String ZONE = ".svc.clusterset.local.";
    /** 20 pods in each cluster. */
    private static final String PEERS = "peers.stateful" + ZONE;
    /** 600 pods in each cluster. */
    private static final String BIG = "big.stateful" + ZONE;

    @TempDir
    static Path dir;

    static DemoTls ca;
    static TwoClusterMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        ca = DemoTls.newCa("test CA", Duration.ofDays(1));
        ca.server("meshdns", Duration.ofDays(1)).write(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        mesh = new TwoClusterMesh(
                dir, ConfigLoader.parse("test", """
        dns:
          tls:
            port: 0
            certFile: %s
            keyFile: %s
        """.formatted(dir.resolve("tls.crt"), dir.resolve("tls.key"))));
        statefulSet(mesh.east(), "peers", "10.1.", 20);
        statefulSet(mesh.west(), "peers", "10.2.", 20);
        statefulSet(mesh.east(), "big", "10.11.", 600);
        statefulSet(mesh.west(), "big", "10.12.", 600);
        assertThat(mesh.server.awaitServed(
                        s -> ready(s.service(ServiceKey.of("stateful", "peers"))) == 40
                                && ready(s.service(ServiceKey.of("stateful", "big"))) == 1200,
                        Duration.ofSeconds(60)))
                .isTrue();
    }

    private static long ready(GlobalService service) {
        return service == null
                ? 0
                : service.endpoints().stream().filter(e -> e.ready()).count();
    }

    /** A headless Service with port {@code peer} (7000) and {@code count} ready pods with hostnames, in slices of 100. */
    private static void statefulSet(KubernetesClient cluster, String name, String prefix, int count) {
        if (cluster.namespaces().withName("stateful").get() == null) {
            cluster.namespaces().resource(MeshObjects.namespace("stateful")).create();
        }
        cluster.services()
                .resource(MeshObjects.headless(MeshObjects.service("stateful", name, "None", true), "peer", 7000))
                .create();
        for (int first = 0; first < count; first += 100) {
            List<EndpointSpec> pods = new ArrayList<>();
            for (int i = first; i < Math.min(count, first + 100); i++) {
                pods.add(new EndpointSpec(prefix + (i / 250) + "." + (i % 250 + 1), true, name + "-" + i));
            }
            cluster.discovery()
                    .v1()
                    .endpointSlices()
                    .resource(MeshObjects.sliceOf("stateful", name, name + "-" + first, "peer", 7000, pods))
                    .create();
        }
    }

    @AfterAll
    static void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    @Test
    void aFortyPodHeadlessServiceAnswersFortyAddressesOverTcp() throws Exception {
        try (Socket tcp = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
            Message answer = DnsClient.query(tcp, PEERS, Type.A);
            assertThat(answer.getHeader().getFlag(Flags.TC)).isFalse();
            assertThat(addresses(answer)).hasSize(40);
        }
    }

    @Test
    void aFortyPodHeadlessServiceAnswersOneSrvRecordPerPodAndPort() throws Exception {
        try (Socket tcp = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
            Message answer = DnsClient.query(tcp, "_peer._tcp." + PEERS, Type.SRV);
            Set<String> targets = new HashSet<>();
            for (Record r : answer.getSection(Section.ANSWER)) {
                SRVRecord srv = (SRVRecord) r;
                assertThat(srv.getPort()).isEqualTo(7000);
                targets.add(srv.getTarget().toString());
            }
            assertThat(answer.getSection(Section.ANSWER)).hasSize(40);
            assertThat(targets)
                    .hasSize(40)
                    .contains("peers-0.east.peers.stateful" + ZONE, "peers-19.west.peers.stateful" + ZONE);
        }
    }

    @Test
    void aFortyPodAnswerThatDoesNotFitFiveHundredTwelveBytesIsTruncatedOverUdp() throws Exception {
        Message answer = udp(PEERS, Type.A, -1);
        assertThat(answer.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(answer.toWire().length).isLessThanOrEqualTo(512);
    }

    @Test
    void aTwelveHundredPodServiceIsTruncatedOverUdpAtTheClientsSize() throws Exception {
        Message answer = udp(BIG, Type.A, 1232);
        assertThat(answer.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(answer.toWire().length).isLessThanOrEqualTo(1232);
        assertThat(addresses(answer)).isNotEmpty();
    }

    @Test
    void aTwelveHundredPodServiceAnswersEveryAddressOverTcp() throws Exception {
        try (Socket tcp = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
            Message answer = DnsClient.query(tcp, BIG, Type.A);
            assertThat(answer.getHeader().getFlag(Flags.TC)).isFalse();
            assertThat(addresses(answer)).hasSize(1200);
        }
    }

    @Test
    void aTwelveHundredPodServiceAnswersEveryAddressAndSrvRecordOverDnsOverTls() throws Exception {
        try (SSLSocket tls = DotClient.trusting(ca.ca(), null).connect(mesh.server.dotAddress())) {
            assertThat(addresses(DnsClient.query(tls, BIG, Type.A))).hasSize(1200);
            Message srv = DnsClient.query(tls, "_peer._tcp." + BIG, Type.SRV);
            assertThat(srv.getHeader().getFlag(Flags.TC)).isFalse();
            assertThat(srv.getSection(Section.ANSWER)).hasSize(1200);
        }
    }

    /** A query over UDP with EDNS size {@code ednsSize} (-1: no OPT record, 512 bytes), as dig sends it. */
    private static Message udp(String name, int type, int ednsSize) throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        if (ednsSize >= 0) {
            query.addRecord(new OPTRecord(ednsSize, 0, 0), Section.ADDITIONAL);
        }
        byte[] wire = query.toWire();
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(5000);
            InetSocketAddress server = mesh.dns();
            socket.send(new DatagramPacket(wire, wire.length, server));
            byte[] reply = new byte[65535];
            DatagramPacket packet = new DatagramPacket(reply, reply.length);
            socket.receive(packet);
            return new Message(java.util.Arrays.copyOf(reply, packet.getLength()));
        }
    }

    private static List<String> addresses(Message m) {
        List<String> out = new ArrayList<>();
        for (Record r : m.getSection(Section.ANSWER)) {
            out.add(((ARecord) r).getAddress().getHostAddress());
        }
        return out;
    }
}
