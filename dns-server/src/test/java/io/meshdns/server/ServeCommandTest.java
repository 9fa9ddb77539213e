package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.meshdns.server.cli.DemoTls;
import io.meshdns.testkit.Kubeconfig;
import io.meshdns.testkit.MockCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshdns serve} refuses a config it cannot use with one clear line and exit code 2. */
class ServeCommandTest {
    @TempDir
    Path dir;

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    private int serve(Path config) {
        // A config that is wrongly accepted would serve forever: fail instead of hanging the build.
        return assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () -> Main.run(
                        new PrintWriter(out, true),
                        new PrintWriter(err, true),
                        "serve",
                        "--config",
                        config.toString()));
    }

    @Test
    void aWildcardMetricsBindIsPrintedAsAllAddressesNotAsLoopback() throws Exception {
        MockCluster east = MockCluster.start("east", dir);
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, """
        dns: {bind: 127.0.0.1, port: 0}
        http: {bind: 0.0.0.0, port: 0}
        admin: {port: 0}
        clusters:
          - {id: east, kubeconfig: east.kubeconfig}
        """);
        // serve runs until a signal: start it as a process, as an operator does, and read its start-up line.
        Process serve = new ProcessBuilder(MeshdnsProcess.command("serve", "--config", config.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (var stdout = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))) {
            String line = stdout.readLine();

            assertThat(line)
                    .startsWith("meshdns serving zone clusterset.local on 127.0.0.1 port ")
                    // The JDK binds 0.0.0.0 as a dual-stack [::] socket where IPv6 is available: all addresses either
                    // way.
                    .containsPattern(
                            "; metrics and probes on http://(0\\.0\\.0\\.0|\\[::\\]):[1-9][0-9]*/ \\(all addresses\\);"
                                    + " status page and API on http://127\\.0\\.0\\.1:[1-9][0-9]*/$");
        } finally {
            serve.destroyForcibly();
            serve.waitFor(10, TimeUnit.SECONDS);
            east.close();
        }
    }

    @Test
    void missingConfigFileExitsWithCode2NamingTheFile() {
        Path missing = dir.resolve("missing.yaml");

        assertThat(serve(missing)).isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo("meshdns: config " + missing + ": file does not exist" + System.lineSeparator());
    }

    @Test
    void invalidConfigExitsWithCode2NamingFileLineAndKey() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "dns:\n  port: 70000\n");

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString().lines())
                .singleElement()
                .asString()
                .contains(config.toString(), "line 2", "dns.port", "between 0 and 65535");
    }

    @Test
    void aDnsOverTlsKeyThatDoesNotMatchItsCertificateExitsWithCode2InOneLine() throws Exception {
        DemoTls ca = DemoTls.newCa("test CA", Duration.ofDays(1));
        ca.server("meshdns", Duration.ofDays(1)).write(dir.resolve("tls.crt"), dir.resolve("other.key"));
        ca.server("other", Duration.ofDays(1)).write(dir.resolve("other.crt"), dir.resolve("tls.key"));
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, """
        dns: {bind: 127.0.0.1, port: 0, tls: {port: 0, certFile: tls.crt, keyFile: tls.key}}
        http: {bind: 127.0.0.1, port: 0}
        admin: {port: 0}
        """);

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString().lines())
                .singleElement()
                .asString()
                .isEqualTo("meshdns: dns.tls.keyFile " + dir.resolve("tls.key") + " does not match the certificate in"
                        + " dns.tls.certFile " + dir.resolve("tls.crt") + " (subject CN=meshdns)");
    }

    @Test
    void kubeconfigContextThatDoesNotExistIsNamed() throws Exception {
        Files.writeString(dir.resolve("east.kubeconfig"), Kubeconfig.of("east", "http://127.0.0.1:1"));
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, """
        dns: {bind: 127.0.0.1, port: 0}
        clusters:
          - id: east
            kubeconfig: east.kubeconfig
            context: east-prod
        """);

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString().lines())
                .singleElement()
                .asString()
                .contains("cluster east", "context 'east-prod' does not exist", "east.kubeconfig");
    }

    @Test
    void missingKubeconfigIsNamed() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, """
        dns: {bind: 127.0.0.1, port: 0}
        clusters:
          - id: west
            kubeconfig: nowhere/west.kubeconfig
        """);

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString()).contains("cluster west", "nowhere/west.kubeconfig", "missing or unreadable");
    }

    @Test
    void httpPortOutOfRangeIsRejectedNamingTheFlag() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "dns: {bind: 127.0.0.1, port: 0}\n");

        int code = Main.run(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                "serve",
                "--config",
                config.toString(),
                "--http-port",
                "70000");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--http-port must be between 0 and 65535, was 70000");
    }

    @Test
    void dnsPortInUseExitsWithCode2NamingTheKey() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path config = dir.resolve("meshdns.yaml");
            Files.writeString(
                    config,
                    "dns: {bind: 127.0.0.1, port: " + taken.getLocalPort() + "}\nhttp: {bind: 127.0.0.1, port: 0}\n");

            assertThat(serve(config)).isEqualTo(2);
            assertThat(err.toString())
                    .contains("cannot listen for DNS", "dns.port", String.valueOf(taken.getLocalPort()));
        }
    }

    @Test
    void httpAndAdminPortsInUseExitWithCode2NamingTheirKeys() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Path http = dir.resolve("http.yaml");
            Files.writeString(http, "dns: {bind: 127.0.0.1, port: 0}\nhttp: {bind: 127.0.0.1, port: " + port + "}\n");
            Path admin = dir.resolve("admin.yaml");
            Files.writeString(
                    admin,
                    "dns: {bind: 127.0.0.1, port: 0}\nhttp: {bind: 127.0.0.1, port: 0}\n"
                            + "admin: {bind: 127.0.0.1, port: " + port + "}\n");

            assertThat(serve(http)).isEqualTo(2);
            assertThat(err.toString())
                    .contains("cannot listen for HTTP on 127.0.0.1 port " + port + " (keys http.bind, http.port)");
            assertThat(serve(admin)).isEqualTo(2);
            assertThat(err.toString())
                    .contains("cannot listen for the status page and API on 127.0.0.1 port " + port
                            + " (keys admin.bind, admin.port)");
        }
    }

    @Test
    void bindAddressThatIsNotAnIpAddressIsRejectedNamingLineAndKey() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "zone: clusterset.local\ndns:\n  bind: dns.example.com\n");

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString().lines())
                .singleElement()
                .asString()
                .contains(config.toString(), "line 3", "dns.bind", "dns.example.com");
    }

    @Test
    void bindAddressNotOnThisHostExitsWithCode2NamingTheKey() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "dns: {bind: 192.0.2.1, port: 0}\nhttp: {bind: 127.0.0.1, port: 0}\n"); // TEST-NET-1

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString()).contains("cannot listen for DNS on 192.0.2.1", "dns.bind");
    }

    @Test
    void kubeconfigThatIsADirectoryIsNamedAsOne() throws Exception {
        Files.createDirectories(dir.resolve("kube"));
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, """
        dns: {bind: 127.0.0.1, port: 0}
        clusters:
          - id: west
            kubeconfig: kube
        """);

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString()).contains("cluster west", "kube", "is a directory");
    }

    @Test
    void tcpIdleTimeoutOfZeroIsRejectedNotReadAsNever() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "dns:\n  tcpIdleTimeout: 0s\n");

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString().lines())
                .singleElement()
                .asString()
                .contains(config.toString(), "line 2", "dns.tcpIdleTimeout", "more than 0");
    }

    @Test
    void adminPortOutOfRangeIsRejectedNamingTheFlag() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "dns: {bind: 127.0.0.1, port: 0}\n");

        int code = Main.run(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                "serve",
                "--config",
                config.toString(),
                "--admin-port",
                "-1");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--admin-port must be between 0 and 65535, was -1");
    }

    @Test
    void adminListenerOnAWiderAddressWithoutATokenExitsWithCode2NamingTheKey() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "dns: {bind: 127.0.0.1, port: 0}\nadmin:\n  bind: 0.0.0.0\n");

        assertThat(serve(config)).isEqualTo(2);
        assertThat(err.toString()).contains("key admin.bind: '0.0.0.0' is not a loopback address");
    }
}
