package io.meshdns.bench;

import io.meshdns.server.cli.DemoMesh;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page at scale, by default 20 clusters x 2,500 services x 4 pods = 200,000 endpoints, in headless
 * Chromium (Debian's chromium and chromium-driver, driven by Selenium as the page's browser test does):
 *
 * <ol>
 *   <li>first useful render: from navigation start until the clusters and the first page of services are on
 *       screen (the page's {@code meshdns:first-render} mark), on {@code --loads} fresh loads;
 *   <li>an unchanged refresh on the wire: the page asks every 2 s; with the mesh unchanged, the HTTP bytes of
 *       requests and responses through a counting loopback proxy over {@code --refreshes} refreshes, per
 *       refresh (TCP/IP headers not counted);
 *   <li>search: typing a service name into the search box until that service's row is listed, for
 *       {@code --searches} random services (includes the page's 120 ms typing pause).
 * </ol>
 *
 * <pre>java -Xmx4g -cp bench/target/benchmarks.jar io.meshdns.bench.StatusPageBench [--clusters 20]
 *     [--services 2500] [--pods-per-cluster 4] [--loads 5] [--refreshes 5] [--searches 10]</pre>
 */
public final class StatusPageBench {
    static final String USAGE = "StatusPageBench [--clusters C] [--services N] [--pods-per-cluster K] [--loads N]"
            + " [--refreshes N] [--searches N]";
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    public static void main(String[] args) {
        Options.runAndExit("status-page", () -> run(args));
    }

    private static int run(String[] args) throws Exception {
        Options o;
        DemoMesh.Size size;
        try {
            o = new Options(
                    args,
                    USAGE,
                    "--clusters",
                    "--services",
                    "--pods-per-cluster",
                    "--loads",
                    "--refreshes",
                    "--searches");
            size = new DemoMesh.Size(
                    o.integer("--clusters", 20), o.integer("--services", 2500), o.integer("--pods-per-cluster", 4));
        } catch (IllegalArgumentException e) {
            System.err.println("status-page: " + e.getMessage());
            return 2;
        }
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            System.err.println("status-page: needs Debian's chromium and chromium-driver (" + CHROMIUM + ", "
                    + CHROMEDRIVER + "); apt-get install chromium chromium-driver");
            return 1;
        }
        int loads = o.integer("--loads", 5);
        int refreshes = o.integer("--refreshes", 5);
        int searches = o.integer("--searches", 10);
        System.out.printf(
                "mesh: %d clusters x %d services x %d pods = %d endpoints; %d cores%n",
                size.clusters(),
                size.services(),
                size.podsPerCluster(),
                size.endpoints(),
                Runtime.getRuntime().availableProcessors());
        try (var bench = SyntheticMeshUnderTest.start(size, Duration.ofMinutes(15));
                var proxy = new CountingProxy(bench.server.adminAddress())) {
            System.out.printf(
                    "synced in %.1f s; status page behind a counting proxy at %s%n", bench.syncSeconds, proxy.url());
            WebDriver browser = openBrowser();
            try {
                JavascriptExecutor js = (JavascriptExecutor) browser;
                List<Double> renders = new ArrayList<>();
                for (int i = 0; i < loads; i++) {
                    browser.get("about:blank");
                    browser.get(proxy.url());
                    new WebDriverWait(browser, Duration.ofSeconds(60))
                            .until(b -> ((Number)
                                                    js.executeScript(
                                                            "return performance.getEntriesByName('meshdns:first-render').length"))
                                            .intValue()
                                    > 0);
                    renders.add(((Number) js.executeScript(
                                    "return performance.getEntriesByName('meshdns:first-render')[0].startTime"))
                            .doubleValue());
                }
                System.out.printf(
                        "first useful render (ms from navigation start), %d loads: %s; median %.0f ms%n",
                        loads, fmt(renders), median(renders));
                System.out.printf(
                        "  responses of the last load: %s%n",
                        js.executeScript(
                                "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/'))"
                                        + ".map(e => new URL(e.name).pathname + ' ' + e.responseStatus + ' ' + e.encodedBodySize + ' B')"
                                        + ".join(', ')"));

                // Unchanged refreshes: count every byte both ways while the page asks `refreshes` times.
                long before = statusRequests(js);
                proxy.reset();
                long deadline = System.nanoTime()
                        + Duration.ofSeconds(2L * refreshes + 30).toNanos();
                while (statusRequests(js) < before + refreshes && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                long asked = statusRequests(js) - before;
                Thread.sleep(200); // the last response's bytes through the proxy
                System.out.printf(
                        "unchanged refresh: %d refreshes, %d bytes up + %d bytes down = %.0f bytes per refresh;"
                                + " statuses %s%n",
                        asked,
                        proxy.up.get(),
                        proxy.down.get(),
                        (proxy.up.get() + proxy.down.get()) / (double) Math.max(1, asked),
                        js.executeScript("return performance.getEntriesByType('resource').filter(e => "
                                + "new URL(e.name).pathname === '/api/status').slice(-" + asked
                                + ").map(e => e.responseStatus)"));

                Random random = new Random(22);
                List<Double> found = new ArrayList<>();
                browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
                for (int i = 0; i < searches; i++) {
                    int s = random.nextInt(size.services());
                    String name = DemoMesh.serviceName(s);
                    String key = DemoMesh.namespaceName(s) + "/" + name;
                    found.add(((Number) js.executeAsyncScript(SEARCH, name, key)).doubleValue());
                }
                System.out.printf(
                        "search to row shown (ms), %d services: %s; median %.0f ms, max %.0f ms%n",
                        searches,
                        fmt(found),
                        median(found),
                        found.stream().mapToDouble(Double::doubleValue).max().orElse(0));
            } finally {
                browser.quit();
            }
        }
        return 0;
    }

    /**
     * Types {@code name} into the search box (as one input event) and resolves with the milliseconds until every
     * listed row matches it and the row of {@code key} is among them.
     */
    static final String SEARCH = """
      const [name, key, done] = arguments;
      const input = document.getElementById('service-search');
      const body = document.querySelector('#services tbody');
      const shown = () => {
        const rows = [...body.querySelectorAll('tr[data-service]')].map(r => r.dataset.service);
        return rows.includes(key) && rows.every(r => r.includes(name));
      };
      input.value = '';
      const t0 = performance.now();
      const observer = new MutationObserver(() => {
        if (shown()) { observer.disconnect(); done(performance.now() - t0); }
      });
      observer.observe(body, {childList: true});
      input.value = name;
      input.dispatchEvent(new Event('input'));
      """;

    static long statusRequests(JavascriptExecutor js) {
        return ((Number) js.executeScript("return performance.getEntriesByType('resource')"
                        + ".filter(e => new URL(e.name).pathname === '/api/status' && e.responseEnd > 0).length"))
                .longValue();
    }

    static WebDriver openBrowser() throws IOException {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1400,1000",
                "--user-data-dir=" + Files.createTempDirectory("meshdns-bench-chromium-"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    static String fmt(List<Double> values) {
        return values.stream().map(v -> String.format("%.0f", v)).toList().toString();
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** A loopback TCP proxy to the admin listener that counts the bytes it carries each way. */
    static final class CountingProxy implements AutoCloseable {
        final AtomicLong up = new AtomicLong();
        final AtomicLong down = new AtomicLong();
        private final ServerSocket listener;
        private final InetSocketAddress target;

        CountingProxy(InetSocketAddress target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "counting-proxy");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String url() {
            return "http://127.0.0.1:" + listener.getLocalPort() + "/";
        }

        void reset() {
            up.set(0);
            down.set(0);
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Socket server = new Socket(target.getAddress(), target.getPort());
                    pump(client, server, up);
                    pump(server, client, down);
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private static void pump(Socket from, Socket to, AtomicLong counter) {
            Thread t = new Thread(
                    () -> {
                        byte[] buffer = new byte[64 * 1024];
                        try (InputStream in = from.getInputStream();
                                OutputStream out = to.getOutputStream()) {
                            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                                counter.addAndGet(n);
                                out.write(buffer, 0, n);
                                out.flush();
                            }
                        } catch (IOException e) {
                            // one side closed
                        } finally {
                            try {
                                from.close();
                                to.close();
                            } catch (IOException e) {
                                // already closed
                            }
                        }
                    },
                    "counting-proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
