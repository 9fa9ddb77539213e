package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.service;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.meshdns.core.KubernetesNames;
import io.meshdns.server.config.ConfigLoader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Hostile TCP clients (connections that trickle a byte at a time, enough of them to fill every cap, or that
 * pipeline queries and never read the answers) do not keep anyone else from being answered over TCP, which is
 * also where truncated UDP answers go.
 */
class TcpAbuseTest {
    static final String WEB = "web.shop.svc.clusterset.local.";
    /** 60 addresses: about 1 KB an answer. */
    static final String BIG = "big.shop.svc.clusterset.local.";

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        // The default caps (1000 in all, 100 per source) and a query deadline of 1 s.
        mesh = new TwoClusterMesh(kubeconfigs, ConfigLoader.parse("test", "dns:\n  tcpQueryTimeout: 1s\n"));
        mesh.exportWebFromEast();
        exportBig(mesh, "10.96.0.11", 60);
    }

    /** {@code shop/big} from east: {@code pods} ready pods, all of them answered; waits until TCP answers them. */
    static void exportBig(TwoClusterMesh mesh, String clusterIp, int pods) throws InterruptedException {
        mesh.east()
                .services()
                .resource(new ServiceBuilder(service("shop", "big", clusterIp, true))
                        .editMetadata()
                        .addToAnnotations(KubernetesNames.MAX_ANSWERS_ANNOTATION, String.valueOf(pods))
                        .endMetadata()
                        .build())
                .create();
        for (int first = 0; first < pods; first += 250) {
            // 10.20.<n>.1 to .250, 250 to a slice
            slice(
                    mesh.east(),
                    "shop",
                    "big",
                    "big-east-" + first / 250,
                    pods("10.20." + (first / 250) + ".", 1, Math.min(250, pods - first), true));
        }
        assertThat(mesh.tcp().addressesOnceTrue(BIG, s -> s.size() == pods)).hasSize(pods);
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    @Test
    void freshQueriesAreAnsweredWithinASecondWhileAThousandConnectionsTrickle() throws Exception {
        // 1,000 connections from ten addresses (100 each: the per-source cap), filling the global cap.
        List<SocketChannel> tricklers = new ArrayList<>();
        try {
            for (int source = 0; source < 10; source++) {
                InetAddress from = InetAddress.getByName("127.0.0." + (2 + source));
                for (int i = 0; i < 100; i++) {
                    SocketChannel ch = SocketChannel.open();
                    ch.bind(new InetSocketAddress(from, 0));
                    ch.connect(mesh.dns());
                    ch.configureBlocking(false);
                    tricklers.add(ch);
                }
            }
            Thread trickle = new Thread(() -> trickle(tricklers, 300), "trickle");
            trickle.setDaemon(true);
            trickle.start();

            long worstMillis = 0;
            int answered = 0;
            long end = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < end) {
                long start = System.nanoTime();
                try (Socket fresh =
                        new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
                    fresh.setSoTimeout(3000);
                    assertThat(DnsClient.query(fresh, WEB, Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
                }
                worstMillis = Math.max(worstMillis, (System.nanoTime() - start) / 1_000_000);
                answered++;
                Thread.sleep(50);
            }
            trickle.interrupt();
            System.out.println("fresh TCP queries answered: " + answered + ", slowest " + worstMillis + " ms");
            assertThat(worstMillis).as("the slowest fresh query, in ms").isLessThan(1000);
            long closed =
                    tricklers.stream().filter(TcpAbuseTest::closedByServer).count();
            assertThat(closed)
                    .as("trickling connections cut off by the query deadline or the cap")
                    .isEqualTo(1000);
        } finally {
            for (SocketChannel ch : tricklers) {
                ch.close();
            }
        }
    }

    @Test
    void aQueryTricklingInIsCutOffAtTheQueryDeadlineThoughEachByteResetsTheIdleTimer() throws Exception {
        try (SocketChannel ch = SocketChannel.open(mesh.dns())) {
            ch.configureBlocking(false);
            long start = System.nanoTime();
            while (!closedByServer(ch) && System.nanoTime() - start < 5_000_000_000L) {
                try {
                    ch.write(ByteBuffer.wrap(new byte[] {1})); // 0x0101: a 257-byte message that never completes
                } catch (IOException reset) {
                    break;
                }
                Thread.sleep(200);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(closedByServer(ch) || !ch.isConnected())
                    .as("closed by the server")
                    .isTrue();
            assertThat(millis)
                    .as("ms until closed (deadline 1 s, idle timeout 10 s)")
                    .isBetween(900L, 3000L);
        }
    }

    @Test
    void aClientThatPipelinesAndNeverReadsIsCutOffAtTheQueryDeadlineWhileOthersAreAnswered(@TempDir Path dir)
            throws Exception {
        // A mesh of its own with a 3 s deadline: the fresh client below must get answers while the attack lasts,
        // and with the class's 1 s a loaded machine could spend the whole window starting the attacker.
        try (TwoClusterMesh deadline =
                new TwoClusterMesh(dir, ConfigLoader.parse("test", "dns:\n  tcpQueryTimeout: 3s\n"))) {
            deadline.exportWebFromEast();
            exportBig(deadline, "10.96.0.11", 60);
            double cutBefore = metric(deadline, "write_timeout");
            // The fresh client's path asked once before the attack, so its first connection's setup is not timed.
            assertThat(deadline.tcp().addresses(WEB)).hasSize(3);
            // 30,000 answers of 1 KB: far more than the sockets' buffers hold, so the server has to hold them back.
            try (NonReadingClient attacker =
                    NonReadingClient.start(NonReadingClient.connect(deadline.dns()), BIG, Type.A, 30_000)) {
                int answered = 0;
                long guard = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // a failure guard only
                while (metric(deadline, "write_timeout") == cutBefore && System.nanoTime() < guard) {
                    assertThat(deadline.tcp().addresses(WEB))
                            .as("a fresh TCP client, while the attack runs")
                            .hasSize(3);
                    answered++;
                }

                assertThat(metric(deadline, "write_timeout"))
                        .as(
                                "connections closed for not reading their answers (%s)",
                                DotConnectionCapsTest.metrics(deadline, "meshdns_dns_tcp_pending_output_bytes"))
                        .isEqualTo(cutBefore + 1);
                assertThat(attacker.closedByServer())
                        .as("the attacker's connection is closed")
                        .isTrue();
                assertThat(answered)
                        .as("queries of another client answered while the attack ran")
                        .isPositive();
                assertThat(deadline.tcp().addresses(WEB)).hasSize(3);
            }
        }
    }

    @Test
    void overTheOutputBudgetTheConnectionHoldingTheMostIsClosedAndAnOlderSmallerOffenderKeepsItsAnswers(
            @TempDir Path dir) throws Exception {
        // Each connection is held back once it holds 1 KiB of answers, until it holds less than half; all together
        // may hold 4 KiB. The small offender's answers are 95 bytes: it holds at most 1 KiB and one answer (1,313
        // bytes with Netty's 96 bytes a buffer), never over the budget. The big one's are 4 KB (256 addresses):
        // held back, it holds at least one, over the budget, and the most. No deadline fires during the test.
        try (TwoClusterMesh budgeted = new TwoClusterMesh(dir, ConfigLoader.parse("test", """
        dns:
          tcpIdleTimeout: 5m
          tcpQueryTimeout: 5m
          maxTcpPendingOutputPerConnection: 1Ki
          maxTcpPendingOutput: 4Ki
        """))) {
            budgeted.exportWebFromEast();
            exportBig(budgeted, "10.96.0.11", 256);
            double shedBefore = metric(budgeted, "output_budget");

            try (NonReadingClient small =
                    NonReadingClient.start(NonReadingClient.connect(budgeted.dns()), WEB, Type.A, 300_000)) {
                long guard = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // a failure guard only
                while (pendingOutput(budgeted) <= 512 && System.nanoTime() < guard) {
                    Thread.sleep(10); // until the small offender is held back: over the low water mark, not read
                }
                assertThat(pendingOutput(budgeted))
                        .as("answers held for the small offender")
                        .isBetween(513.0, 1313.0);

                try (NonReadingClient big =
                        NonReadingClient.start(NonReadingClient.connect(budgeted.dns()), BIG, Type.A, 30_000)) {
                    while (metric(budgeted, "output_budget") == shedBefore && System.nanoTime() < guard) {
                        Thread.sleep(10);
                    }

                    assertThat(metric(budgeted, "output_budget"))
                            .as("connections shed over the budget")
                            .isEqualTo(shedBefore + 1);
                    assertThat(big.closedByServer())
                            .as("the connection holding the most is closed")
                            .isTrue();
                    for (int i = 0; i < 1000; i++) {
                        Message answer = DnsClient.receive(small.socket);
                        assertThat(answer.getSection(Section.ANSWER))
                                .as("the small offender's answer " + i)
                                .hasSize(3);
                    }
                    assertThat(budgeted.tcp().addresses(WEB))
                            .as("a fresh TCP client")
                            .hasSize(3);
                    assertThat(metric(budgeted, "output_budget"))
                            .as("connections shed over the budget")
                            .isEqualTo(shedBefore + 1);
                }
            }
        }
    }

    private static double metric(String reason) {
        return metric(mesh, reason);
    }

    /** {@code meshdns_dns_tcp_closed_total} for {@code reason}. */
    private static double metric(TwoClusterMesh mesh, String reason) {
        String text = new HttpFetch(mesh.server.httpAddress()).get("/metrics").body();
        return PrometheusText.parse(text).family("meshdns_dns_tcp_closed_total").value(Map.of("reason", reason));
    }

    private static double pendingOutput(TwoClusterMesh mesh) {
        String text = new HttpFetch(mesh.server.httpAddress()).get("/metrics").body();
        return PrometheusText.parse(text)
                .family("meshdns_dns_tcp_pending_output_bytes")
                .value(Map.of());
    }

    /** Sends one byte to every connection every {@code periodMillis}: never a whole query. */
    private static void trickle(List<SocketChannel> channels, long periodMillis) {
        ByteBuffer one = ByteBuffer.wrap(new byte[] {1}); // 0x0101: a 257-byte message, 1 byte per period
        while (!Thread.currentThread().isInterrupted()) {
            for (SocketChannel ch : channels) {
                try {
                    one.clear();
                    ch.write(one);
                } catch (IOException closed) {
                    // cut off by the server
                }
            }
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static boolean closedByServer(SocketChannel ch) {
        try {
            return ch.read(ByteBuffer.allocate(64)) < 0;
        } catch (IOException reset) {
            return true;
        }
    }
}
