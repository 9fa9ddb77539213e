package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshdns.server.cli.DemoMesh;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * {@code /api/top} against real DNS traffic: UDP packets over loopback to the demo mesh, then the API read
 * (which drains the samples first, so no waiting on the background tick).
 */
class TopNamesTest {
    /** A service that exists in west but is not exported: no global name. */
    static final String MISSING = "payments.shop.svc.clusterset.local.";

    static final String WEB = "web.shop.svc.clusterset.local.";

    @TempDir
    static Path dir;

    static DemoMesh demo;
    static MeshdnsServer server;

    @BeforeAll
    static void start() throws Exception {
        demo = DemoMesh.start(dir.resolve("kubeconfigs"));
        server = MeshdnsServer.start(
                ServerConfig.defaults()
                        .withDns("127.0.0.1", 0)
                        .withHttp("127.0.0.1", 0)
                        .withAdmin("127.0.0.1", 0),
                demo.specs());
        assertThat(server.awaitServed(s -> s.services().size() == 5, Duration.ofSeconds(30)))
                .isTrue();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (demo != null) {
            demo.close();
        }
    }

    @Test
    void aMissingNameAskedTenThousandTimesAmongAHundredThousandOthersIsTheTopNxdomainName() throws Exception {
        // 10,000 for the missing name, from cluster east (the EDNS0 option CoreDNS adds); 100,000 others: the
        // existing services and 5,000 other missing names asked 20 times each, in random order.
        List<byte[]> queries = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            queries.add(query(MISSING, "east"));
        }
        String[] existing = {
            WEB,
            "cart.shop.svc.clusterset.local.",
            "checkout.shop.svc.clusterset.local.",
            "db.shop.svc.clusterset.local."
        };
        for (int i = 0; i < 100_000; i++) {
            queries.add(
                    i % 5 == 4
                            ? query("gone-" + (i / 5 % 5_000) + ".shop.svc.clusterset.local.", null)
                            : query(existing[i % 5], null));
        }
        java.util.Collections.shuffle(queries, new Random(32));

        int answered = send(queries, server.dnsAddress());

        assertThat(answered).isGreaterThan(100_000); // loopback UDP may drop a few under a burst
        JsonNode top = HttpFetch.json(new HttpFetch(server.adminAddress()).get("/api/top"));
        assertThat(top.get("enabled").asBoolean()).isTrue();
        JsonNode first = top.get("nxdomain").get(0);
        assertThat(first.get("name").asText()).isEqualTo(MISSING);
        assertThat(first.get("cluster").asText()).isEqualTo("east");
        // About 10,000 estimated from 1 in 16 sampled: well above any other missing name's 20.
        assertThat(first.get("queries").asLong()).isBetween(7_000L, 13_000L);
        assertThat(top.get("nxdomain").get(1).get("queries").asLong())
                .isLessThan(first.get("queries").asLong() / 10);
        assertThat(top.get("existing")).extracting(e -> e.get("name").asText()).contains(WEB);
    }

    @Test
    void topNamesIsEtaggedAndUnchangedWithoutQueries() {
        HttpFetch http = new HttpFetch(server.adminAddress());
        var first = http.get("/api/top");
        String etag = first.headers().firstValue("ETag").orElseThrow();

        var again = http.get("/api/top", java.util.Map.of("If-None-Match", etag));

        assertThat(again.statusCode()).isEqualTo(304);
    }

    @Test
    void theSamplingIsOnByDefaultAndTurnsOffWithItsKey() {
        assertThat(ServerConfig.defaults().status().topNames().enabled()).isTrue();

        ServerConfig off = ConfigLoader.parse("t.yaml", "status:\n  topNames:\n    enabled: false\n");

        assertThat(off.status().topNames().enabled()).isFalse();
    }

    @Test
    void aMisspelledKeyUnderStatusIsAnErrorNamingIt() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> ConfigLoader.parse("t.yaml", "status:\n  topName: {}\n"))
                .isInstanceOf(io.meshdns.core.ConfigException.class)
                .hasMessageContaining("t.yaml")
                .hasMessageContaining("line 2")
                .hasMessageContaining("topName");
    }

    static byte[] query(String name, String cluster) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        if (cluster != null) {
            q.addRecord(
                    new OPTRecord(
                            1232,
                            0,
                            0,
                            0,
                            List.of(new GenericEDNSOption(0xff14, cluster.getBytes(StandardCharsets.US_ASCII)))),
                    Section.ADDITIONAL);
        }
        return q.toWire();
    }

    /** Sends every query, at most 32 unanswered at a time; returns the answers received. */
    static int send(List<byte[]> queries, InetSocketAddress to) throws Exception {
        int answered = 0;
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(2000);
            socket.setReceiveBufferSize(1 << 20);
            byte[] buffer = new byte[4096];
            int sent = 0;
            int outstanding = 0;
            while (sent < queries.size() || outstanding > 0) {
                while (outstanding < 32 && sent < queries.size()) {
                    byte[] q = queries.get(sent++);
                    socket.send(new DatagramPacket(q, q.length, to));
                    outstanding++;
                }
                try {
                    socket.receive(new DatagramPacket(buffer, buffer.length));
                    answered++;
                    outstanding--;
                } catch (SocketTimeoutException e) {
                    outstanding = 0; // lost on loopback: carry on with the rest
                }
            }
        }
        return answered;
    }
}
