package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterState;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.config.UdpTransport;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Packets that are not valid DNS queries get FORMERR when their header can be read, else nothing. */
@ParameterizedClass(name = "UDP over {0}")
@EnumSource(
        value = UdpTransport.class,
        names = {"NETTY", "FFM"})
class MalformedPacketTest {
    /** The UDP transport of this run (the server is started with it once per run, below). */
    @Parameter
    UdpTransport udpTransport;
    /** Why this run's transport cannot run here, or {@code null}. */
    static String unavailable;

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;

    @BeforeParameterizedClassInvocation
    static void start(UdpTransport udpTransport) throws Exception {
        unavailable = TwoClusterMesh.unavailable(udpTransport);
        if (unavailable != null) {
            return; // each test is skipped, with the reason (below)
        }
        mesh = new TwoClusterMesh(kubeconfigs, TwoClusterMesh.onUdpTransport(ServerConfig.defaults(), udpTransport));
        mesh.assertUdpTransport(udpTransport);
        // In-zone queries get start-up SERVFAIL until both (empty) clusters have synced once.
        assertThat(mesh.server.awaitServed(
                        s -> s.clusters().size() == 2
                                && s.clusters().values().stream().allMatch(h -> h.state() == ClusterState.SYNCED),
                        Duration.ofSeconds(60)))
                .as("both clusters synced")
                .isTrue();
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

    private static byte[] exchange(byte[] packet) throws Exception {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(1000);
            socket.send(new DatagramPacket(packet, packet.length, mesh.dns()));
            byte[] buf = new byte[4096];
            DatagramPacket reply = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(reply);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return Arrays.copyOf(buf, reply.getLength());
        }
    }

    /** One message over TCP (two-byte length prefix) on a fresh connection, and its reply. */
    private static byte[] exchangeTcp(byte[] packet) throws Exception {
        try (Socket socket = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
            socket.setSoTimeout(2000);
            var out = new DataOutputStream(socket.getOutputStream());
            out.writeShort(packet.length);
            out.write(packet);
            out.flush();
            var in = new DataInputStream(socket.getInputStream());
            byte[] reply = new byte[in.readUnsignedShort()];
            in.readFully(reply);
            return reply;
        }
    }

    private static Message exchange(DnsClient.Transport transport, byte[] packet) throws Exception {
        byte[] reply = transport == DnsClient.Transport.UDP ? exchange(packet) : exchangeTcp(packet);
        assertThat(reply).as("a reply").isNotNull();
        return new Message(reply);
    }

    /** An empty OPT record (EDNS size 1232) owned by {@code owner} in wire form. */
    private static byte[] opt(byte... owner) {
        byte[] rr = Arrays.copyOf(owner, owner.length + 10);
        rr[owner.length + 1] = 41; // type OPT
        rr[owner.length + 2] = 0x04; // class: the UDP payload size, 1232
        rr[owner.length + 3] = (byte) 0xd0;
        return rr;
    }

    /**
     * {@code clusterset.local. SOA} (or {@code qtype}; ID 0x2345) followed by {@code records} (wire form), counted
     * in the answer, authority and additional sections as {@code an}, {@code ns}, {@code ar} say.
     */
    private static byte[] queryWith(int an, int ns, int ar, byte[]... records) throws Exception {
        return queryWith(Type.SOA, an, ns, ar, records);
    }

    private static byte[] queryWith(int qtype, int an, int ns, int ar, byte[]... records) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString("clusterset.local."), qtype, DClass.IN));
        q.getHeader().setID(0x2345);
        var out = new java.io.ByteArrayOutputStream();
        out.writeBytes(q.toWire());
        for (byte[] r : records) {
            out.writeBytes(r);
        }
        byte[] packet = out.toByteArray();
        packet[7] = (byte) an;
        packet[9] = (byte) ns;
        packet[11] = (byte) ar;
        return packet;
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void anOptRecordNotOwnedByTheRootIsFormerr(DnsClient.Transport transport) throws Exception {
        // RFC 6891 6.1.2: the OPT record's name MUST be 0 (the root). Here: "x.".
        Message reply = exchange(transport, queryWith(0, 0, 1, opt((byte) 1, (byte) 'x', (byte) 0)));

        assertThat(reply.getHeader().getID()).isEqualTo(0x2345);
        assertThat(reply.getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void anOptRecordInTheAnswerSectionIsFormerr(DnsClient.Transport transport) throws Exception {
        assertThat(exchange(transport, queryWith(1, 0, 0, opt((byte) 0))).getRcode())
                .isEqualTo(Rcode.FORMERR);
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void anOptRecordInTheAuthoritySectionIsFormerr(DnsClient.Transport transport) throws Exception {
        assertThat(exchange(transport, queryWith(0, 1, 0, opt((byte) 0))).getRcode())
                .isEqualTo(Rcode.FORMERR);
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void twoOptRecordsAreFormerr(DnsClient.Transport transport) throws Exception {
        // RFC 6891 6.1.1: "If a query message with more than one OPT RR is received, a FORMERR MUST be returned."
        assertThat(exchange(transport, queryWith(0, 0, 2, opt((byte) 0), opt((byte) 0)))
                        .getRcode())
                .isEqualTo(Rcode.FORMERR);
    }

    @Test
    void aZoneTransferRequestWithAnOptRecordNotOwnedByTheRootIsFormerr() throws Exception {
        // Transfers leave the query path early (ZoneTransfer): the same rule holds there.
        byte[] axfr = queryWith(Type.AXFR, 0, 0, 1, opt((byte) 1, (byte) 'x', (byte) 0));

        assertThat(exchange(DnsClient.Transport.TCP, axfr).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void anOptRecordOwnedByTheRootInTheAdditionalSectionIsAnswered(DnsClient.Transport transport) throws Exception {
        Message reply = exchange(transport, queryWith(0, 0, 1, opt((byte) 0)));

        assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(reply.getOPT()).isNotNull();
    }

    @Test
    void queryWithATruncatedQuestionGetsFormerrWithItsId() throws Exception {
        // Header: id 0x1234, RD, QDCOUNT 1; then a question cut off in the middle of its name.
        byte[] packet = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 3, 'w', 'e'};

        byte[] reply = exchange(packet);

        assertThat(reply).isNotNull();
        Message m = new Message(reply);
        assertThat(m.getHeader().getID()).isEqualTo(0x1234);
        assertThat(m.getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void packetShorterThanAHeaderIsDropped() throws Exception {
        assertThat(exchange(new byte[] {0x12, 0x34, 0x01})).isNull();
    }

    @Test
    void serverKeepsAnsweringAfterMalformedPackets() throws Exception {
        exchange(new byte[] {0x12, 0x34, 0x01});
        exchange(new byte[] {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, (byte) 0xff});

        assertThat(mesh.udp().query("clusterset.local.", Type.SOA).getRcode()).isEqualTo(Rcode.NOERROR);
    }
}
