package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.config.UdpTransport;
import io.meshdns.testkit.MeshObjects;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Queries that arrive together are read and answered in batches (recvmmsg and sendmmsg with epoll): every
 * one must still be answered once, to its own sender, with its own ID and question.
 */
@ParameterizedClass(name = "UDP over {0}")
@EnumSource(
        value = UdpTransport.class,
        names = {"NETTY", "FFM"})
class UdpBurstTest {
    /** The UDP transport of this run (the server is started with it once per run, below). */
    @Parameter
    UdpTransport udpTransport;
    /** Why this run's transport cannot run here, or {@code null}. */
    static String unavailable;

    static final int SOCKETS = 4;
    static final int QUERIES_PER_SOCKET = 200;

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
        for (String name : List.of("web", "cart")) {
            MeshObjects.exported(mesh.east(), "shop", name, null);
            slice(
                    mesh.east(),
                    "shop",
                    name,
                    name + "-east",
                    pods(name.equals("web") ? "10.10.1." : "10.10.2.", 1, 2, true));
        }
        mesh.udp().addressesOnceTrue("cart.shop.svc.clusterset.local.", s -> s.size() == 2);
        mesh.udp().addressesOnceTrue("web.shop.svc.clusterset.local.", s -> s.size() == 2);
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

    @Test
    void burstFromSeveralSocketsIsAnsweredOnceEachToItsSender() throws Exception {
        List<DatagramSocket> sockets = new ArrayList<>();
        try {
            List<Map<Integer, String>> sent = new ArrayList<>();
            for (int s = 0; s < SOCKETS; s++) {
                DatagramSocket socket = new DatagramSocket();
                socket.setReceiveBufferSize(1 << 20);
                socket.setSoTimeout(3000);
                sockets.add(socket);
                sent.add(new HashMap<>());
            }
            // Every socket fires all its queries before anyone reads: the server sees them queued together.
            for (int i = 0; i < QUERIES_PER_SOCKET; i++) {
                for (int s = 0; s < SOCKETS; s++) {
                    String name = (i + s) % 3 == 0
                            ? "nope.shop.svc.clusterset.local."
                            : i % 2 == 0 ? "web.shop.svc.clusterset.local." : "cart.shop.svc.clusterset.local.";
                    Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
                    q.getHeader().setID(s * QUERIES_PER_SOCKET + i);
                    byte[] wire = q.toWire();
                    sockets.get(s).send(new DatagramPacket(wire, wire.length, mesh.dns()));
                    sent.get(s).put(q.getHeader().getID(), name);
                }
            }
            for (int s = 0; s < SOCKETS; s++) {
                Map<Integer, String> expected = sent.get(s);
                Map<Integer, String> answered = new HashMap<>();
                byte[] buf = new byte[1232];
                while (answered.size() < expected.size()) {
                    DatagramPacket reply = new DatagramPacket(buf, buf.length);
                    try {
                        sockets.get(s).receive(reply);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                    Message m = new Message(Arrays.copyOf(buf, reply.getLength()));
                    String name = m.getQuestion().getName().toString();
                    assertThat(answered.put(m.getHeader().getID(), name))
                            .as("answered twice")
                            .isNull();
                    assertThat(m.getRcode()).isEqualTo(name.startsWith("nope") ? Rcode.NXDOMAIN : Rcode.NOERROR);
                    if (!name.startsWith("nope")) {
                        assertThat(m.getSection(Section.ANSWER)).hasSize(2);
                    }
                }
                assertThat(answered).as("socket %d", s).isEqualTo(expected);
            }
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }
}
