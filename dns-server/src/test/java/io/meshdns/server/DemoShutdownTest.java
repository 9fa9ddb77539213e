package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.core.KubernetesNames;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshdns demo} and {@code serve} as processes: SIGTERM (what Kubernetes sends; Ctrl-C takes the same shutdown path)
 * stops it within 2 s, also while clients hold watches on its mock API servers that they do not read, a
 * connection to its status API, and changes keep streaming to the watchers.
 */
class DemoShutdownTest {
    static final Duration STOP_WITHIN = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void demoStopsWithin2sOfSigtermWhileClientsWatch() throws Exception {
        assertStopsWithinBound("demo");
    }

    @Test
    void syntheticDemoStopsWithin2sOfSigtermWhileClientsWatch() throws Exception {
        assertStopsWithinBound("demo", "--clusters", "3", "--services", "400", "--pods-per-cluster", "3");
    }

    @Test
    void serveStopsWithin2sOfSigtermAndPrintsTheAddressesItBound() throws Exception {
        MockCluster east = MockCluster.start("east", dir.resolve("kubeconfigs"));
        try {
            MeshObjects.exported(east.client(), "shop", "web", "10.96.0.10");
            Path config = Files.writeString(dir.resolve("meshdns.yaml"), """
          dns: {bind: 127.0.0.1}
          http: {bind: 127.0.0.1}
          clusters:
            - id: east
              kubeconfig: kubeconfigs/east.kubeconfig
          """);
            assertStopsWithinBound("serve", "--config", config.toString());
        } finally {
            east.close();
        }
    }

    private void assertStopsWithinBound(String... command) throws Exception {
        List<String> args = MeshdnsProcess.command(command);
        args.addAll(List.of("--dns-port", "0", "--http-port", "0", "--admin-port", "0"));
        if (command[0].equals("demo")) {
            args.addAll(List.of("--kubeconfig-dir", dir.resolve("kubeconfigs").toString()));
        }
        Process demo = new ProcessBuilder(args).redirectErrorStream(true).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (var in = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                    output.add(line);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try {
            String statusPage = awaitStarted(lines, demo);
            List<HttpResponse<?>> watches = new ArrayList<>();
            List<String> servers = new ArrayList<>();
            try (var files = Files.list(dir.resolve("kubeconfigs"))) {
                for (Path kubeconfig : files.toList()) {
                    String server = Files.readAllLines(kubeconfig).stream()
                            .filter(l -> l.trim().startsWith("server:"))
                            .findFirst()
                            .orElseThrow()
                            .trim()
                            .substring("server:".length())
                            .trim();
                    servers.add(server);
                    for (String kind : List.of("/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices")) {
                        watches.add(client.sendAsync(
                                        HttpRequest.newBuilder(URI.create(server + kind + "?watch=true"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofInputStream())
                                .get(10, TimeUnit.SECONDS));
                    }
                }
            }
            assertThat(client.send(
                                    HttpRequest.newBuilder(URI.create(statusPage + "api/status"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .isEqualTo(200);
            // And changes streaming as watch events when the signal comes.
            String firstServer = servers.get(0);
            Thread writer = new Thread(
                    () -> {
                        for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                            String body =
                                    "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"churn-" + i
                                            + "\",\"namespace\":\"churn\",\"annotations\":{\""
                                            + KubernetesNames.EXPORT_ANNOTATION + "\":\"true\"}},"
                                            + "\"spec\":{\"clusterIP\":\"10.99.0.1\",\"ports\":[{\"port\":80}]}}";
                            try {
                                client.send(
                                        HttpRequest.newBuilder(
                                                        URI.create(firstServer + "/api/v1/namespaces/churn/services"))
                                                .header("Content-Type", "application/json")
                                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding());
                            } catch (Exception e) {
                                return; // the server stopped
                            }
                        }
                    },
                    "churn");
            writer.setDaemon(true);
            writer.start();
            Thread.sleep(500);

            long start = System.nanoTime();
            demo.destroy(); // SIGTERM
            boolean stopped = demo.waitFor(STOP_WITHIN.toMillis(), TimeUnit.MILLISECONDS);

            assertThat(stopped)
                    .as(
                            "stopped within %s of SIGTERM, with %d watches open; output:%n%s",
                            STOP_WITHIN, watches.size(), lastLines(output))
                    .isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThanOrEqualTo(STOP_WITHIN);
        } finally {
            demo.destroyForcibly();
            demo.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Waits for the demo's "Press Ctrl-C to stop." or serve's start-up line, and returns the status page URL
     * printed, an address actually bound (port 0 was asked for).
     */
    private static String awaitStarted(BlockingQueue<String> lines, Process demo) throws InterruptedException {
        Pattern url = Pattern.compile("(?:Status page:|status page and API on) (http://127\\.0\\.0\\.1:[1-9][0-9]*/)");
        String statusPage = null;
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            if (line == null) {
                if (!demo.isAlive()) {
                    break;
                }
                continue;
            }
            seen.add(line);
            Matcher m = url.matcher(line);
            if (m.find()) {
                statusPage = m.group(1);
            }
            if (line.contains("Press Ctrl-C to stop.") || line.startsWith("meshdns serving zone")) {
                assertThat(statusPage).as("status page URL in: %s", seen).isNotNull();
                return statusPage;
            }
        }
        throw new AssertionError("the demo did not start: " + String.join("\n", seen));
    }

    private static String lastLines(List<String> output) {
        List<String> copy;
        synchronized (output) {
            copy = new ArrayList<>(output);
        }
        return String.join("\n", copy.subList(Math.max(0, copy.size() - 40), copy.size()));
    }
}
