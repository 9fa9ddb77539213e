package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.exported;
import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshdns.testkit.EndpointSpec;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two HTTP listeners over real HTTP: probes on the metrics listener; the status page and its JSON API
 * (paginated services, one service's endpoints, ETags) on the admin listener; answers to bad requests.
 */
class HttpEndpointsTest {
    static final String WEB = "web.shop.svc.clusterset.local";

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;
    /** The metrics listener: /metrics, /healthz, /readyz. */
    static HttpFetch metrics;
    /** The admin listener: the status page and /api/*. */
    static HttpFetch http;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TwoClusterMesh(kubeconfigs);
        metrics = new HttpFetch(mesh.server.httpAddress());
        http = new HttpFetch(mesh.server.adminAddress());
        exported(mesh.east(), "shop", "web", "10.96.0.10");
        slice(mesh.east(), "shop", "web", "web-east", pods("10.10.1.", 1, 2, true));
        exported(mesh.west(), "shop", "web", "10.97.0.10");
        var west = new ArrayList<>(pods("10.20.1.", 1, 1, true));
        west.add(new EndpointSpec("10.20.1.2", false));
        slice(mesh.west(), "shop", "web", "web-west", west);
        // cart: only in east; api: in both, but west's only pod is not ready (degraded); jobs: no ready pod.
        exported(mesh.east(), "shop", "cart", "10.96.0.11");
        slice(mesh.east(), "shop", "cart", "cart-east", pods("10.10.2.", 1, 1, true));
        exported(mesh.east(), "tools", "api", "10.96.0.12");
        slice(mesh.east(), "tools", "api", "api-east", pods("10.10.3.", 1, 1, true));
        exported(mesh.west(), "tools", "api", "10.97.0.12");
        slice(mesh.west(), "tools", "api", "api-west", pods("10.20.3.", 1, 1, false));
        exported(mesh.east(), "tools", "jobs", "10.96.0.13");
        slice(mesh.east(), "tools", "jobs", "jobs-east", pods("10.10.4.", 1, 1, false));
        Set<String> ready = Set.of("10.10.1.1", "10.10.1.2", "10.20.1.1");
        assertThat(mesh.udp().addressesOnce(WEB, ready)).isEqualTo(ready);
        assertThat(mesh.server.awaitServed(
                        s -> s.services().size() == 4
                                && s.services().values().stream()
                                                .mapToInt(g -> g.endpoints().size())
                                                .sum()
                                        == 8,
                        java.time.Duration.ofSeconds(30)))
                .isTrue();
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    static String error(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        return HttpFetch.json(response).get("error").asText();
    }

    @Test
    void healthzSaysTheProcessAndListenersAreUp() {
        HttpResponse<String> response = metrics.get("/healthz");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(HttpFetch.json(response).get("status").asText()).isEqualTo("ok");
    }

    @Test
    void clustersApiListsEveryClusterWithItsHealth() {
        JsonNode clusters = HttpFetch.json(http.get("/api/clusters"));

        assertThat(clusters).hasSize(2);
        assertThat(clusters.get(0).get("id").asText()).isEqualTo("east");
        assertThat(clusters.get(0).get("state").asText()).isEqualTo("SYNCED");
        assertThat(clusters.get(0).get("endpoints").asInt()).isEqualTo(5);
        assertThat(clusters.get(1).get("id").asText()).isEqualTo("west");
        assertThat(clusters.get(1).get("endpoints").asInt()).isEqualTo(3);
    }

    @Test
    void serviceDetailGivesEndpointsByClusterWithReadiness() {
        HttpResponse<String> response = http.get("/api/services/shop/web");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode web = HttpFetch.json(response);
        assertThat(web.get("dnsName").asText()).isEqualTo(WEB);
        assertThat(web.get("ready").asInt()).isEqualTo(3);
        assertThat(web.get("endpoints").asInt()).isEqualTo(4);
        assertThat(web.get("policy").asText()).isEqualTo("local-first");
        JsonNode west = web.get("clusters").get(1);
        assertThat(west.get("cluster").asText()).isEqualTo("west");
        assertThat(west.get("ports").get(0).asText()).isEqualTo("http 80/TCP");
        assertThat(west.get("endpoints").get(1).get("address").asText()).isEqualTo("10.20.1.2");
        assertThat(west.get("endpoints").get(1).get("ready").asBoolean()).isFalse();
        assertThat(west.has("reason")).isTrue();
    }

    @Test
    void unknownServiceIs404ThatSaysWhereTheListIs() {
        HttpResponse<String> response = http.get("/api/services/shop/nope");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(error(response)).startsWith("no global service shop/nope").contains("/api/services");
    }

    @Test
    void servicesListSummarisesEachServiceWithoutEndpoints() {
        JsonNode page = HttpFetch.json(http.get("/api/services"));

        assertThat(page.get("total").asInt()).isEqualTo(4);
        assertThat(page.get("matched").asInt()).isEqualTo(4);
        assertThat(page.get("nextCursor").isNull()).isTrue();
        assertThat(names(page)).containsExactly("shop/cart", "shop/web", "tools/api", "tools/jobs");
        JsonNode web = page.get("items").get(1);
        assertThat(web.get("state").asText()).isEqualTo("ready");
        assertThat(web.get("ready").asInt()).isEqualTo(3);
        assertThat(web.get("clusters").get(1).get("cluster").asText()).isEqualTo("west");
        assertThat(web.get("clusters").get(1).get("ready").asInt()).isEqualTo(1);
        assertThat(web.get("clusters").get(1).get("endpoints").asInt()).isEqualTo(2);
        assertThat(web.get("clusters").get(1).has("reason")).isTrue();
        assertThat(web.toString()).doesNotContain("10.20.1.2");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "state=not-ready|tools/jobs",
                "state=degraded|tools/api",
                "state=single-cluster|shop/cart,tools/jobs",
                "state=ready|shop/cart,shop/web",
                "namespace=tools|tools/api,tools/jobs",
                "q=WEB|shop/web",
                "q=jobs.tools.svc|tools/jobs",
                "q=tools/a|tools/api",
                "q=shop&state=single-cluster|shop/cart",
                "q=nothing-like-this|''"
            })
    void servicesListFilters(String query, String expected) {
        JsonNode page = HttpFetch.json(http.get("/api/services?" + query));

        assertThat(String.join(",", names(page))).isEqualTo(expected);
        assertThat(page.get("matched").asInt()).isEqualTo(expected.isEmpty() ? 0 : expected.split(",").length);
    }

    @Test
    void servicesListPagesWithACursor() {
        JsonNode first = HttpFetch.json(http.get("/api/services?limit=3"));
        JsonNode second = HttpFetch.json(http.get(
                "/api/services?limit=3&cursor=" + first.get("nextCursor").asText()));

        assertThat(names(first)).containsExactly("shop/cart", "shop/web", "tools/api");
        assertThat(first.get("nextCursor").asText()).isEqualTo("tools/api");
        assertThat(names(second)).containsExactly("tools/jobs");
        assertThat(second.get("nextCursor").isNull()).isTrue();
        assertThat(second.get("matched").asInt()).isEqualTo(4);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "/api/services?state=sad|state 'sad' is not one of ready, degraded, not-ready, single-cluster",
                "/api/services?limit=0|limit must be a whole number from 1 to 1000",
                "/api/services?limit=many|limit must be a whole number from 1 to 1000",
                "/api/services?q=a&q=b|parameter 'q' is given 2 times"
            })
    void badServicesListParametersAreABadRequestThatSaysWhy(String uri, String message) {
        HttpResponse<String> response = http.get(uri);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(error(response)).startsWith(message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/status", "/api/clusters", "/api/services?state=ready", "/api/services/shop/web"})
    void unchangedSnapshotIsA304WithoutBody(String path) {
        HttpResponse<String> first = http.get(path);
        String etag = first.headers().firstValue("etag").orElseThrow();

        HttpResponse<String> again = http.get(path, Map.of("If-None-Match", etag));

        assertThat(etag).startsWith("\"" + mesh.server.mesh().snapshot().version());
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(again.headers().firstValue("etag")).hasValue(etag);
    }

    @Test
    void olderVersionInIfNoneMatchGetsTheWholeResponse() {
        HttpResponse<String> response = http.get("/api/services", Map.of("If-None-Match", "\"0\""));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(HttpFetch.json(response).get("total").asInt()).isEqualTo(4);
    }

    @ParameterizedTest
    @CsvSource({
        "metrics,/api/status,admin listener (admin.port)",
        "metrics,/,admin listener (admin.port)",
        "admin,/metrics,metrics listener (http.port)",
        "admin,/readyz,metrics listener (http.port)"
    })
    void eachListenerServesOnlyItsOwnResourcesAndSaysWhereTheOthersAre(String listener, String path, String where) {
        HttpResponse<String> response = (listener.equals("admin") ? http : metrics).get(path);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(error(response)).isEqualTo("no such resource: " + path + "; " + path + " is served on the " + where);
    }

    static List<String> names(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("items")
                .forEach(s -> out.add(
                        s.get("namespace").asText() + "/" + s.get("name").asText()));
        return out;
    }

    @Test
    void statusApiCarriesReadinessClustersAndServiceCounts() {
        JsonNode status = HttpFetch.json(http.get("/api/status"));

        assertThat(status.get("zone").asText()).isEqualTo("clusterset.local");
        assertThat(status.get("readiness").get("ready").asBoolean()).isTrue();
        assertThat(status.get("clusters")).hasSize(2);
        JsonNode services = status.get("services");
        assertThat(services.get("all").asInt()).isEqualTo(4);
        assertThat(services.get("ready").asInt()).isEqualTo(2);
        assertThat(services.get("degraded").asInt()).isEqualTo(1);
        assertThat(services.get("notReady").asInt()).isEqualTo(1);
        assertThat(services.get("singleCluster").asInt()).isEqualTo(2);
        assertThat(services.get("namespaces").toString()).isEqualTo("[\"shop\",\"tools\"]");
        assertThat(status.get("snapshotVersion").asLong())
                .isEqualTo(mesh.server.mesh().snapshot().version());
    }

    @Test
    void resolveAnswersThroughTheQueryPathAndNamesEachAddressesCluster() {
        HttpResponse<String> response = http.get("/api/resolve?name=" + WEB + "&type=A&cluster=west");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = HttpFetch.json(response);
        assertThat(body.get("rcode").asText()).isEqualTo("NOERROR");
        assertThat(body.get("flags").asText()).contains("aa");
        assertThat(body.get("policy").asText()).isEqualTo("local-first");
        assertThat(body.get("querierCluster").asText()).isEqualTo("west");
        assertThat(body.get("querierSource").asText()).isEqualTo("EDNS0 option 65300");
        List<String> answers = new ArrayList<>();
        for (JsonNode r : body.get("records")) {
            assertThat(r.get("section").asText()).isEqualTo("answer");
            answers.add(r.get("data").asText() + "@" + r.get("cluster").asText());
        }
        // local-first (the default): the querier's own cluster has a ready pod, so only that one is answered.
        assertThat(answers).containsExactly("10.20.1.1@west");
    }

    @Test
    void resolveOfAnUnknownNameIsNxdomainWithTheSoa() {
        JsonNode body = HttpFetch.json(http.get("/api/resolve?name=nope.shop.svc.clusterset.local"));

        assertThat(body.get("rcode").asText()).isEqualTo("NXDOMAIN");
        assertThat(body.get("type").asText()).isEqualTo("A");
        assertThat(body.get("querierCluster").isNull()).isTrue();
        assertThat(body.get("records").get(0).get("section").asText()).isEqualTo("authority");
        assertThat(body.get("records").get(0).get("type").asText()).isEqualTo("SOA");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "/api/resolve|name is required",
                "/api/resolve?name=|name is required",
                "/api/resolve?name=a..b|'a..b' is not a DNS name: invalid empty label",
                "/api/resolve?name=web&type=BOGUS|'BOGUS' is not a query type this page asks",
                "/api/resolve?name=web&type=AXFR|'AXFR' is not a query type this page asks",
                "/api/resolve?name=web&cluster=mars|'mars' is not a cluster of this mesh; clusters: east, west",
                "/api/resolve?name=a&name=b|parameter 'name' is given 2 times"
            })
    void garbageGivenToResolveIsABadRequestThatSaysWhy(String uri, String message) {
        HttpResponse<String> response = http.get(uri);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(error(response))
                .contains(message)
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    @Test
    void malformedPercentEncodingIsABadRequest() {
        String reply = http.raw("GET /api/resolve?name=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        assertThat(reply)
                .startsWith("HTTP/1.1 400 Bad Request")
                .contains("malformed URL")
                .doesNotContain("Exception");
    }

    @Test
    void requestThatIsNotHttpIsABadRequest() {
        String reply = http.raw("\u0001\u0002 garbage\r\n\r\n");

        assertThat(reply).startsWith("HTTP/1.1 400 Bad Request").contains("malformed HTTP request");
    }

    @Test
    void overlongNameIsABadRequestThatSaysWhy() {
        String name = String.join(".", "a".repeat(60), "b".repeat(60), "c".repeat(60), "d".repeat(60), "e".repeat(60));
        HttpResponse<String> response = http.get("/api/resolve?name=" + name);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(error(response)).contains("is not a DNS name").contains("too long");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/nope",
                "/metrics/",
                "/api",
                "/api/nope",
                "/index.htm",
                "/../etc/passwd",
                "/api/services/shop",
                "/api/services/shop/web/x"
            })
    void unknownPathsAre404(String path) {
        HttpResponse<String> response = http.get(path);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(error(response)).startsWith("no such resource");
    }

    @ParameterizedTest
    @CsvSource({
        "POST,/metrics",
        "PUT,/api/resolve",
        "DELETE,/",
        "POST,/readyz",
        "PATCH,/api/status",
        "DELETE,/api/services/shop/web"
    })
    void otherMethodsThanGetAre405WithAllow(String method, String path) {
        HttpResponse<String> response =
                (path.startsWith("/api") || path.equals("/") ? http : metrics).send(method, path);

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("allow")).hasValue("GET, HEAD");
        assertThat(error(response)).isEqualTo(method + " is not allowed on " + path + "; use GET");
    }

    @Test
    void headAnswersHeadersWithoutBody() {
        HttpResponse<String> response = metrics.send("HEAD", "/healthz");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
    }

    @Test
    void statusPageIsSelfContained() {
        HttpResponse<String> response = http.get("/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(response.headers().firstValue("content-security-policy"))
                .get()
                .asString()
                .startsWith("default-src 'none'");
        assertThat(response.body())
                .contains("<title>meshdns status</title>")
                .doesNotContain("http://")
                .doesNotContain("https://")
                .doesNotContain("src=");
    }
}
