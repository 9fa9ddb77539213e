package io.meshdns.server;

import static io.meshdns.server.DemoMesh.exported;
import static io.meshdns.server.DemoMesh.pods;
import static io.meshdns.server.DemoMesh.slice;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP listener's probes, JSON API and its answers to bad requests, over real HTTP. */
class HttpEndpointsTest {
  static final String WEB = "web.shop.svc.clusterset.local";

  @TempDir static Path kubeconfigs;
  static TwoClusterMesh mesh;
  static HttpFetch http;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TwoClusterMesh(kubeconfigs);
    http = new HttpFetch(mesh.server.httpAddress());
    exported(mesh.east(), "shop", "web", "10.96.0.10");
    slice(mesh.east(), "shop", "web", "web-east", pods("10.10.1.", 1, 2, true));
    exported(mesh.west(), "shop", "web", "10.97.0.10");
    var west = new ArrayList<>(pods("10.20.1.", 1, 1, true));
    west.add(new DemoMesh.EndpointSpec("10.20.1.2", false));
    slice(mesh.west(), "shop", "web", "web-west", west);
    Set<String> ready = Set.of("10.10.1.1", "10.10.1.2", "10.20.1.1");
    assertThat(mesh.udp().addressesOnce(WEB, ready)).isEqualTo(ready);
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
    HttpResponse<String> response = http.get("/healthz");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(HttpFetch.json(response).get("status").asText()).isEqualTo("ok");
  }

  @Test
  void clustersApiListsEveryClusterWithItsHealth() {
    JsonNode clusters = HttpFetch.json(http.get("/api/clusters"));

    assertThat(clusters).hasSize(2);
    assertThat(clusters.get(0).get("id").asText()).isEqualTo("east");
    assertThat(clusters.get(0).get("state").asText()).isEqualTo("SYNCED");
    assertThat(clusters.get(0).get("endpoints").asInt()).isEqualTo(2);
    assertThat(clusters.get(1).get("id").asText()).isEqualTo("west");
    assertThat(clusters.get(1).get("endpoints").asInt()).isEqualTo(2);
  }

  @Test
  void servicesApiGivesEndpointsByClusterWithReadiness() {
    JsonNode services = HttpFetch.json(http.get("/api/services"));

    JsonNode web = services.get(0);
    assertThat(web.get("dnsName").asText()).isEqualTo(WEB);
    assertThat(web.get("ready").asInt()).isEqualTo(3);
    assertThat(web.get("endpoints").asInt()).isEqualTo(4);
    JsonNode west = web.get("clusters").get(1);
    assertThat(west.get("cluster").asText()).isEqualTo("west");
    assertThat(west.get("endpoints").get(1).get("address").asText()).isEqualTo("10.20.1.2");
    assertThat(west.get("endpoints").get(1).get("ready").asBoolean()).isFalse();
  }

  @Test
  void statusApiCarriesReadinessClustersAndServices() {
    JsonNode status = HttpFetch.json(http.get("/api/status"));

    assertThat(status.get("zone").asText()).isEqualTo("clusterset.local");
    assertThat(status.get("readiness").get("ready").asBoolean()).isTrue();
    assertThat(status.get("clusters")).hasSize(2);
    assertThat(status.get("services")).hasSize(1);
    assertThat(status.get("snapshotVersion").asLong()).isEqualTo(mesh.server.mesh().snapshot().version());
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
  @CsvSource(delimiter = '|', value = {
      "/api/resolve|name is required",
      "/api/resolve?name=|name is required",
      "/api/resolve?name=a..b|'a..b' is not a DNS name: invalid empty label",
      "/api/resolve?name=web&type=BOGUS|'BOGUS' is not a query type this page asks",
      "/api/resolve?name=web&type=AXFR|'AXFR' is not a query type this page asks",
      "/api/resolve?name=web&cluster=mars|'mars' is not a cluster of this mesh; clusters: east, west",
      "/api/resolve?name=a&name=b|parameter 'name' is given 2 times"})
  void garbageGivenToResolveIsABadRequestThatSaysWhy(String uri, String message) {
    HttpResponse<String> response = http.get(uri);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response)).contains(message).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void malformedPercentEncodingIsABadRequest() {
    String reply = http.raw("GET /api/resolve?name=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(reply).startsWith("HTTP/1.1 400 Bad Request").contains("malformed URL").doesNotContain("Exception");
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
  @ValueSource(strings = {"/nope", "/metrics/", "/api", "/api/nope", "/index.htm", "/../etc/passwd"})
  void unknownPathsAre404(String path) {
    HttpResponse<String> response = http.get(path);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(error(response)).startsWith("no such resource");
  }

  @ParameterizedTest
  @CsvSource({"POST,/metrics", "PUT,/api/resolve", "DELETE,/", "POST,/readyz", "PATCH,/api/status"})
  void otherMethodsThanGetAre405WithAllow(String method, String path) {
    HttpResponse<String> response = http.send(method, path);

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("allow")).hasValue("GET, HEAD");
    assertThat(error(response)).isEqualTo(method + " is not allowed on " + path + "; use GET");
  }

  @Test
  void headAnswersHeadersWithoutBody() {
    HttpResponse<String> response = http.send("HEAD", "/healthz");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEmpty();
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
  }

  @Test
  void statusPageIsSelfContained() {
    HttpResponse<String> response = http.get("/");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(response.headers().firstValue("content-security-policy")).get().asString().startsWith("default-src 'none'");
    assertThat(response.body()).contains("<title>meshdns status</title>")
        .doesNotContain("http://").doesNotContain("https://").doesNotContain("src=");
  }
}
