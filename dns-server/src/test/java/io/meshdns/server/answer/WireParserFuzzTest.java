package io.meshdns.server.answer;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.QuerierResolver;
import io.meshdns.server.MeshdnsServer;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.config.UdpTransport;
import io.meshdns.server.transport.DnsServer;
import io.meshdns.server.transport.QueryMetrics;
import io.meshdns.server.transport.UdpTransportSelector;
import io.meshdns.server.zone.ServedZone;
import io.meshdns.server.zone.ZoneSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;

/**
 * Coverage-guided fuzzing of everything that reads query bytes: {@link WireQuery} (the cache's reader) and
 * the whole {@link QueryResponder} behind it, with its answer cache. {@code ./mvnw verify} replays the committed corpus
 * ({@code src/test/resources/io/meshdns/server/answer/WireParserFuzzTestInputs/}); {@code JAZZER_FUZZ=1} fuzzes.
 */
class WireParserFuzzTest {
    private static final InetAddress CLIENT = InetAddress.getLoopbackAddress();
    /** Before the responders: they are built from it. */
    private static final Instant PUBLISHED = Instant.parse("2026-11-29T00:00:00Z");

    private static final QueryResponder RESPONDER = responder("reverseZones: [10.0.0.0/8]\n");
    /** The reference: every answer computed afresh. */
    private static final QueryResponder UNCACHED = responder("reverseZones: [10.0.0.0/8]\ndns: {cache: 0}\n");
    /** With DNS cookies on: its answers over TLS also carry the query's own options (cookie, padding). */
    private static final QueryResponder WITH_OPTIONS =
            responder("reverseZones: [10.0.0.0/8]\ndns: {cookies: {enabled: true}}\n");

    /**
     * Whatever the bytes, the responder neither throws nor answers with something that is not a DNS
     * response to that query (same ID, QR set, at most 64 KiB), also with DNS cookies on and over TLS, where
     * the query's cookie and padding are appended to the answer; and it keeps answering a plain query
     * correctly afterwards (no input spoils the answer cache).
     */
    @FuzzTest(maxDuration = "60s")
    void anyPacketGetsAWellFormedResponseOrNone(@NotNull byte[] packet) throws IOException {
        for (int run = 0; run < 3; run++) {
            boolean tcp = run > 0;
            ByteBuf answer = run < 2
                    ? RESPONDER.respond(Unpooled.wrappedBuffer(packet), CLIENT, tcp, UnpooledByteBufAllocator.DEFAULT)
                    : WITH_OPTIONS.respond(
                            Unpooled.wrappedBuffer(packet), CLIENT, true, true, UnpooledByteBufAllocator.DEFAULT);
            if (answer == null) {
                continue;
            }
            byte[] wire = ByteBufUtil.getBytes(answer);
            answer.release();
            assertThat(wire.length).isBetween(12, QueryResponder.TCP_MAX);
            assertThat(wire[0]).isEqualTo(packet[0]);
            assertThat(wire[1]).isEqualTo(packet[1]);
            Message response = new Message(wire);
            assertThat(response.getHeader().getFlag(Flags.QR)).isTrue();
        }
        ByteBuf plain = Unpooled.wrappedBuffer(PLAIN_QUERY);
        Message after = new Message(
                ByteBufUtil.getBytes(RESPONDER.respond(plain, CLIENT, false, UnpooledByteBufAllocator.DEFAULT)));
        assertThat(after.getRcode()).isZero();
        assertThat(after.getSectionArray(org.xbill.DNS.Section.ANSWER)).hasSize(2);
    }

    /**
     * No packet changes what others are answered: after any packet the fast reader ({@link WireQuery})
     * takes for a plain query, the same question asked well formed (same name bytes, type, class and EDNS
     * size, no options) gets the answer a responder without a cache gives it. (The fast reader accepts
     * some packets dnsjava rejects, such as malformed EDNS options; their FORMERR must stay theirs.)
     */
    @FuzzTest(maxDuration = "60s")
    void noPacketChangesTheAnswerToItsQuestionAskedWellFormed(@NotNull byte[] packet) throws IOException {
        WireQuery wire = new WireQuery();
        if (!wire.read(packet, packet.length, 65300)) {
            return;
        }
        byte[] wellFormed = wellFormed(wire);
        ByteBuf first =
                RESPONDER.respond(Unpooled.wrappedBuffer(packet), CLIENT, false, UnpooledByteBufAllocator.DEFAULT);
        if (first != null) {
            first.release();
        }
        assertThat(answerOf(RESPONDER, wellFormed)).isEqualTo(answerOf(UNCACHED, wellFormed));
    }

    /**
     * Whatever the datagram, each UDP transport (Netty's, and ffm where it runs) answers it as the responder
     * does, with the same header and length, or not at all, and goes on answering: the datagram path adds and
     * loses nothing. (One socket per server, so a datagram's answer, if any, arrives before the next one's.)
     */
    @FuzzTest(maxDuration = "60s")
    void anyDatagramIsAnsweredOverEachUdpTransportAsTheResponderAnswersIt(@NotNull byte[] packet) throws IOException {
        if (packet.length > DnsServer.MAX_UDP_QUERY) {
            return;
        }
        ByteBuf direct =
                RESPONDER.respond(Unpooled.wrappedBuffer(packet), CLIENT, false, UnpooledByteBufAllocator.DEFAULT);
        byte[] expected = direct == null ? null : ByteBufUtil.getBytes(direct);
        if (direct != null) {
            direct.release();
        }
        int plainId = packet.length >= 2 && (packet[0] & 0xff) == 0x12 && (packet[1] & 0xff) == 0x34 ? 0x4321 : 0x1234;
        byte[] plain = PLAIN_QUERY.clone();
        plain[0] = (byte) (plainId >> 8);
        plain[1] = (byte) plainId;
        for (DnsServer server : OverUdp.servers()) {
            try (java.net.DatagramSocket socket =
                    new java.net.DatagramSocket(new java.net.InetSocketAddress(CLIENT, 0))) {
                socket.setSoTimeout(10_000); // a guard against a hang, not a measure
                socket.send(new java.net.DatagramPacket(packet, packet.length, server.address()));
                socket.send(new java.net.DatagramPacket(plain, plain.length, server.address()));
                byte[] first = receive(socket);
                String transport = server.udpTransportName();
                if (expected != null) {
                    assertThat(first.length)
                            .as("answer length over %s", transport)
                            .isEqualTo(expected.length);
                    assertThat(Arrays.copyOf(first, 4))
                            .as("answer header over %s", transport)
                            .isEqualTo(Arrays.copyOf(expected, 4));
                    first = receive(socket);
                }
                assertThat(((first[0] & 0xff) << 8) | (first[1] & 0xff))
                        .as("the plain query's answer over %s", transport)
                        .isEqualTo(plainId);
                assertThat(new Message(first).getSectionArray(org.xbill.DNS.Section.ANSWER))
                        .hasSize(2);
            }
        }
    }

    private static byte[] receive(java.net.DatagramSocket socket) throws IOException {
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[65536], 65536);
        socket.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    @AfterAll
    static void closeServers() {
        OverUdp.close();
    }

    /** One DNS server per UDP transport that runs here, over {@link #RESPONDER}, started on first use. */
    private static final class OverUdp {
        private static List<DnsServer> servers;

        static synchronized List<DnsServer> servers() {
            if (servers == null) {
                List<DnsServer> started = new java.util.ArrayList<>();
                for (UdpTransport t : UdpTransportSelector.ffmUnavailable() == null
                        ? List.of(UdpTransport.NETTY, UdpTransport.FFM)
                        : List.of(UdpTransport.NETTY)) {
                    try {
                        started.add(new DnsServer(
                                        RESPONDER,
                                        new QueryMetrics(new SimpleMeterRegistry()),
                                        1,
                                        Duration.ofSeconds(10),
                                        Duration.ofSeconds(2),
                                        10,
                                        10,
                                        1 << 20,
                                        1 << 16,
                                        new ServerConfig.RateLimit(null, null, null),
                                        t)
                                .start(CLIENT, 0));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                servers = started;
            }
            return servers;
        }

        static synchronized void close() {
            if (servers != null) {
                servers.forEach(DnsServer::close);
                servers = null;
            }
        }
    }

    /** The rcode and the answer section as a sorted list of strings: what a client would see, order aside. */
    private static List<String> answerOf(QueryResponder responder, byte[] query) throws IOException {
        ByteBuf reply =
                responder.respond(Unpooled.wrappedBuffer(query), CLIENT, false, UnpooledByteBufAllocator.DEFAULT);
        if (reply == null) {
            return List.of("no reply");
        }
        Message m = new Message(ByteBufUtil.getBytes(reply));
        reply.release();
        List<String> out = new java.util.ArrayList<>();
        out.add("rcode " + m.getRcode() + (m.getHeader().getFlag(Flags.TC) ? " TC" : ""));
        for (org.xbill.DNS.Record r : m.getSection(org.xbill.DNS.Section.ANSWER)) {
            // The SOA serial is not the cache's: a responder's first serial is the second it was built in (its
            // empty zone has no publication time), and the two responders here may be built a second apart.
            out.add(
                    r instanceof org.xbill.DNS.SOARecord soa
                            ? "soa " + soa.getName() + " " + soa.getHost() + " " + soa.getAdmin() + " "
                                    + soa.getMinimum()
                            : r.toString().toLowerCase(java.util.Locale.ROOT));
        }
        java.util.Collections.sort(out.subList(1, out.size()));
        return out;
    }

    /** The question the fast reader read, as a well-formed query: ID 0x4242, RD, and OPT when it had one. */
    private static byte[] wellFormed(WireQuery wire) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        boolean edns = wire.ednsPayload >= 0;
        out.writeBytes(new byte[] {0x42, 0x42, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, (byte) (edns ? 1 : 0)});
        out.write(wire.question, 0, wire.questionLength);
        if (edns) {
            out.writeBytes(
                    new byte[] {0, 0, 41, (byte) (wire.ednsPayload >> 8), (byte) wire.ednsPayload, 0, 0, 0, 0, 0, 0});
        }
        return out.toByteArray();
    }

    /** {@code web.shop.svc.clusterset.local. A}, ID 0x1234, RD. */
    private static final byte[] PLAIN_QUERY = plainQuery();

    private static byte[] plainQuery() {
        try {
            Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(
                    org.xbill.DNS.Name.fromString("web.shop.svc.clusterset.local."),
                    org.xbill.DNS.Type.A,
                    org.xbill.DNS.DClass.IN));
            q.getHeader().setID(0x1234);
            return q.toWire();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A responder over a small mesh: one service with two pods and a named port, in one synced cluster. */
    private static QueryResponder responder(String yaml) {
        try {
            ServerConfig config = ConfigLoader.parse("(fuzz)", yaml);
            var balancing = MeshdnsServer.loadBalancing(config, List.of());
            var selector = new EndpointSelector(balancing);
            var zone = new ServedZone(ZoneSettings.of(config));
            var responder = MeshdnsServer.responder(
                    zone, config.dns(), config.axfr(), selector, new QuerierResolver(balancing));
            ClusterId east = ClusterId.of("east");
            ServiceKey web = ServiceKey.of("shop", "web");
            List<Endpoint> pods = List.of(
                    new Endpoint(east, InetAddress.getByName("10.10.1.1"), true, true, false, null, null, null),
                    new Endpoint(east, InetAddress.getByName("10.10.1.2"), true, true, false, null, null, null));
            var service = new ClusterService(
                    east, web, "ClusterIP", false, null, List.of(new ServicePort("http", 80, "TCP")), pods, Map.of());
            // One publication time for both responders: the SOA serial is derived from it, and the two must agree.
            MeshSnapshot snapshot = MeshSnapshot.of(
                    1,
                    PUBLISHED,
                    Map.of(web, new GlobalService(web, Map.of(east, service))),
                    Map.of(east, new ClusterHealth(east, ClusterState.SYNCED, PUBLISHED, null, 1, 2, 0, null)));
            selector.update(snapshot);
            zone.update(snapshot);
            return responder;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
