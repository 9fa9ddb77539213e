package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.testkit.EndpointSpec;
import io.meshdns.testkit.MeshObjects;
import java.io.DataInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.Socket;
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
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A secondary taking a zone transfer (AXFR over TCP, RFC 5936) at its own pace: as long as it reads, the transfer
 * goes on however long past the idle timeout it lasts (RFC 7766 6.2.3 counts answers taken as traffic); a
 * secondary that stops reading is cut off like any client that does not take its answers.
 */
class SlowTransferTest {
    /** Headless, with this many pods in each cluster: a transfer of about 700 KB. */
    static final int PODS = 2_000;

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TwoClusterMesh(kubeconfigs, ConfigLoader.parse("test", """
        axfr:
          allow: [127.0.0.0/8]
        dns:
          tcpIdleTimeout: 1s
          tcpQueryTimeout: 1s
        """));
        statefulSet(mesh.east(), "10.", PODS);
        statefulSet(mesh.west(), "11.", PODS);
        assertThat(mesh.server.awaitServed(
                        s -> ready(s.service(ServiceKey.of("stateful", "db"))) == 2L * PODS, Duration.ofSeconds(120)))
                .isTrue();
    }

    @AfterAll
    static void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    @Test
    void aSecondaryThatKeepsReadingGetsTheWholeTransferThoughItLastsPastTheIdleTimeout() throws Exception {
        double cutBefore = closed("write_timeout");
        try (Socket secondary = slowSocket()) {
            long start = System.nanoTime();
            DnsClient.send(secondary, axfrQuery());
            awaitAnswersHeld();

            // 4 KiB every 10 ms: about 400 KB/s, some seconds for the whole transfer.
            DataInputStream in = new DataInputStream(new PacedStream(secondary.getInputStream()));
            List<Record> records = new ArrayList<>();
            int messages = 0;
            long bytes = 0;
            while (records.size() < 2 || records.get(records.size() - 1).getType() != Type.SOA) {
                byte[] wire = new byte[in.readUnsignedShort()];
                in.readFully(wire);
                Message m = new Message(wire);
                assertThat(m.getRcode()).as("message %d", messages).isEqualTo(Rcode.NOERROR);
                records.addAll(m.getSection(Section.ANSWER));
                messages++;
                bytes += 2 + wire.length;
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("transfer: " + messages + " messages, " + bytes + " bytes in " + millis + " ms");

            assertThat(millis).as("ms the transfer took (idle timeout 1 s)").isGreaterThan(1000L);
            assertThat(records.get(0))
                    .as("the transfer begins and ends with the SOA")
                    .isEqualTo(records.get(records.size() - 1));
            assertThat(records)
                    .filteredOn(r ->
                            r.getName().toString().equals("db.stateful.svc.clusterset.local.") && r.getType() == Type.A)
                    .as("the service's addresses, one per pod")
                    .hasSize(2 * PODS);
            assertThat(closed("write_timeout"))
                    .as("connections cut for not reading")
                    .isEqualTo(cutBefore);
        }
    }

    @Test
    void aSecondaryThatStopsReadingIsCutOffBeforeTheTransferEnds() throws Exception {
        double cutBefore = closed("write_timeout");
        try (Socket secondary = slowSocket()) {
            DnsClient.send(secondary, axfrQuery());
            awaitAnswersHeld();
            assertThat(DnsClient.receive(secondary).getRcode()).isEqualTo(Rcode.NOERROR);
            // It reads nothing more: the answers held for it stop moving.

            long guard = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // a failure guard only
            while (closed("write_timeout") == cutBefore && System.nanoTime() < guard) {
                Thread.sleep(10);
            }
            assertThat(closed("write_timeout"))
                    .as("connections cut for not reading")
                    .isEqualTo(cutBefore + 1);
            assertThat(endsBeforeTheClosingSoa(secondary))
                    .as("the connection ends before the transfer does")
                    .isTrue();
        }
    }

    /** Reads at most 4 KiB at a time, each read 10 ms after the last: a secondary on a slow link. */
    private static final class PacedStream extends FilterInputStream {
        PacedStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                Thread.sleep(10); // the secondary's pace, not a wait for the server
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            }
            return super.read(b, off, Math.min(len, 4096));
        }
    }

    /** A connection whose receive buffer is small (4 KiB), as a secondary that reads slowly would leave it. */
    private static Socket slowSocket() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(mesh.dns());
        socket.setSoTimeout(10_000); // a failure guard only
        return socket;
    }

    private static Message axfrQuery() throws IOException {
        return Message.newQuery(Record.newRecord(Name.fromString("clusterset.local."), Type.AXFR, 1));
    }

    /**
     * Waits until the server holds part of the transfer not yet taken: the kernel's buffers took what they could,
     * so what follows depends on the client's reading, not on buffers.
     */
    private static void awaitAnswersHeld() throws InterruptedException {
        long guard = System.nanoTime() + Duration.ofSeconds(30).toNanos(); // a failure guard only
        while (pendingOutput() == 0 && System.nanoTime() < guard) {
            Thread.sleep(10);
        }
        assertThat(pendingOutput())
                .as("bytes of the transfer held by the server")
                .isPositive();
    }

    /** Reads what is left: whether the connection ends (or is reset) before a message holding the closing SOA. */
    private static boolean endsBeforeTheClosingSoa(Socket socket) {
        try {
            while (true) {
                List<Record> records = DnsClient.receive(socket).getSection(Section.ANSWER);
                if (!records.isEmpty() && records.get(records.size() - 1).getType() == Type.SOA) {
                    return false;
                }
            }
        } catch (IOException endedOrReset) {
            return true;
        }
    }

    /** {@code meshdns_dns_tcp_closed_total} for {@code reason}. */
    private static double closed(String reason) {
        String text = new HttpFetch(mesh.server.httpAddress()).get("/metrics").body();
        return PrometheusText.parse(text).family("meshdns_dns_tcp_closed_total").value(Map.of("reason", reason));
    }

    private static double pendingOutput() {
        String text = new HttpFetch(mesh.server.httpAddress()).get("/metrics").body();
        return PrometheusText.parse(text)
                .family("meshdns_dns_tcp_pending_output_bytes")
                .value(Map.of());
    }

    private static long ready(GlobalService service) {
        return service == null
                ? 0
                : service.endpoints().stream().filter(e -> e.ready()).count();
    }

    /** A headless Service {@code stateful/db} with {@code count} ready pods with hostnames, in slices of 1,000. */
    private static void statefulSet(KubernetesClient cluster, String prefix, int count) {
        cluster.namespaces().resource(MeshObjects.namespace("stateful")).create();
        cluster.services()
                .resource(MeshObjects.headless(MeshObjects.service("stateful", "db", "None", true), "db", 5432))
                .create();
        for (int first = 0; first < count; first += 1000) {
            List<EndpointSpec> pods = new ArrayList<>();
            for (int i = first; i < Math.min(count, first + 1000); i++) {
                pods.add(new EndpointSpec(
                        prefix + (i / 62500) + "." + (i / 250 % 250) + "." + (i % 250 + 1), true, "db-" + i));
            }
            cluster.discovery()
                    .v1()
                    .endpointSlices()
                    .resource(MeshObjects.sliceOf("stateful", "db", "db-" + first, "db", 5432, pods))
                    .create();
        }
    }
}
