package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.server.config.ConfigLoader;
import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * RFC 7766 6.2.3: the server closes a TCP connection that sends no query for {@code dns.tcpIdleTimeout} once
 * its answers are out; a client that keeps asking keeps its connection however long it lives.
 */
class TcpIdleTest {
    static final String WEB = "web.shop.svc.clusterset.local.";

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TwoClusterMesh(kubeconfigs, ConfigLoader.parse("test", "dns:\n  tcpIdleTimeout: 1s\n"));
        mesh.exportWebFromEast();
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    @Test
    void aConnectionThatAsksNothingMoreAfterItsAnswerIsClosedAtTheIdleTimeout() throws Exception {
        try (Socket socket = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
            socket.setSoTimeout(10_000); // a failure guard only
            assertThat(DnsClient.query(socket, WEB, Type.A).getSection(Section.ANSWER))
                    .hasSize(3);
            long answered = System.nanoTime();

            assertThat(DnsOverTlsTest.closedByServer(socket.getInputStream()))
                    .as("closed by the server")
                    .isTrue();
            assertThat((System.nanoTime() - answered) / 1_000_000)
                    .as("ms from the answer until closed (idle timeout 1 s)")
                    .isBetween(900L, 5000L);
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheIdleTimeout() throws Exception {
        try (Socket socket = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
            socket.setSoTimeout(10_000); // a failure guard only
            long connected = System.nanoTime();

            assertThat(DnsOverTlsTest.closedByServer(socket.getInputStream()))
                    .as("closed by the server")
                    .isTrue();
            assertThat((System.nanoTime() - connected) / 1_000_000)
                    .as("ms from connecting until closed (idle timeout 1 s)")
                    .isBetween(900L, 5000L);
        }
    }

    @Test
    void aClientThatKeepsAskingKeepsItsConnectionPastTheIdleTimeout() throws Exception {
        try (Socket socket = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
            socket.setSoTimeout(10_000); // a failure guard only
            // A query every 300 ms for 3 s: three idle timeouts, each query well within one.
            for (int i = 0; i < 10; i++) {
                assertThat(DnsClient.query(socket, WEB, Type.A).getSection(Section.ANSWER))
                        .as("answer %d on the same connection", i)
                        .hasSize(3);
                Thread.sleep(300); // the client's pace, not a wait for the server
            }
        }
    }
}
