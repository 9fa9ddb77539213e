package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.UdpTransport;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Response rate limiting: per source prefix, over the limit every second answer slips (TC=1), the rest drop. */
@ParameterizedClass(name = "UDP over {0}")
@EnumSource(
        value = UdpTransport.class,
        names = {"NETTY", "FFM"})
class ResponseRateLimitTest {
    /** The UDP transport of this run (the server is started with it once per run, below). */
    @Parameter
    UdpTransport udpTransport;
    /** Why this run's transport cannot run here, or {@code null}. */
    static String unavailable;

    static final String WEB = "web.shop.svc.clusterset.local.";

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;

    @BeforeParameterizedClassInvocation
    static void start(UdpTransport udpTransport) throws Exception {
        unavailable = TwoClusterMesh.unavailable(udpTransport);
        if (unavailable != null) {
            return; // each test is skipped, with the reason (below)
        }
        mesh = new TwoClusterMesh(
                kubeconfigs, TwoClusterMesh.onUdpTransport(ConfigLoader.parse("test", """
        dns:
          rateLimit: {responsesPerSecond: 10, slip: 2, window: 1s}
        """), udpTransport));
        mesh.assertUdpTransport(udpTransport);
        mesh.exportWebFromEast(); // awaited over TCP: not rate limited
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (mesh != null) {
            mesh.close();
            mesh = null;
        }
    }

    @BeforeEach
    void onlyWhereTheTransportRuns() {
        TwoClusterMesh.assumeRuns(unavailable);
    }

    /** Counts of {full answers, slipped answers, no answer} for {@code n} queries sent at once from {@code from}. */
    private static int[] burst(InetAddress from, int n) throws Exception {
        int[] counts = new int[3];
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(from, 0))) {
            socket.setSoTimeout(300);
            for (int i = 0; i < n; i++) {
                Message q = Message.newQuery(Record.newRecord(Name.fromString(WEB), Type.A, DClass.IN));
                q.getHeader().setID(i);
                byte[] wire = q.toWire();
                socket.send(new DatagramPacket(wire, wire.length, mesh.dns()));
            }
            byte[] buf = new byte[4096];
            int received = 0;
            while (true) {
                DatagramPacket reply = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(reply);
                } catch (SocketTimeoutException done) {
                    break;
                }
                received++;
                Message m = new Message(Arrays.copyOf(buf, reply.getLength()));
                if (m.getHeader().getFlag(Flags.TC)) {
                    assertThat(m.getSection(Section.ANSWER))
                            .as("a slipped answer is empty")
                            .isEmpty();
                    assertThat(m.getQuestion().getName().toString()).isEqualTo(WEB);
                    counts[1]++;
                } else {
                    assertThat(m.getSection(Section.ANSWER)).hasSize(3);
                    counts[0]++;
                }
            }
            counts[2] = n - received;
        }
        return counts;
    }

    @Test
    void aBurstOverTheLimitFromOnePrefixIsHalfSlippedHalfDropped() throws Exception {
        int[] counts = burst(InetAddress.getByName("127.0.1.1"), 60);

        // 10 per second with a 1 s window: about 10 answered (a few more as time passes during the burst).
        assertThat(counts[0]).as("answered in full").isBetween(10, 14);
        int limited = 60 - counts[0];
        assertThat(counts[1]).as("slipped: every second limited answer").isBetween(limited / 2 - 1, limited / 2 + 1);
        assertThat(counts[2]).as("dropped").isEqualTo(limited - counts[1]);
    }

    @Test
    void anotherPrefixHasItsOwnAllowance() throws Exception {
        burst(InetAddress.getByName("127.0.2.1"), 40);

        int[] other = burst(InetAddress.getByName("127.0.3.1"), 5);
        assertThat(other[0]).as("a different /24 is answered in full").isEqualTo(5);
    }

    @Test
    void tcpIsNotRateLimited() throws Exception {
        for (int i = 0; i < 30; i++) {
            assertThat(mesh.tcp().addresses(WEB)).hasSize(3);
        }
    }
}
