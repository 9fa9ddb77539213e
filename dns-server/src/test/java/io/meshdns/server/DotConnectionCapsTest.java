package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** DNS-over-TLS connections are held to the TCP connection caps, counted together with plain TCP ones. */
class DotConnectionCapsTest {
  static final String WEB = "web.shop.svc.clusterset.local.";
  @TempDir Path dir;

  @Test
  void aTlsConnectionOverThePerSourceCapClosesTheLongestIdleConnectionEvenAPlainOne() throws Exception {
    DemoTls ca = DemoTls.newCa("test CA", Duration.ofDays(1));
    ca.server("meshdns", Duration.ofDays(1)).write(dir.resolve("tls.crt"), dir.resolve("tls.key"));
    try (TwoClusterMesh mesh = new TwoClusterMesh(dir, ConfigLoader.parse("test", """
        dns:
          maxTcpConnectionsPerSource: 2
          tls: {port: 0, certFile: %s, keyFile: %s}
        """.formatted(dir.resolve("tls.crt"), dir.resolve("tls.key"))))) {
      mesh.exportWebFromEast();
      DotClient client = DotClient.trusting(ca.ca(), null);

      try (Socket idlePlain = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
        idlePlain.setSoTimeout(5000);
        Thread.sleep(50); // the plain connection is the oldest without a complete query
        try (SSLSocket first = client.connect(mesh.server.dotAddress());
            SSLSocket second = client.connect(mesh.server.dotAddress())) {

          assertThat(DnsOverTlsTest.closedByServer(idlePlain.getInputStream()))
              .as("the idle plain TCP connection, evicted for the third connection from 127.0.0.1").isTrue();
          assertThat(DnsClient.query(first, WEB, Type.A).getSection(Section.ANSWER)).hasSize(3);
          assertThat(DnsClient.query(second, WEB, Type.A).getSection(Section.ANSWER)).hasSize(3);
        }
      }
    }
  }
}
