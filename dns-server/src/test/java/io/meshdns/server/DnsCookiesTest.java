package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.meshdns.core.KubernetesNames;
import io.meshdns.server.answer.ServerCookies;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.UdpTransport;
import io.meshdns.testkit.MeshObjects;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
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
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS cookies (RFC 7873, server cookies as RFC 9018 builds them) as clients see them over real sockets,
 * with response rate limiting on (10 answers a second per /24, every second limited answer slipped).
 */
@ParameterizedClass(name = "UDP over {0}")
@EnumSource(
        value = UdpTransport.class,
        names = {"NETTY", "FFM"})
class DnsCookiesTest {
    /** The UDP transport of this run (the server is started with it once per run, below). */
    @Parameter
    UdpTransport udpTransport;
    /** Why this run's transport cannot run here, or {@code null}. */
    static String unavailable;

    static final String WEB = "web.shop.svc.clusterset.local.";
    static final String BIG = "big.shop.svc.clusterset.local.";
    static final byte[] SECRET = HexFormat.of().parseHex("0f1e2d3c4b5a69788796a5b4c3d2e1f0");

    @TempDir
    static Path dir;

    static TwoClusterMesh mesh;

    @BeforeParameterizedClassInvocation
    static void start(UdpTransport udpTransport) throws Exception {
        unavailable = TwoClusterMesh.unavailable(udpTransport);
        if (unavailable != null) {
            return; // each test is skipped, with the reason (below)
        }
        Path secret =
                Files.writeString(dir.resolve("cookie-secret"), HexFormat.of().formatHex(SECRET) + "\n");
        mesh = new TwoClusterMesh(
                dir,
                TwoClusterMesh.onUdpTransport(
                        ConfigLoader.parse("test", """
        dns:
          cookies: {enabled: true, secretFile: %s}
          rateLimit: {responsesPerSecond: 10, slip: 2, window: 1s}
        """.formatted(secret.toAbsolutePath())), udpTransport));
        mesh.assertUdpTransport(udpTransport);
        mesh.exportWebFromEast(); // awaited over TCP: not rate limited
        // 60 pods, all answered: more than 512 bytes.
        mesh.east()
                .services()
                .resource(new ServiceBuilder(MeshObjects.service("shop", "big", "10.96.0.11", true))
                        .editMetadata()
                        .addToAnnotations(KubernetesNames.MAX_ANSWERS_ANNOTATION, "60")
                        .endMetadata()
                        .build())
                .create();
        MeshObjects.slice(mesh.east(), "shop", "big", "big-east", MeshObjects.pods("10.10.2.", 1, 60, true));
        mesh.tcp().addressesOnceTrue(BIG, a -> a.size() == 60);
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

    /** {@code name} A with EDNS (UDP size {@code udpSize}) and a COOKIE option holding {@code cookie}. */
    static byte[] query(String name, int udpSize, byte[] cookie) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        q.getHeader().setID(0x3456);
        q.addRecord(
                new OPTRecord(udpSize, 0, 0, 0, List.of(new GenericEDNSOption(EDNSOption.Code.COOKIE, cookie))),
                Section.ADDITIONAL);
        return q.toWire();
    }

    static byte[] udp(InetAddress from, byte[] packet) throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(from, 0))) {
            socket.setSoTimeout(2000);
            socket.send(new DatagramPacket(packet, packet.length, mesh.dns()));
            byte[] buf = new byte[4096];
            DatagramPacket reply = new DatagramPacket(buf, buf.length);
            socket.receive(reply);
            return Arrays.copyOf(buf, reply.getLength());
        }
    }

    static byte[] tcp(byte[] packet) throws Exception {
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

    static Message exchange(DnsClient.Transport transport, byte[] packet) throws Exception {
        return new Message(
                transport == DnsClient.Transport.UDP ? udp(InetAddress.getLoopbackAddress(), packet) : tcp(packet));
    }

    /** The data of the response's COOKIE option, or {@code null} without one. */
    static byte[] cookieOf(Message m) {
        List<EDNSOption> cookies = m.getOPT() == null ? List.of() : m.getOPT().getOptions(EDNSOption.Code.COOKIE);
        assertThat(cookies).hasSizeLessThanOrEqualTo(1);
        if (cookies.isEmpty()) {
            return null;
        }
        byte[] wire = cookies.get(0).toWire();
        return Arrays.copyOfRange(wire, 4, wire.length);
    }

    /** Whether {@code cookie} is a server cookie made with the test secret for {@code client}, current now. */
    static boolean validFor(byte[] cookie, InetAddress client) {
        return new ServerCookies(List.of(SECRET))
                .hasher()
                .valid(cookie, client.getAddress(), System.currentTimeMillis() / 1000);
    }

    /** Counts of {full answers, slipped answers, no answer} for {@code n} queries sent at once from {@code from}. */
    static int[] burst(InetAddress from, byte[] cookie, int n) throws Exception {
        int[] counts = new int[3];
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(from, 0))) {
            socket.setSoTimeout(300);
            byte[] packet = query(WEB, 1232, cookie);
            for (int i = 0; i < n; i++) {
                socket.send(new DatagramPacket(packet, packet.length, mesh.dns()));
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
                counts[m.getHeader().getFlag(Flags.TC) ? 1 : 0]++;
            }
            counts[2] = n - received;
        }
        return counts;
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void aClientCookieGetsItBackWithA16ByteServerCookieMadeForThatClient(DnsClient.Transport transport)
            throws Exception {
        byte[] clientCookie = {1, 2, 3, 4, 5, 6, 7, 8};

        Message reply = exchange(transport, query(WEB, 1232, clientCookie));

        assertThat(reply.getSection(Section.ANSWER)).hasSize(3);
        byte[] cookie = cookieOf(reply);
        assertThat(cookie).hasSize(24);
        assertThat(Arrays.copyOf(cookie, 8)).as("the client cookie, echoed").isEqualTo(clientCookie);
        assertThat(Arrays.copyOfRange(cookie, 8, 12))
                .as("RFC 9018 version 1, reserved zero")
                .containsExactly(1, 0, 0, 0);
        assertThat(validFor(cookie, InetAddress.getLoopbackAddress())).isTrue();
    }

    @Test
    void aServerCookieSentBackIsEchoedAndLetPastResponseRateLimiting() throws Exception {
        InetAddress client = InetAddress.getByName("127.0.5.1");
        byte[] learned = cookieOf(new Message(udp(client, query(WEB, 1232, new byte[] {9, 9, 9, 9, 9, 9, 9, 9}))));

        int[] withCookie = burst(client, learned, 60);
        assertThat(withCookie[0])
                .as("answered in full with a valid server cookie")
                .isEqualTo(60);

        int[] clientCookieOnly = burst(InetAddress.getByName("127.0.6.1"), Arrays.copyOf(learned, 8), 60);
        assertThat(clientCookieOnly[0])
                .as("a client cookie alone proves nothing: limited")
                .isBetween(10, 14);
    }

    @Test
    void aServerCookieMadeForAnotherAddressGetsAFreshOneAndIsRateLimited() throws Exception {
        byte[] learned = cookieOf(new Message(
                udp(InetAddress.getByName("127.0.7.1"), query(WEB, 1232, new byte[] {7, 7, 7, 7, 7, 7, 7, 7}))));
        InetAddress other = InetAddress.getByName("127.0.8.1");

        byte[] fresh = cookieOf(new Message(udp(other, query(WEB, 1232, learned))));
        assertThat(fresh).isNotEqualTo(learned);
        assertThat(validFor(fresh, other)).isTrue();
        assertThat(burst(InetAddress.getByName("127.0.9.1"), learned, 60)[0]).isBetween(10, 14);
    }

    /** A server cookie made with the test secret for {@code client} {@code seconds} ago. */
    static byte[] cookieMade(InetAddress client, long secondsAgo) {
        byte[] cookie = Arrays.copyOf(new byte[] {5, 5, 5, 5, 5, 5, 5, 5}, 24);
        new ServerCookies(List.of(SECRET))
                .hasher()
                .fresh(cookie, client.getAddress(), System.currentTimeMillis() / 1000 - secondsAgo);
        return cookie;
    }

    @Test
    void aServerCookieYoungerThanHalfAnHourIsKept() throws Exception {
        InetAddress client = InetAddress.getLoopbackAddress();
        byte[] tenMinutesOld = cookieMade(client, 600);

        assertThat(cookieOf(new Message(udp(client, query(WEB, 1232, tenMinutesOld)))))
                .isEqualTo(tenMinutesOld);
    }

    @Test
    void aServerCookieOlderThanHalfAnHourIsRenewedAndAnExpiredOneReplaced() throws Exception {
        // RFC 9018 4.3: valid for an hour, renewed after half of it.
        InetAddress client = InetAddress.getLoopbackAddress();
        for (long age : new long[] {2400, 7200}) {
            byte[] old = cookieMade(client, age);

            byte[] fresh = cookieOf(new Message(udp(client, query(WEB, 1232, old))));

            assertThat(Arrays.copyOf(fresh, 8)).isEqualTo(Arrays.copyOf(old, 8));
            assertThat(ServerCookies.age(fresh, System.currentTimeMillis() / 1000))
                    .as(age + " s old")
                    .isBetween(0, 60);
            assertThat(validFor(fresh, client)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void aMalformedCookieOptionIsFormerr(DnsClient.Transport transport) throws Exception {
        // The same question with a well-formed cookie first, so that its answer is stored and would be reused.
        assertThat(exchange(transport, query(WEB, 1232, new byte[8])).getRcode())
                .isEqualTo(Rcode.NOERROR);
        // RFC 7873 5.2.2: shorter than a client cookie, between 9 and 15 bytes, or longer than 40.
        for (int length : new int[] {7, 12, 41}) {
            Message reply = exchange(transport, query(WEB, 1232, new byte[length]));

            assertThat(reply.getHeader().getID()).isEqualTo(0x3456);
            assertThat(reply.getRcode()).as(length + " bytes").isEqualTo(Rcode.FORMERR);
        }
    }

    @Test
    void aCookieNeverTakesAnAnswerPastTheClientsUdpSize() throws Exception {
        byte[] reply = udp(InetAddress.getLoopbackAddress(), query(BIG, 512, new byte[] {3, 3, 3, 3, 3, 3, 3, 3}));

        assertThat(reply.length).isLessThanOrEqualTo(512);
        Message m = new Message(reply);
        assertThat(m.getHeader().getFlag(Flags.TC))
                .as("60 addresses do not fit: truncated")
                .isTrue();
        assertThat(cookieOf(m)).hasSize(24);
    }
}
