package io.meshdns.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.VersionInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The mock API server answers the requests kubectl sends as a Kubernetes API server does, over real HTTP: at
 * once, with a Status when it cannot serve one. (Each request has a timeout only so that a request left
 * unanswered, as protobuf bodies were, fails the test instead of hanging it.)
 */
class KubectlRequestsTest {
    /** kubectl's Accept header for {@code get}: a server-side Table, else plain JSON. */
    private static final String TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,"
            + "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    /** The body {@code kubectl create namespace x} sends: the k8s protobuf envelope, magic "k8s\0" first. */
    private static final byte[] PROTOBUF_NAMESPACE = java.util.HexFormat.of()
            .parseHex(
                    "6b3873000a0f0a02763112094e616d65737061636512190a110a017812001a0022002a0032003800420012001a020a001a002200");

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private MockCluster cluster;

    @BeforeEach
    void start() {
        cluster = MockCluster.start("east");
        MeshObjects.exported(cluster.client(), "shop", "web", "10.96.0.10");
        MeshObjects.slice(cluster.client(), "shop", "web", "web-east-1", MeshObjects.pods("10.10.1.", 1, 4, true));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.port() + path));
    }

    @Test
    void aProtobufBodyIsRefusedWith415AndTheStatusOfAnApiServer() throws Exception {
        HttpResponse<String> r = send(at("/api/v1/namespaces?fieldManager=kubectl-create")
                .header("Content-Type", "application/vnd.kubernetes.protobuf")
                .header("Accept", "application/vnd.kubernetes.protobuf,application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(PROTOBUF_NAMESPACE)));

        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode status = JSON.readTree(r.body());
        assertThat(status.at("/kind").asText()).isEqualTo("Status");
        assertThat(status.at("/status").asText()).isEqualTo("Failure");
        assertThat(status.at("/code").asInt()).isEqualTo(415);
        assertThat(status.at("/reason").asText()).isEqualTo("UnsupportedMediaType");
        assertThat(status.at("/message").asText())
                .startsWith(
                        "the body of the request was in an unknown format - accepted media types include: application/json");
        assertThat(cluster.client().namespaces().withName("x").get()).isNull();
    }

    @Test
    void aStrategicMergePatchIsRefusedWith415NamingThePatchTypesItReads() throws Exception {
        HttpResponse<String> r = send(at("/api/v1/namespaces/shop/services/web")
                .header("Content-Type", "application/strategic-merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"metadata\":{\"labels\":{\"a\":\"b\"}}}")));

        assertThat(r.statusCode()).isEqualTo(415);
        JsonNode status = JSON.readTree(r.body());
        assertThat(status.at("/reason").asText()).isEqualTo("UnsupportedMediaType");
        assertThat(status.at("/message").asText())
                .isEqualTo("the body of the request was in an unknown format - accepted"
                        + " media types include: application/json-patch+json, application/merge-patch+json");
    }

    @Test
    void aJsonBodyTheStoreCannotParseGetsAnInternalErrorAtOnce() throws Exception {
        HttpResponse<String> r = send(at("/api/v1/namespaces")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("not json")));

        assertThat(r.statusCode()).isEqualTo(500);
        JsonNode status = JSON.readTree(r.body());
        assertThat(status.at("/reason").asText()).isEqualTo("InternalError");
        assertThat(status.at("/message").asText()).startsWith("Internal error occurred: ");
    }

    @Test
    void versionAnswersTheVersionInfoOfAnApiServer() throws Exception {
        HttpResponse<String> r = send(at("/version"));

        assertThat(r.statusCode()).isEqualTo(200);
        List<String> fields = new ArrayList<>();
        JSON.readTree(r.body()).fieldNames().forEachRemaining(fields::add);
        assertThat(fields)
                .containsExactly(
                        "major",
                        "minor",
                        "gitVersion",
                        "gitCommit",
                        "gitTreeState",
                        "buildDate",
                        "goVersion",
                        "compiler",
                        "platform");
        VersionInfo version = cluster.client().getKubernetesVersion(); // fabric8 parses it, build date included
        assertThat(version.getMajor()).isEqualTo("1");
        assertThat(version.getMinor()).isEqualTo("32");
        assertThat(version.getGitVersion()).isEqualTo("v1.32.0+meshdns.mock");
    }

    @Test
    void kubectlsTableRequestGetsTheServiceColumnsOfAnApiServer() throws Exception {
        HttpResponse<String> r = send(at("/api/v1/services?limit=500").header("Accept", TABLE));

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode table = JSON.readTree(r.body());
        assertThat(table.at("/kind").asText()).isEqualTo("Table");
        assertThat(table.at("/apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
        List<String> columns = new ArrayList<>();
        table.at("/columnDefinitions")
                .forEach(c -> columns.add(
                        c.at("/name").asText() + ":" + c.at("/priority").asInt()));
        assertThat(columns)
                .containsExactly(
                        "Name:0", "Type:0", "Cluster-IP:0", "External-IP:0", "Port(s):0", "Age:0", "Selector:1");
        JsonNode row = table.at("/rows/0");
        assertThat(row.at("/cells/0").asText()).isEqualTo("web");
        assertThat(row.at("/cells/1").asText()).isEqualTo("ClusterIP");
        assertThat(row.at("/cells/2").asText()).isEqualTo("10.96.0.10");
        assertThat(row.at("/cells/3").asText()).isEqualTo("<none>");
        assertThat(row.at("/cells/4").asText()).isEqualTo("80/TCP");
        assertThat(row.at("/cells/6").asText()).isEqualTo("app=web");
        // kubectl -A takes the NAMESPACE column from the row's object, by default its metadata
        assertThat(row.at("/object/kind").asText()).isEqualTo("PartialObjectMetadata");
        assertThat(row.at("/object/metadata/namespace").asText()).isEqualTo("shop");
    }

    @Test
    void anEndpointSliceRowShowsThreeAddressesAndHowManyMore() throws Exception {
        HttpResponse<String> r = send(at("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/web-east-1")
                .header("Accept", TABLE));

        JsonNode cells = JSON.readTree(r.body()).at("/rows/0/cells");
        assertThat(cells.get(0).asText()).isEqualTo("web-east-1");
        assertThat(cells.get(1).asText()).isEqualTo("IPv4");
        assertThat(cells.get(2).asText()).isEqualTo("80");
        assertThat(cells.get(3).asText()).isEqualTo("10.10.1.1,10.10.1.2,10.10.1.3 + 1 more...");
    }

    @Test
    void aListIsNamedForItsKindAndSentAsJson() throws Exception {
        HttpResponse<String> r = send(at("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices"));

        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode list = JSON.readTree(r.body());
        assertThat(list.at("/apiVersion").asText()).isEqualTo("discovery.k8s.io/v1");
        assertThat(list.at("/kind").asText()).isEqualTo("EndpointSliceList");
        assertThat(list.at("/items/0/metadata/name").asText()).isEqualTo("web-east-1");
    }

    @Test
    void aWatchAsAStreamedHttpResponseIsRefusedSayingWhy() throws Exception {
        HttpResponse<String> r = send(at("/api/v1/namespaces/shop/services?resourceVersion=1&watch=true"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).at("/message").asText())
                .contains("serves watches over WebSocket only", "kubectl get --watch is not available");
    }

    @Test
    void aPathOutsideTheApiIsAnsweredAtOnce() throws Exception {
        // kubectl apply of a changed object reads /openapi/v2 (protobuf) when the OpenAPI v3 lacks patch details
        HttpResponse<String> r = send(at("/openapi/v2?timeout=32s")
                .header("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"));

        assertThat(r.statusCode()).isEqualTo(404);
    }

    @Test
    void theAgeColumnIsWordedAsKubectlWordsIt() {
        assertThat(KubectlTable.humanDuration(Duration.ofSeconds(119))).isEqualTo("119s");
        assertThat(KubectlTable.humanDuration(Duration.ofSeconds(150))).isEqualTo("2m30s");
        assertThat(KubectlTable.humanDuration(Duration.ofMinutes(42))).isEqualTo("42m");
        assertThat(KubectlTable.humanDuration(Duration.ofMinutes(200))).isEqualTo("3h20m");
        assertThat(KubectlTable.humanDuration(Duration.ofHours(30))).isEqualTo("30h");
        assertThat(KubectlTable.humanDuration(Duration.ofHours(75))).isEqualTo("3d3h");
        assertThat(KubectlTable.humanDuration(Duration.ofDays(400))).isEqualTo("400d");
        assertThat(KubectlTable.humanDuration(Duration.ofDays(800))).isEqualTo("2y70d");
    }
}
