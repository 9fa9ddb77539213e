package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.server.cli.DemoTls;
import io.meshdns.server.config.ConfigLoader;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS-over-TLS connections are held to the TCP connection caps, counted together with plain TCP ones, and to
 * the same bounds on the answers they leave unread.
 */
class DotConnectionCapsTest {
    static final String WEB = "web.shop.svc.clusterset.local.";

    @TempDir
    Path dir;

    @Test
    void aTlsConnectionOverThePerSourceCapClosesTheLongestIdleConnectionEvenAPlainOne() throws Exception {
        DemoTls ca = DemoTls.newCa("test CA", Duration.ofDays(1));
        ca.server("meshdns", Duration.ofDays(1)).write(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        try (TwoClusterMesh mesh = new TwoClusterMesh(
                dir, ConfigLoader.parse("test", """
        dns:
          maxTcpConnectionsPerSource: 2
          tls: {port: 0, certFile: %s, keyFile: %s}
        """.formatted(dir.resolve("tls.crt"), dir.resolve("tls.key"))))) {
            mesh.exportWebFromEast();
            DotClient client = DotClient.trusting(ca.ca(), null);

            try (Socket idlePlain =
                    new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
                idlePlain.setSoTimeout(5000);
                Thread.sleep(50); // the plain connection is the oldest without a complete query
                try (SSLSocket first = client.connect(mesh.server.dotAddress());
                        SSLSocket second = client.connect(mesh.server.dotAddress())) {

                    assertThat(DnsOverTlsTest.closedByServer(idlePlain.getInputStream()))
                            .as("the idle plain TCP connection, evicted for the third connection from 127.0.0.1")
                            .isTrue();
                    assertThat(DnsClient.query(first, WEB, Type.A).getSection(Section.ANSWER))
                            .hasSize(3);
                    assertThat(DnsClient.query(second, WEB, Type.A).getSection(Section.ANSWER))
                            .hasSize(3);
                }
            }
        }
    }

    @Test
    void aTlsClientThatPipelinesAndNeverReadsIsCutOffAtTheQueryDeadlineWhileOthersAreAnswered() throws Exception {
        DemoTls ca = DemoTls.newCa("test CA", Duration.ofDays(1));
        ca.server("meshdns", Duration.ofDays(1)).write(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        try (TwoClusterMesh mesh = new TwoClusterMesh(
                dir, ConfigLoader.parse("test", """
        dns:
          tcpQueryTimeout: 1s
          tls: {port: 0, certFile: %s, keyFile: %s}
        """.formatted(dir.resolve("tls.crt"), dir.resolve("tls.key"))))) {
            mesh.exportWebFromEast();
            TcpAbuseTest.exportBig(mesh, "10.96.0.11", 60);
            DotClient client = DotClient.trusting(ca.ca(), null);
            double cutBefore = closed(mesh, "write_timeout");

            // 30,000 answers of 1 KB: far more than the sockets' buffers hold, so the server has to hold them back.
            try (NonReadingClient attacker = NonReadingClient.start(
                            client.connect(mesh.server.dotAddress()), TcpAbuseTest.BIG, Type.A, 30_000);
                    SSLSocket other = client.connect(mesh.server.dotAddress())) {
                int answered = 0;
                long guard = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // a failure guard only
                while (closed(mesh, "write_timeout") == cutBefore && System.nanoTime() < guard) {
                    assertThat(DnsClient.query(other, WEB, Type.A).getSection(Section.ANSWER))
                            .as("another DoT client, while the attack runs")
                            .hasSize(3);
                    answered++;
                }

                assertThat(closed(mesh, "write_timeout"))
                        .as(
                                "connections closed for not reading their answers (%s)",
                                metrics(mesh, "meshdns_dns_tcp_pending_output_bytes"))
                        .isEqualTo(cutBefore + 1);
                assertThat(attacker.closedByServer())
                        .as("the attacker's connection is closed")
                        .isTrue();
                assertThat(answered)
                        .as("queries of another client answered while the attack ran")
                        .isPositive();
                assertThat(DnsClient.query(other, WEB, Type.A).getSection(Section.ANSWER))
                        .hasSize(3);
            }
        }
    }

    /** {@code meshdns_dns_tcp_closed_total} for {@code reason}. */
    private static double closed(TwoClusterMesh mesh, String reason) {
        String text = new HttpFetch(mesh.server.httpAddress()).get("/metrics").body();
        return PrometheusText.parse(text).family("meshdns_dns_tcp_closed_total").value(Map.of("reason", reason));
    }

    /** The lines of /metrics that start with {@code prefix}, to tell what the server was doing. */
    static String metrics(TwoClusterMesh mesh, String prefix) {
        return new HttpFetch(mesh.server.httpAddress())
                .get("/metrics")
                .body()
                .lines()
                .filter(l -> l.startsWith(prefix))
                .collect(java.util.stream.Collectors.joining("; "));
    }
}
