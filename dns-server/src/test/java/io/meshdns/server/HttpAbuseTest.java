package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile HTTP clients (connections enough to fill every cap, headers trickled a byte at a time, kept-alive
 * connections left idle, pipelined requests whose answers are never read) are cut off and counted, and
 * {@code /healthz} is still answered. Each test runs its own server with small limits and no clusters, over
 * real sockets on loopback; other sources are other loopback addresses (127.0.0.2, ...).
 */
class HttpAbuseTest {
    private MeshdnsServer server;
    private final List<Socket> sockets = new ArrayList<>();

    private MeshdnsServer start(String yaml) {
        ServerConfig config = ConfigLoader.parse("test", yaml);
        server = MeshdnsServer.start(
                config.withDns("127.0.0.1", 0).withHttp("127.0.0.1", 0).withAdmin("127.0.0.1", 0), List.of());
        return server;
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aConnectionOverTheTotalCapClosesTheOneLongestWithoutARequestNotTheOldest() throws Exception {
        start("admin: {maxConnections: 3, requestTimeout: 1m, idleTimeout: 1m}\n");
        InetSocketAddress admin = server.adminAddress();
        Socket oldest = connect("127.0.0.2", admin);
        Socket silent = connect("127.0.0.3", admin);
        Socket third = connect("127.0.0.4", admin);
        assertThat(get(oldest, "/api/status")).isEqualTo(200); // the oldest has sent a request since

        Socket newest = connect("127.0.0.5", admin);

        assertThat(closedByServer(silent))
                .as("the connection longest without a whole request")
                .isTrue();
        assertThat(get(newest, "/api/status")).isEqualTo(200);
        assertThat(get(oldest, "/api/status")).isEqualTo(200);
        assertThat(get(third, "/api/status")).isEqualTo(200);
        assertThat(closed("admin", "connection_cap")).isEqualTo(1);
    }

    @Test
    void aSourceOverItsCapLosesItsOwnOldestConnectionNotAnotherSources() throws Exception {
        start("admin: {maxConnections: 10, maxConnectionsPerSource: 2, requestTimeout: 1m, idleTimeout: 1m}\n");
        InetSocketAddress admin = server.adminAddress();
        Socket first = connect("127.0.0.2", admin);
        Socket other = connect("127.0.0.3", admin);
        Socket second = connect("127.0.0.2", admin);

        Socket third = connect("127.0.0.2", admin);

        assertThat(closedByServer(first))
                .as("127.0.0.2's connection longest without a request")
                .isTrue();
        assertThat(get(other, "/api/status")).isEqualTo(200);
        assertThat(get(second, "/api/status")).isEqualTo(200);
        assertThat(get(third, "/api/status")).isEqualTo(200);
        assertThat(closed("admin", "source_cap")).isEqualTo(1);
    }

    @Test
    void healthzIsAnsweredWhileOneSourceHoldsItsCapAndKeepsOpeningConnections() throws Exception {
        start("http: {maxConnections: 8, maxConnectionsPerSource: 4, requestTimeout: 1m, idleTimeout: 1m}\n");
        List<Socket> attacker = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            attacker.add(connect("127.0.0.2", server.httpAddress()));
        }
        for (Socket s : attacker.subList(0, 96)) {
            assertThat(closedByServer(s))
                    .as("an attacker connection over the per-source cap")
                    .isTrue();
        }

        Socket probe = connect("127.0.0.1", server.httpAddress());

        assertThat(get(probe, "/healthz")).isEqualTo(200);
        assertThat(closed("metrics", "source_cap")).isEqualTo(96);
    }

    @Test
    void healthzGetsInWhenEveryConnectionIsHeldByIdleClientsOfManySources() throws Exception {
        start("http: {maxConnections: 8, maxConnectionsPerSource: 2, requestTimeout: 1m, idleTimeout: 1m}\n");
        List<Socket> idle = new ArrayList<>();
        for (int source = 2; source < 6; source++) {
            for (int i = 0; i < 2; i++) {
                idle.add(connect("127.0.0." + source, server.httpAddress()));
            }
        }

        Socket probe = connect("127.0.0.1", server.httpAddress());

        assertThat(get(probe, "/healthz")).isEqualTo(200);
        assertThat(closedByServer(idle.get(0)))
                .as("the idle connection opened first")
                .isTrue();
        // Scraped through the probe's connection: another one would push out a second idle client.
        assertThat(closed(probe, "metrics", "connection_cap")).isEqualTo(1);
    }

    @Test
    void headersTrickledPastTheRequestTimeoutAreCut() throws Exception {
        start("http: {requestTimeout: 300ms, idleTimeout: 1m}\n");
        Socket trickler = connect("127.0.0.2", server.httpAddress());
        OutputStream out = trickler.getOutputStream();
        out.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
        trickler.setSoTimeout(50); // how often a byte goes out; the server's close ends the loop
        boolean cut = false;
        for (int i = 0; i < 200 && !cut; i++) { // at most 10 s: far past the 300 ms deadline
            try {
                out.write('a');
                cut = trickler.getInputStream().read() < 0;
            } catch (SocketTimeoutException stillOpen) {
                // next byte
            } catch (SocketException reset) {
                cut = true;
            }
        }

        assertThat(cut).as("closed by the server before the headers ended").isTrue();
        assertThat(closed("metrics", "request_timeout")).isEqualTo(1);
    }

    @Test
    void aConnectionThatSendsNothingIsCutAtTheRequestTimeout() throws Exception {
        start("http: {requestTimeout: 300ms, idleTimeout: 1m}\n");
        Socket silent = connect("127.0.0.2", server.httpAddress());

        assertThat(closedByServer(silent)).isTrue();
        assertThat(closed("metrics", "request_timeout")).isEqualTo(1);
    }

    @Test
    void aKeptAliveConnectionLeftIdleIsClosedAfterTheIdleTimeout() throws Exception {
        start("http: {requestTimeout: 1m, idleTimeout: 300ms}\n");
        Socket client = connect("127.0.0.2", server.httpAddress());
        assertThat(get(client, "/healthz")).isEqualTo(200);

        assertThat(closedByServer(client)).isTrue();
        assertThat(closed("metrics", "idle_timeout")).isEqualTo(1);
    }

    @Test
    void aClientThatPipelinesRequestsAndNeverReadsTheAnswersIsCutOff() throws Exception {
        start("http: {requestTimeout: 1m, idleTimeout: 1m}\n");
        Socket client = connect("127.0.0.2", server.httpAddress());
        byte[] batch = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        boolean cut = false;
        // At most a million requests: their answers (about 150 MB) would be queued in memory without the cut.
        for (int i = 0; i < 1000 && !cut; i++) {
            try {
                client.getOutputStream().write(batch);
            } catch (SocketException reset) {
                cut = true;
            }
        }

        assertThat(cut).as("closed by the server while the client kept sending").isTrue();
        assertThat(closed("metrics", "unread_response")).isEqualTo(1);
    }

    @Test
    void aClientThatHangsUpMidRequestIsNotCountedAsCutOff() throws Exception {
        start("http: {requestTimeout: 1m, idleTimeout: 1m}\n");
        Socket client = connect("127.0.0.2", server.httpAddress());
        client.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));

        client.close();

        HttpFetch metrics = new HttpFetch(server.httpAddress());
        PrometheusText after = PrometheusText.parse(metrics.get("/metrics").body());
        for (int i = 0; i < 200 && open(after, "metrics") > 1; i++) { // until only the scrape's own is open
            Thread.sleep(10);
            after = PrometheusText.parse(metrics.get("/metrics").body());
        }
        assertThat(open(after, "metrics"))
                .as("connections open besides the scrape's")
                .isEqualTo(1);
        for (String reason :
                List.of("connection_cap", "source_cap", "request_timeout", "idle_timeout", "unread_response")) {
            assertThat(closed(after, "metrics", reason)).as(reason).isZero();
        }
    }

    private static double open(PrometheusText metrics, String listener) {
        return metrics.family("meshdns_http_connections").value(Map.of("listener", listener));
    }

    private Socket connect(String source, InetSocketAddress server) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(source, 0));
        s.connect(server);
        s.setSoTimeout(10_000); // a bound on each wait for the server, not a measure of it
        return s;
    }

    /** Sends a kept-alive GET and reads the whole response; its status. */
    private static int get(Socket s, String path) throws IOException {
        return Integer.parseInt(exchange(s, path).substring(9, 12));
    }

    /** Sends a kept-alive GET and reads the whole response: head and body. */
    private static String exchange(Socket s, String path) throws IOException {
        s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed by the server before a response; had: " + head);
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /** Waits for the server to close {@code s}: end of stream or a reset, within the socket's read bound. */
    private static boolean closedByServer(Socket s) throws IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    /** {@code meshdns_http_connections_closed_total} for one listener and reason, scraped from /metrics. */
    private double closed(String listener, String reason) {
        return closed(
                PrometheusText.parse(
                        new HttpFetch(server.httpAddress()).get("/metrics").body()),
                listener,
                reason);
    }

    /** The same, scraped through {@code via}, a connection to the metrics listener already open. */
    private static double closed(Socket via, String listener, String reason) throws IOException {
        String response = exchange(via, "/metrics");
        return closed(PrometheusText.parse(response.substring(response.indexOf("\r\n\r\n") + 4)), listener, reason);
    }

    private static double closed(PrometheusText metrics, String listener, String reason) {
        return metrics.family("meshdns_http_connections_closed_total")
                .value(Map.of("listener", listener, "reason", reason));
    }
}
