package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.meshdns.core.KubernetesNames;
import io.meshdns.server.answer.ResponseOptions;
import io.meshdns.server.cli.DemoTls;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.testkit.MeshObjects;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * DNS over TLS (RFC 7858) as a client sees it: the TCP query path behind TLS 1.3/1.2 with the certificate
 * of {@code dns.tls}, a certificate rotated on disk served to the next connection, and clients that do not
 * speak TLS cut off.
 */
class DnsOverTlsTest {
    static final String WEB = "web.shop.svc.clusterset.local.";
    static final String BIG = "big.shop.svc.clusterset.local.";

    @TempDir
    static Path dir;

    static DemoTls ca;
    static Path secret;
    static TwoClusterMesh mesh;
    static int generation;

    @BeforeAll
    static void start() throws Exception {
        ca = DemoTls.newCa("test CA", Duration.ofDays(1));
        // A Kubernetes Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..<generation> (swapped on update).
        secret = Files.createDirectories(dir.resolve("secret"));
        rotate("meshdns gen1");
        Files.createSymbolicLink(secret.resolve("tls.crt"), Path.of("..data/tls.crt"));
        Files.createSymbolicLink(secret.resolve("tls.key"), Path.of("..data/tls.key"));
        mesh = new TwoClusterMesh(
                dir, ConfigLoader.parse("test", """
        axfr:
          allow: [127.0.0.0/8]
        dns:
          tcpQueryTimeout: 2s
          cookies: {enabled: true}
          tls:
            port: 0
            certFile: %s
            keyFile: %s
        """.formatted(secret.resolve("tls.crt"), secret.resolve("tls.key"))));
        mesh.exportWebFromEast();
        // 60 pods, all answered (the annotation lifts the default cap of 8): an answer of about 1 KiB.
        mesh.east()
                .services()
                .resource(new ServiceBuilder(MeshObjects.service("shop", "big", "10.96.0.11", true))
                        .editMetadata()
                        .addToAnnotations(KubernetesNames.MAX_ANSWERS_ANNOTATION, "60")
                        .endMetadata()
                        .build())
                .create();
        MeshObjects.slice(mesh.east(), "shop", "big", "big-east", MeshObjects.pods("10.10.2.", 1, 60, true));
        mesh.tcp().addressesOnceTrue(BIG, a -> a.size() == 60);
    }

    /** Writes a new certificate generation and points {@code ..data} at it in one rename, as the kubelet does. */
    static void rotate(String commonName) throws IOException {
        Path gen = Files.createDirectories(secret.resolve("..gen" + (++generation)));
        ca.server(commonName, Duration.ofDays(30)).write(gen.resolve("tls.crt"), gen.resolve("tls.key"));
        Path link = secret.resolve("..data_tmp");
        Files.createSymbolicLink(link, gen.getFileName());
        Files.move(link, secret.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    static DotClient client(String... protocols) throws Exception {
        return DotClient.trusting(ca.ca(), null, protocols);
    }

    static String subject(SSLSocket s) throws Exception {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0])
                .getSubjectX500Principal()
                .getName();
    }

    @Test
    void pipelinedQueriesAreAnsweredOverTls13() throws Exception {
        try (SSLSocket s = client().connect(mesh.server.dotAddress())) {
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
            // Three queries before reading any answer (RFC 7766 pipelining): an address, NXDOMAIN, NODATA.
            DnsClient.send(s, WEB, Type.A);
            DnsClient.send(s, "nope.shop.svc.clusterset.local.", Type.A);
            DnsClient.send(s, WEB, Type.TXT);
            Map<String, Message> byQuestion = new HashMap<>();
            for (int i = 0; i < 3; i++) {
                Message m = DnsClient.receive(s);
                byQuestion.put(
                        m.getQuestion().getName() + "/"
                                + Type.string(m.getQuestion().getType()),
                        m);
            }

            Message a = byQuestion.get(WEB + "/A");
            assertThat(a.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(a.getSection(Section.ANSWER)).hasSize(3);
            assertThat(byQuestion.get("nope.shop.svc.clusterset.local./A").getRcode())
                    .isEqualTo(Rcode.NXDOMAIN);
            Message nodata = byQuestion.get(WEB + "/TXT");
            assertThat(nodata.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(nodata.getSection(Section.ANSWER)).isEmpty();
            assertThat(nodata.getSection(Section.AUTHORITY))
                    .singleElement()
                    .extracting(r -> r.getType())
                    .isEqualTo(Type.SOA);
        }
    }

    @Test
    void aZoneTransferOverTlsIsServedToAnAllowedClient() throws Exception {
        // XFR-over-TLS (RFC 9103): the DoT port serves transfers with the same allow list and keys as TCP.
        try (SSLSocket s = client().connect(mesh.server.dotAddress())) {
            DnsClient.send(s, "clusterset.local.", Type.AXFR);
            List<Record> records = new ArrayList<>();
            do {
                Message m = DnsClient.receive(s);
                assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
                records.addAll(m.getSection(Section.ANSWER));
            } while (records.size() < 2 || records.get(records.size() - 1).getType() != Type.SOA);

            assertThat(records.get(0).getType()).isEqualTo(Type.SOA);
            assertThat(records)
                    .filteredOn(r -> r.getName().toString().equals(WEB) && r.getType() == Type.A)
                    .extracting(r -> r.rdataToString())
                    .containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3");
        }
    }

    @Test
    void aTls12OnlyClientIsAnswered() throws Exception {
        try (SSLSocket s = client("TLSv1.2").connect(mesh.server.dotAddress())) {
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
            assertThat(DnsClient.query(s, WEB, Type.A).getSection(Section.ANSWER))
                    .hasSize(3);
        }
    }

    @Test
    void aPlaintextClientOnTheTlsPortIsClosedWellBeforeTheQueryDeadline() throws Exception {
        try (Socket plain = new Socket(
                mesh.server.dotAddress().getAddress(), mesh.server.dotAddress().getPort())) {
            plain.setSoTimeout(5000);
            long start = System.nanoTime();
            DnsClient.send(plain, WEB, Type.A); // DNS over plain TCP: not a TLS record

            assertThat(closedByServer(plain.getInputStream())).isTrue();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(millis).as("ms until closed (query deadline 2 s)").isLessThan(1000);
        }
    }

    @Test
    void aStalledHandshakeIsCutAtTheQueryDeadline() throws Exception {
        double before = metric("meshdns_dns_tcp_closed_total", Map.of("reason", "tls_handshake_timeout"));
        try (Socket silent = new Socket(
                mesh.server.dotAddress().getAddress(), mesh.server.dotAddress().getPort())) {
            silent.setSoTimeout(10_000);
            long start = System.nanoTime();

            assertThat(closedByServer(silent.getInputStream())).isTrue();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(millis)
                    .as("ms until closed (query deadline 2 s, idle timeout 10 s)")
                    .isBetween(1500L, 4000L);
        }
        assertThat(metric("meshdns_dns_tcp_closed_total", Map.of("reason", "tls_handshake_timeout")))
                .isGreaterThan(before);
    }

    @Test
    void aCertificateRotatedOnDiskIsServedToTheNextConnectionWithoutARestart() throws Exception {
        DotClient client = client();
        try (SSLSocket old = client.connect(mesh.server.dotAddress())) {
            String before = subject(old);
            String next = "CN=meshdns rotated " + System.nanoTime();
            rotate(next.substring(3));

            String served = before;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!served.equals(next) && System.nanoTime() < deadline) {
                Thread.sleep(200);
                try (SSLSocket fresh = client.connect(mesh.server.dotAddress())) {
                    served = subject(fresh);
                    assertThat(DnsClient.query(fresh, WEB, Type.A).getSection(Section.ANSWER))
                            .hasSize(3);
                }
            }

            assertThat(served)
                    .as("certificate of a new connection after the rotation")
                    .isEqualTo(next);
            // The connection opened before keeps its session and is still answered.
            assertThat(DnsClient.query(old, WEB, Type.A).getSection(Section.ANSWER))
                    .hasSize(3);
        }
    }

    @Test
    void queriesAreCountedAsDotAndTheStatusShowsTheCertificateServed() throws Exception {
        String served;
        try (SSLSocket s = client().connect(mesh.server.dotAddress())) {
            served = subject(s);
            DnsClient.query(s, WEB, Type.A);
        }

        assertThat(metric("meshdns_dns_requests_total", Map.of("proto", "dot", "type", "A")))
                .isPositive();
        assertThat(metric("meshdns_tls_certificate_expiry_seconds", Map.of()))
                .isBetween((double) Duration.ofDays(29).toSeconds(), (double)
                        Duration.ofDays(30).toSeconds());
        var tls = HttpFetch.json(new HttpFetch(mesh.server.adminAddress()).get("/api/status"))
                .get("tls");
        assertThat(tls.get("dot").asText())
                .isEqualTo("127.0.0.1:" + mesh.server.dotAddress().getPort());
        assertThat(tls.get("subject").asText()).isEqualTo(served);
        assertThat(tls.get("issuer").asText()).isEqualTo("CN=test CA");
        assertThat(tls.get("expiringSoon").asBoolean()).isFalse();
        assertThat(tls.get("clientAuth").asBoolean()).isFalse();
    }

    /** {@code name type} with EDNS (UDP size 1232) and {@code options}. */
    static Message ednsQuery(String name, int type, EDNSOption... options) throws IOException {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        q.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(options)), Section.ADDITIONAL);
        return q;
    }

    /** The Padding option (RFC 7830) as a client following RFC 8467 sends it: zeros up to a 128-byte query. */
    static EDNSOption paddingOption(int length) {
        return new GenericEDNSOption(EDNSOption.Code.PADDING, new byte[length]);
    }

    /** The data of {@code m}'s EDNS options with {@code code}. */
    static List<byte[]> options(Message m, int code) {
        List<byte[]> out = new ArrayList<>();
        for (EDNSOption o : m.getOPT().getOptions(code)) {
            byte[] wire = o.toWire();
            out.add(Arrays.copyOfRange(wire, 4, wire.length));
        }
        return out;
    }

    @Test
    void answersToQueriesAskingForPaddingArePaddedToMultiplesOf468Bytes() throws Exception {
        // RFC 7830 4: a responder MUST pad when the query has the option; RFC 8467 4.1: to 468-byte blocks.
        try (SSLSocket s = client().connect(mesh.server.dotAddress())) {
            Object[][] queries = {
                {WEB, Type.A, 468},
                {"nope.shop.svc.clusterset.local.", Type.A, 468},
                {WEB, Type.TXT, 468},
                {BIG, Type.A, 3 * 468}
            };
            for (Object[] q : queries) {
                DnsClient.send(s, ednsQuery((String) q[0], (int) q[1], paddingOption(40)));
                byte[] reply = DnsClient.receiveBytes(s);

                Message m = new Message(reply);
                assertThat(reply).as(q[0] + " " + Type.string((int) q[1])).hasSize((int) q[2]);
                assertThat(options(m, EDNSOption.Code.PADDING))
                        .singleElement()
                        .satisfies(p -> assertThat(p).containsOnly(0));
            }
        }
    }

    @Test
    void everyAnswerToAnEdnsQueryIsPaddedByDefaultAndItsRecordsAreIntact() throws Exception {
        try (SSLSocket s = client().connect(mesh.server.dotAddress())) {
            DnsClient.send(s, ednsQuery(WEB, Type.A));
            byte[] reply = DnsClient.receiveBytes(s);

            assertThat(reply.length % ResponseOptions.PADDING_BLOCK).isZero();
            Message m = new Message(reply);
            assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(m.getSection(Section.ANSWER))
                    .extracting(Record::rdataToString)
                    .containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3");
            assertThat(m.getOPT().getPayloadSize()).isEqualTo(1232);
            assertThat(options(m, EDNSOption.Code.PADDING)).hasSize(1);
        }
    }

    @Test
    void aQueryWithoutEdnsGetsNoOptRecordSoNoPadding() throws Exception {
        // RFC 7830 4: no padding for a query without EDNS; the answer has nowhere to put it anyway.
        try (SSLSocket s = client().connect(mesh.server.dotAddress())) {
            DnsClient.send(s, WEB, Type.A);
            byte[] reply = DnsClient.receiveBytes(s);

            Message m = new Message(reply);
            assertThat(m.getOPT()).isNull();
            assertThat(m.getSection(Section.ANSWER)).hasSize(3);
            assertThat(reply.length).isLessThan(ResponseOptions.PADDING_BLOCK);
        }
    }

    @Test
    void answersOverPlainUdpAndTcpAreNotPaddedEvenWhenAsked() throws Exception {
        // RFC 7830 6: padding is for encrypted transports only.
        for (DnsClient.Transport transport : DnsClient.transports()) {
            SimpleResolver plain = new SimpleResolver(mesh.dns());
            plain.setTCP(transport == DnsClient.Transport.TCP);
            Message m = plain.send(ednsQuery(WEB, Type.A, paddingOption(40)));

            assertThat(m.getSection(Section.ANSWER)).as(transport.name()).hasSize(3);
            assertThat(options(m, EDNSOption.Code.PADDING)).as(transport.name()).isEmpty();
        }
    }

    @Test
    void aCookieAndPaddingGoTogetherOverTls() throws Exception {
        byte[] clientCookie = {1, 2, 3, 4, 5, 6, 7, 8};
        try (SSLSocket s = client().connect(mesh.server.dotAddress())) {
            DnsClient.send(
                    s,
                    ednsQuery(
                            WEB,
                            Type.A,
                            new GenericEDNSOption(EDNSOption.Code.COOKIE, clientCookie),
                            paddingOption(20)));
            byte[] reply = DnsClient.receiveBytes(s);

            assertThat(reply).hasSize(468);
            Message m = new Message(reply);
            assertThat(options(m, EDNSOption.Code.COOKIE))
                    .singleElement()
                    .satisfies(c -> assertThat(Arrays.copyOf(c, 8)).isEqualTo(clientCookie))
                    .satisfies(c -> assertThat(c).hasSize(24));
            assertThat(options(m, EDNSOption.Code.PADDING)).hasSize(1);
            assertThat(m.getSection(Section.ANSWER)).hasSize(3);
        }
    }

    static double metric(String family, Map<String, String> labels) {
        String text = new HttpFetch(mesh.server.httpAddress()).get("/metrics").body();
        return PrometheusText.parse(text).family(family).value(labels);
    }

    /** Whether the server closes the connection; what it sends first (a TLS alert) is read and dropped. */
    static boolean closedByServer(InputStream in) {
        try {
            byte[] sink = new byte[512];
            for (int total = 0; total < 65536; ) {
                int n = in.read(sink);
                if (n < 0) {
                    return true;
                }
                total += n;
            }
            return false; // a stream of data: not a closing alert
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
