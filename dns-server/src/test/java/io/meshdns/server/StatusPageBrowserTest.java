package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.server.cli.DemoMesh;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in a real headless browser: Debian's chromium driven by its chromedriver through
 * Selenium, against the demo mesh (two mock API servers) and the real server. Each test saves a
 * screenshot to {@code target/screenshots/}. Skipped, saying why, where chromium is not installed.
 */
class StatusPageBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    /** The version of the axe-core WebJar in dns-server's pom (test scope). */
    static final String AXE_VERSION = "4.6.3";

    @TempDir
    static Path dir;

    static DemoMesh demo;
    static MeshdnsServer server;
    /** The same demo mesh served with a third member cluster whose API server never answers. */
    static MeshdnsServer withDeadCluster;
    /** One browser for the class (starting chromium is the slow part); each test loads the page afresh. */
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "status page browser test skipped: needs Debian's chromium and chromium-driver"
                        + " (/usr/bin/chromium, /usr/bin/chromedriver); apt-get install chromium chromium-driver");
        demo = DemoMesh.start(dir.resolve("kubeconfigs"));
        server = MeshdnsServer.start(
                ServerConfig.defaults()
                        .withDns("127.0.0.1", 0)
                        .withHttp("127.0.0.1", 0)
                        .withAdmin("127.0.0.1", 0),
                demo.specs());
        // The demo's five global services (as TopNamesTest counts them), both clusters synced.
        assertThat(server.awaitServed(
                        s -> s.services().size() == 5
                                && s.clusters().values().stream()
                                        .allMatch(c -> c.state() == io.meshdns.discovery.ClusterState.SYNCED),
                        Duration.ofSeconds(30)))
                .isTrue();
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path dead = dir.resolve("north.kubeconfig");
        Files.writeString(dead, io.meshdns.testkit.Kubeconfig.of("north", "http://127.0.0.1:" + closedPort));
        List<io.meshdns.discovery.ClusterSpec> specs = new java.util.ArrayList<>(demo.specs());
        specs.add(io.meshdns.discovery.ClusterSpec.ofKubeconfig("north", dead, "north"));
        withDeadCluster = MeshdnsServer.start(
                ConfigLoader.parse("test.yaml", "readyAfter: 1s\n")
                        .withDns("127.0.0.1", 0)
                        .withHttp("127.0.0.1", 0)
                        .withAdmin("127.0.0.1", 0),
                specs);
        browser = openBrowser();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
        if (withDeadCluster != null) {
            withDeadCluster.close();
        }
        if (demo != null) {
            demo.close();
        }
    }

    static WebDriver openBrowser() throws Exception {
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
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    @BeforeEach
    void loadPage() {
        browser.get("http://127.0.0.1:" + server.adminAddress().getPort() + "/");
    }

    @AfterEach
    void saveScreenshot(TestInfo test) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(
                SCREENSHOTS.resolve(
                        "status-page-" + test.getTestMethod().orElseThrow().getName() + ".png"),
                png);
    }

    WebDriverWait waitUpTo(int seconds) {
        return new WebDriverWait(browser, Duration.ofSeconds(seconds));
    }

    @Test
    void clusterRowsShowEachClusterSynced() {
        waitUpTo(15)
                .until(b -> b.findElements(By.cssSelector("#clusters tbody tr[data-cluster]"))
                                .size()
                        == 2);

        List<WebElement> rows = browser.findElements(By.cssSelector("#clusters tbody tr[data-cluster]"));
        assertThat(rows).extracting(r -> r.getAttribute("data-cluster")).containsExactly("east", "west");
        for (WebElement row : rows) {
            assertThat(row.findElement(By.cssSelector(".state")).getText()).isEqualTo("SYNCED");
        }
        assertThat(browser.findElement(By.id("readiness")).getText()).isEqualTo("Ready");
        assertThat(browser.findElement(By.id("token-form")).isDisplayed())
                .as("no token is asked for on loopback")
                .isFalse();
    }

    @Test
    void serviceRowSummarisesReadinessByClusterAndOpensToItsEndpoints() {
        By web = By.cssSelector("#services tbody tr[data-service='shop/web']");
        waitUpTo(15).until(b -> !b.findElements(web).isEmpty());
        WebElement row = browser.findElement(web);
        assertThat(row.getText()).contains("web.shop.svc.clusterset.local", "5/6", "east 3/3", "west 2/3");
        assertThat(requested("/api/services/shop/web"))
                .as("endpoints are not fetched before the row is opened")
                .isFalse();

        row.click();

        By west = By.cssSelector("#services tr[data-detail='shop/web'] .cluster-line[data-cluster='west']");
        waitUpTo(15)
                .until(b -> !b.findElements(west).isEmpty()
                        && !b.findElement(west)
                                .findElements(By.cssSelector(".chip"))
                                .isEmpty());
        WebElement westLine = browser.findElement(west);
        assertThat(westLine.findElements(By.cssSelector(".chip.ready")))
                .extracting(WebElement::getText)
                .containsExactly("10.20.1.1", "10.20.1.2");
        assertThat(westLine.findElements(By.cssSelector(".chip.notready")))
                .extracting(WebElement::getText)
                .containsExactly("10.20.1.3");
        assertThat(browser.findElement(By.cssSelector(
                                "#services tr[data-detail='shop/web'] .cluster-line[data-cluster='east']"))
                        .findElements(By.cssSelector(".chip.ready")))
                .hasSize(3);
        assertThat(requested("/api/services/shop/web")).isTrue();
    }

    @Test
    void aClusterLeftOutOfAServicesAnswersShowsWhy() {
        By checkout = By.cssSelector("#services tbody tr[data-service='shop/checkout']");
        waitUpTo(15).until(b -> !b.findElements(checkout).isEmpty());
        WebElement row = browser.findElement(checkout);
        WebElement westChip = row.findElement(By.cssSelector(".cchip[data-cluster='west']"));
        assertThat(westChip.getAttribute("class")).contains("not-ready");
        assertThat(westChip.getAttribute("title")).isEqualTo("port 80 -> 8080 needs clusterIP reachability");

        row.click();

        By west = By.cssSelector("#services tr[data-detail='shop/checkout'] .cluster-line[data-cluster='west']");
        waitUpTo(15).until(b -> !b.findElements(west).isEmpty());
        assertThat(browser.findElement(west)
                        .findElement(By.cssSelector(".reason"))
                        .getText())
                .contains("port 80 -> 8080 needs clusterIP reachability");
        By east = By.cssSelector("#services tr[data-detail='shop/checkout'] .cluster-line[data-cluster='east']");
        assertThat(browser.findElement(east).getText())
                .contains("clusterIP", "port 80 -> 8080: answered with the ClusterIP");
    }

    @Test
    void searchShowsOnlyTheMatchingServices() {
        waitUpTo(15).until(b -> shownServices().size() == 5);

        browser.findElement(By.id("service-search")).sendKeys("car");

        waitUpTo(15).until(b -> shownServices().equals(List.of("shop/cart")));
        assertThat(browser.findElement(By.id("services-range")).getText()).isEqualTo("1–1 of 1 matching (5 in all)");
    }

    @Test
    void stateFilterShowsServicesOfOneClusterOnly() {
        waitUpTo(15).until(b -> shownServices().size() == 5);

        new Select(browser.findElement(By.id("service-state"))).selectByValue("single-cluster");

        waitUpTo(15).until(b -> shownServices().equals(List.of("shop/cart", "shop/docs")));
    }

    @Test
    void servicesArePagedWithNextAndPrev() {
        browser.get("http://127.0.0.1:" + server.adminAddress().getPort() + "/?limit=3");
        waitUpTo(15).until(b -> shownServices().size() == 3);
        assertThat(shownServices()).containsExactly("shop/cart", "shop/checkout", "shop/db");
        assertThat(browser.findElement(By.id("services-prev")).isEnabled()).isFalse();

        browser.findElement(By.id("services-next")).click();
        waitUpTo(15).until(b -> shownServices().equals(List.of("shop/docs", "shop/web")));
        assertThat(browser.findElement(By.id("services-range")).getText()).isEqualTo("4–5 of 5");
        assertThat(browser.findElement(By.id("services-next")).isEnabled()).isFalse();

        browser.findElement(By.id("services-prev")).click();
        waitUpTo(15).until(b -> shownServices().size() == 3);
    }

    @Test
    void refreshOfAnUnchangedMeshIsA304() {
        // The page asks every 2 s; after the first answer, an unchanged snapshot is answered 304 without a body.
        waitUpTo(15).until(b -> statusResponses().size() >= 3);

        List<Long> codes = statusResponses();
        assertThat(codes.get(0)).isEqualTo(200L);
        assertThat(codes.subList(1, codes.size())).containsOnly(304L);
    }

    /** The services listed, read in one script so a re-render between two reads cannot split the answer. */
    @SuppressWarnings("unchecked")
    List<String> shownServices() {
        return (List<String>)
                ((org.openqa.selenium.JavascriptExecutor) browser)
                        .executeScript(
                                "return [...document.querySelectorAll('#services tbody tr[data-service]')].map(r => r.dataset.service)");
    }

    /** Whether the page has fetched {@code path} (the browser's resource timing entries). */
    boolean requested(String path) {
        return (Boolean) ((org.openqa.selenium.JavascriptExecutor) browser)
                .executeScript(
                        "return performance.getEntriesByType('resource').some(e => new URL(e.name).pathname === arguments[0])",
                        path);
    }

    /** The HTTP status of each /api/status response the page received, in order. */
    @SuppressWarnings("unchecked")
    List<Long> statusResponses() {
        return (List<Long>) ((org.openqa.selenium.JavascriptExecutor) browser)
                .executeScript(
                        "return performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname === '/api/status')"
                                + ".map(e => e.responseStatus)");
    }

    @Test
    void withAMemberClusterThatNeverConnectsTheBannerIsNotGreenAndNamesIt() {
        browser.get("http://127.0.0.1:" + withDeadCluster.adminAddress().getPort() + "/");

        waitUpTo(15)
                .until(b -> b.findElement(By.id("health")).isDisplayed()
                        && b.findElement(By.id("health")).getText().contains("north"));
        WebElement health = browser.findElement(By.id("health"));
        assertThat(health.getAttribute("data-level")).isIn("degraded", "not-serving");
        WebElement link = health.findElement(By.cssSelector("a[href='#cluster-north']"));
        assertThat(link.getText()).startsWith("cluster north is connecting");
        assertThat(browser.findElements(By.id("cluster-north")))
                .as("the link's target")
                .hasSize(1);
    }

    @Test
    void aMeshWithEveryClusterSyncedButADegradedServiceIsNotGreenEither() {
        waitUpTo(15).until(b -> b.findElement(By.id("health")).isDisplayed());

        WebElement health = browser.findElement(By.id("health"));
        assertThat(health.getAttribute("data-level")).isEqualTo("degraded");
        assertThat(health.findElement(By.cssSelector("a[href='#services?state=degraded']"))
                        .getText())
                .isEqualTo("1 service is answered from only some of its clusters");
    }

    @Test
    void clickingTheDegradedCountShowsOnlyDegradedServices() {
        waitUpTo(15).until(b -> shownServices().size() == 5);

        browser.findElement(By.cssSelector("#service-counts button[data-state='degraded']"))
                .click();

        waitUpTo(15).until(b -> shownServices().equals(List.of("shop/checkout")));
        assertThat(browser.findElement(By.cssSelector("#service-counts button[data-state='degraded']"))
                        .getAttribute("aria-pressed"))
                .isEqualTo("true");
    }

    @Test
    void aNotReadyServicesRowSaysWhyInEachCluster() {
        By docs = By.cssSelector("#services tbody tr[data-service='shop/docs']");
        waitUpTo(15).until(b -> !b.findElements(docs).isEmpty());

        WebElement row = browser.findElement(docs);

        assertThat(row.getAttribute("data-state")).isEqualTo("not-ready");
        assertThat(row.findElement(By.cssSelector(".why")).getText())
                .startsWith("east: left out: ")
                .contains("ExternalName");
    }

    @Test
    void aDegradedServicesReadyCountSaysHowManyClustersAnswer() {
        By checkout = By.cssSelector("#services tbody tr[data-service='shop/checkout']");
        waitUpTo(15).until(b -> !b.findElements(checkout).isEmpty());

        WebElement row = browser.findElement(checkout);

        assertThat(row.findElement(By.cssSelector(".badge")).getText()).isEqualTo("1/1 · 1 of 2 clusters");
        assertThat(row.findElement(By.cssSelector(".why")).getText())
                .isEqualTo("west: left out: port 80 -> 8080 needs clusterIP reachability");
    }

    @Test
    void rowsOpenAndCloseFromTheKeyboard() {
        By web = By.cssSelector("#services tbody tr[data-service='shop/web'] button.svc-open");
        waitUpTo(15).until(b -> !b.findElements(web).isEmpty());
        By detail = By.cssSelector("#services tr[data-detail='shop/web']");

        browser.findElement(web).sendKeys(org.openqa.selenium.Keys.ENTER);
        waitUpTo(15).until(b -> b.findElement(detail).isDisplayed());
        assertThat(browser.findElement(web).getAttribute("aria-expanded")).isEqualTo("true");
        assertThat(browser.switchTo().activeElement().getText()).isEqualTo("shop/web");

        browser.findElement(web).sendKeys(org.openqa.selenium.Keys.SPACE);
        waitUpTo(15).until(b -> !b.findElement(detail).isDisplayed());
    }

    @Test
    void theResolveFormWorksFromTheKeyboard() {
        waitUpTo(15)
                .until(b -> !b.findElements(By.cssSelector("#clusters tbody tr[data-cluster]"))
                        .isEmpty());
        WebElement name = browser.findElement(By.id("resolve-name"));
        name.clear();

        name.sendKeys("cart.shop.svc.clusterset.local", org.openqa.selenium.Keys.ENTER);

        waitUpTo(15).until(b -> b.findElement(By.id("resolve-result")).isDisplayed());
        assertThat(browser.findElement(By.id("resolve-rcode")).getText()).isEqualTo("NOERROR");
    }

    @Test
    void axeCoreFindsNoSeriousOrCriticalViolation() throws Exception {
        waitUpTo(15)
                .until(b -> shownServices().size() == 5
                        && !b.findElements(By.cssSelector("#charts .chart")).isEmpty());
        String axe;
        try (var in =
                getClass().getResourceAsStream("/META-INF/resources/webjars/axe-core/" + AXE_VERSION + "/axe.min.js")) {
            assertThat(in).as("axe-core's WebJar on the test classpath").isNotNull();
            axe = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        var js = (org.openqa.selenium.JavascriptExecutor) browser;
        js.executeScript(axe);

        @SuppressWarnings("unchecked")
        List<String> serious = (List<String>) js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document).then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
                + ".map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '))))"
                + ".catch(e => done(['axe failed: ' + e]));");

        assertThat(serious).isEmpty();
    }

    @Test
    void chartsDrawTheQueryRateAfterTraffic() throws Exception {
        DnsClient dns = new DnsClient(server.dnsAddress(), DnsClient.Transport.UDP);
        for (int i = 0; i < 50; i++) {
            dns.query("web.shop.svc.clusterset.local", org.xbill.DNS.Type.A, org.xbill.DNS.DClass.IN);
        }

        // A point per 5 s step: a response code has a series once a step counted its responses.
        By noerror = By.cssSelector("#chart-rcodes path[data-series='NOERROR']");
        waitUpTo(30).until(b -> !b.findElements(noerror).isEmpty());
        assertThat(browser.findElement(noerror).getAttribute("d")).startsWith("M");
        assertThat(browser.findElement(By.cssSelector("#chart-queries path[data-series='udp']"))
                        .getAttribute("d"))
                .startsWith("M");
        assertThat(browser.findElement(By.cssSelector("#chart-endpoints path[data-series='east']"))
                        .getAttribute("d"))
                .startsWith("M");
    }

    @Test
    void resolveFormAnswersThroughTheQueryPath() {
        waitUpTo(15)
                .until(b -> new Select(b.findElement(By.id("resolve-cluster")))
                                .getOptions()
                                .size()
                        == 3);
        WebElement name = browser.findElement(By.id("resolve-name"));
        name.clear();
        name.sendKeys("web.shop.svc.clusterset.local");
        new Select(browser.findElement(By.id("resolve-type"))).selectByVisibleText("A");
        new Select(browser.findElement(By.id("resolve-cluster"))).selectByValue("east");

        browser.findElement(By.id("resolve-submit")).click();

        waitUpTo(15).until(b -> b.findElement(By.id("resolve-result")).isDisplayed());
        assertThat(browser.findElement(By.id("resolve-rcode")).getText()).isEqualTo("NOERROR");
        assertThat(browser.findElement(By.id("resolve-policy")).getText()).isEqualTo("local-first");
        assertThat(browser.findElement(By.id("resolve-querier")).getText()).isEqualTo("east (EDNS0 option 65300)");
        List<WebElement> records =
                browser.findElements(By.cssSelector("#resolve-records tbody tr[data-section='answer']"));
        assertThat(records)
                .extracting(r -> r.findElements(By.tagName("td")).get(4).getText() + "@"
                        + r.findElements(By.tagName("td")).get(5).getText())
                // local-first (the default): a querier in east that has ready pods there gets only those.
                .containsExactlyInAnyOrder("10.10.1.1@east", "10.10.1.2@east", "10.10.1.3@east");
    }

    @Test
    void resolveFormShowsAReadableErrorForGarbage() {
        waitUpTo(15)
                .until(b -> !b.findElements(By.cssSelector("#clusters tbody tr[data-cluster]"))
                        .isEmpty());
        WebElement name = browser.findElement(By.id("resolve-name"));
        name.clear();
        name.sendKeys("not..a name");

        browser.findElement(By.id("resolve-submit")).click();

        waitUpTo(15).until(b -> b.findElement(By.id("resolve-error")).isDisplayed());
        assertThat(browser.findElement(By.id("resolve-error")).getText())
                .isEqualTo("'not..a name' is not a DNS name: invalid empty label");
        assertThat(browser.findElement(By.id("resolve-result")).isDisplayed()).isFalse();
    }
}
