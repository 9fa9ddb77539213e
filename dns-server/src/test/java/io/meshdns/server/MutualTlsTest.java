package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.server.cli.DemoTls;
import io.meshdns.server.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** With {@code dns.tls.clientCaFile}, only clients presenting a certificate of that CA are answered. */
class MutualTlsTest {
    static final String WEB = "web.shop.svc.clusterset.local.";

    @TempDir
    static Path dir;

    static DemoTls serverCa;
    static DemoTls clientCa;
    static TwoClusterMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        serverCa = DemoTls.newCa("server CA", Duration.ofDays(1));
        clientCa = DemoTls.newCa("client CA", Duration.ofDays(1));
        serverCa.server("meshdns", Duration.ofDays(1)).write(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        DemoTls.writePem(dir.resolve("client-ca.crt"), clientCa.ca());
        mesh = new TwoClusterMesh(dir, ConfigLoader.parse("test", """
        dns:
          tls: {port: 0, certFile: %s, keyFile: %s, clientCaFile: %s}
        """.formatted(
                        dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("client-ca.crt"))));
        mesh.exportWebFromEast();
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    @Test
    void aClientWithACertificateOfTheClientCaIsAnswered() throws Exception {
        DotClient client = DotClient.trusting(serverCa.ca(), clientCa.client("coredns east", Duration.ofDays(1)));
        try (SSLSocket s = client.connect(mesh.server.dotAddress())) {
            assertThat(DnsClient.query(s, WEB, Type.A).getSection(Section.ANSWER))
                    .hasSize(3);
        }
    }

    @Test
    void aClientWithoutACertificateIsRefused() throws Exception {
        DotClient client = DotClient.trusting(serverCa.ca(), null);

        assertThatThrownBy(() -> {
                    try (SSLSocket s = client.connect(mesh.server.dotAddress())) {
                        DnsClient.query(
                                s, WEB, Type.A); // TLS 1.3: the server's refusal arrives after the client's Finished
                    }
                })
                .isInstanceOf(IOException.class);
    }

    @Test
    void aClientWithACertificateOfAnotherCaIsRefused() throws Exception {
        DotClient client = DotClient.trusting(serverCa.ca(), serverCa.client("impostor", Duration.ofDays(1)));

        assertThatThrownBy(() -> {
                    try (SSLSocket s = client.connect(mesh.server.dotAddress())) {
                        DnsClient.query(s, WEB, Type.A);
                    }
                })
                .isInstanceOf(IOException.class);
    }
}
