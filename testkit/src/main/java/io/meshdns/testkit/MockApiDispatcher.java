package io.meshdns.testkit;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * CRUD for objects (fabric8's {@link KubernetesCrudDispatcher}), plus: the legacy discovery documents
 * ({@code /api}, {@code /apis}, ...) and just enough OpenAPI for kubectl; the faults a {@link MockCluster}
 * injects; and taking each request out of the mock web server's record of requests as it answers it (that
 * record, for tests' {@code takeRequest()}, is an unbounded queue, which made a long-running demo grow by
 * about 2 KB per API call).
 */
final class MockApiDispatcher extends KubernetesCrudDispatcher {
    /** Faults to inject; they outlive a restart of the API server. */
    static final class Faults {
        final Map<String, AtomicInteger> stallWatches = new ConcurrentHashMap<>();
        final List<WebSocket> stalled = new CopyOnWriteArrayList<>();
        final Map<String, Integer> answers = new ConcurrentHashMap<>();
        volatile int refuse;
        volatile String interferePath;
        volatile UnaryOperator<ConfigMap> edit;
        volatile boolean interferenceRead;
        final AtomicInteger interferences = new AtomicInteger();
        final AtomicInteger interfered = new AtomicInteger();
    }

    private final MockWebServer web;
    private final Faults faults;

    MockApiDispatcher(MockWebServer web, Faults faults) {
        this.web = web;
        this.faults = faults;
    }

    /** Empties the mock web server's request record; returns how many requests it held. */
    int takeRecorded() {
        int n = 0;
        try {
            while (web.takeRequest(0, TimeUnit.NANOSECONDS) != null) {
                n++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return n;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        takeRecorded(); // the server recorded this request just before dispatching it
        String path = request.getPath();
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        ApiPath api = ApiPath.of(bare);
        int refuse = faults.refuse;
        if (refuse != 0) {
            return status(refuse, request.getMethod(), path, api);
        }
        Integer answer = api.resource == null ? null : faults.answers.get(api.resource);
        if (answer != null) {
            return status(answer, request.getMethod(), path, api);
        }
        if ("GET".equals(request.getMethod())) {
            if (bare.equals("/version")) {
                return json(200, VERSION);
            }
            String document = DOCUMENTS.get(bare);
            if (document == null) {
                document = OPENAPI_V3.get(bare);
            }
            if (document != null) {
                return new MockResponse()
                        .setResponseCode(200)
                        .addHeader("Content-Type", "application/json")
                        .setBody(document);
            }
        }
        if (path.contains("watch=true") && api.resource != null) {
            AtomicInteger stall = faults.stallWatches.get(api.resource);
            if (stall != null && stall.getAndDecrement() > 0) {
                return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                    @Override
                    public void onOpen(WebSocket ws, Response response) {
                        faults.stalled.add(ws);
                    }
                });
            }
        }
        if (!bare.startsWith("/api/") && !bare.startsWith("/apis/") && !bare.equals("/api") && !bare.equals("/apis")) {
            // Not a resource path (/openapi/v2, /healthz, ...): the CRUD store would answer 200 with every object
            // it holds, as if the path were a collection.
            return status(404, request.getMethod(), path, api);
        }
        if ((path.contains("watch=true") || path.contains("watch=1")) && request.getHeader("Upgrade") == null) {
            // The mock server streams watch events over WebSocket only (as fabric8's informers watch); kubectl's
            // watch is a long HTTP response, which it would refuse with a bare 400 before any dispatcher saw it.
            return failure(
                    400,
                    "BadRequest",
                    "this mock API server serves watches over WebSocket only (as fabric8"
                            + " clients watch), not as a streamed HTTP response: kubectl get --watch is not available here");
        }
        MockResponse unreadable = unsupportedMediaType(request.getMethod(), request.getHeader("Content-Type"));
        if (unreadable != null) {
            return unreadable;
        }
        interfere(request, bare);
        MockResponse response;
        try {
            response = super.dispatch(request);
        } catch (RuntimeException e) {
            // The CRUD dispatcher throws on a body it cannot parse, and the mock web server then never answers:
            // kubectl would wait for minutes. An API server answers a failure at once.
            return failure(500, "InternalError", "Internal error occurred: " + e.getMessage());
        }
        return asServed(request, path, api, response);
    }

    /**
     * A body the CRUD store cannot read gets 415 with the Status an API server answers (its
     * errUnsupportedMediaType): kubectl's typed commands ({@code create namespace}, {@code create service})
     * send protobuf ({@code application/vnd.kubernetes.protobuf}), which the store cannot decode and used to
     * leave unanswered; {@code kubectl apply} of a change sends a strategic merge patch, which it does not
     * implement. JSON bodies, JSON patches and JSON merge patches pass.
     */
    private static MockResponse unsupportedMediaType(String method, String contentType) {
        List<String> accepted = switch (method) {
            case "POST", "PUT" -> List.of("application/json");
            case "PATCH" -> List.of("application/json-patch+json", "application/merge-patch+json");
            default -> List.of();
        };
        if (accepted.isEmpty() || contentType == null) {
            return null;
        }
        String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (accepted.contains(mediaType)) {
            return null;
        }
        String message = "the body of the request was in an unknown format - accepted media types include: "
                + String.join(", ", accepted);
        if (mediaType.equals("application/vnd.kubernetes.protobuf")) {
            message += " (this mock API server cannot read protobuf, which kubectl's typed create commands send; pipe"
                    + " their --dry-run=client -o yaml into kubectl apply -f -, which sends JSON)";
        }
        return failure(415, "UnsupportedMediaType", message);
    }

    /**
     * What the CRUD store answered, as an API server sends it: a Table when kubectl asks for one and the
     * resource is one {@link KubectlTable} renders, and a {@code Content-Type} on every JSON body (client-go
     * decodes a body without one with the content type it asked for first, protobuf for {@code describe}).
     */
    private static MockResponse asServed(RecordedRequest request, String path, ApiPath api, MockResponse response) {
        if (response.getWebSocketListener() != null) {
            return response;
        }
        if ("GET".equals(request.getMethod())
                && response.code() == 200
                && api.resource != null
                && !path.contains("watch=true")
                && KubectlTable.wanted(request.getHeader("Accept"))) {
            String body = response.getBody().readUtf8(); // reading empties the buffer: the body is set again below
            String table = KubectlTable.of(api.resource, body, queryParameter(path, "includeObject"), Instant.now());
            // not a kind with a Table: the plain object, which kubectl prints as NAME and AGE
            response.setBody(table == null ? body : table);
        }
        String listPrefix = api.resource == null ? null : LIST_PREFIXES.get(api.resource);
        if ("GET".equals(request.getMethod()) && response.code() == 200 && api.name == null && listPrefix != null) {
            String body = response.getBody().readUtf8();
            // An API server names a list's kind (ServiceList); kubectl's typed commands (cluster-info) need it.
            response.setBody(
                    body.startsWith(CRUD_LIST_PREFIX) ? listPrefix + body.substring(CRUD_LIST_PREFIX.length()) : body);
        }
        if (response.header("Content-Type") == null
                && response.getBody() != null
                && response.getBody().size() > 0) {
            response.addHeader("Content-Type", "application/json");
        }
        return response;
    }

    /** How fabric8's CRUD store begins every list it answers, whatever it holds. */
    private static final String CRUD_LIST_PREFIX = "{\"apiVersion\":\"v1\",\"kind\":\"List\",";

    /** How an API server begins the list of each resource of the discovery documents below. */
    private static final Map<String, String> LIST_PREFIXES = Map.of(
            "services", "{\"apiVersion\":\"v1\",\"kind\":\"ServiceList\",",
            "namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"NamespaceList\",",
            "configmaps", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMapList\",",
            "pods", "{\"apiVersion\":\"v1\",\"kind\":\"PodList\",",
            "endpointslices", "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSliceList\",");

    private static String queryParameter(String path, String name) {
        int query = path.indexOf('?');
        if (query < 0) {
            return null;
        }
        for (String pair : path.substring(query + 1).split("&")) {
            if (pair.startsWith(name + "=")) {
                return pair.substring(name.length() + 1);
            }
        }
        return null;
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse()
                .setResponseCode(code)
                .addHeader("Content-Type", "application/json")
                .setBody(body);
    }

    /** A Status an API server answers a failure with. */
    private static MockResponse failure(int code, String reason, String message) {
        return json(
                code,
                Serialization.asJson(new StatusBuilder()
                        .withApiVersion("v1")
                        .withKind("Status")
                        .withStatus("Failure")
                        .withCode(code)
                        .withReason(reason)
                        .withMessage(message)
                        .build()));
    }

    /**
     * Another writer's edit lands between a client's read of the watched ConfigMap and that client's next
     * request for it, while interferences are left.
     */
    private void interfere(RecordedRequest request, String bare) {
        String target = faults.interferePath;
        if (target == null || !target.equals(bare)) {
            return;
        }
        if (faults.interferenceRead && faults.interferences.getAndDecrement() > 0) {
            faults.interferenceRead = false;
            MockResponse current = super.dispatch(new RecordedRequest(
                    "HTTP/1.1", HttpMethod.GET, target, Headers.builder().build(), new Buffer()));
            ConfigMap edited =
                    faults.edit.apply(Serialization.unmarshal(current.getBody().readUtf8(), ConfigMap.class));
            super.dispatch(new RecordedRequest(
                    "HTTP/1.1",
                    HttpMethod.PUT,
                    target,
                    Headers.builder().add("Content-Type", "application/json").build(),
                    new Buffer(Serialization.asJson(edited).getBytes(StandardCharsets.UTF_8))));
            faults.interfered.incrementAndGet();
        }
        if ("GET".equals(request.getMethod())) {
            faults.interferenceRead = true;
        }
    }

    /** The Status an API server answers with this code; a 403 words it the way RBAC does. */
    private static MockResponse status(int code, String method, String path, ApiPath api) {
        String resource = api.resource == null ? "" : api.resource;
        String reason;
        String message;
        switch (code) {
            case 401 -> {
                reason = "Unauthorized";
                message = "Unauthorized";
            }
            case 403 -> {
                reason = "Forbidden";
                message = resource + " is forbidden: User \"system:serviceaccount:meshdns:meshdns\" cannot "
                        + verb(method, path, api) + " resource \"" + resource + "\" in API group \"" + api.group + "\""
                        + (api.namespace == null
                                ? " at the cluster scope"
                                : " in the namespace \"" + api.namespace + "\"");
            }
            case 404 -> {
                reason = "NotFound";
                message = "the server could not find the requested resource";
            }
            case 410 -> {
                reason = "Expired";
                message = "too old resource version";
            }
            default -> {
                reason = "InternalError";
                message = "HTTP " + code;
            }
        }
        String body = Serialization.asJson(new StatusBuilder()
                .withApiVersion("v1")
                .withKind("Status")
                .withStatus("Failure")
                .withCode(code)
                .withReason(reason)
                .withMessage(message)
                .build());
        return new MockResponse()
                .setResponseCode(code)
                .addHeader("Content-Type", "application/json")
                .setBody(body);
    }

    private static String verb(String method, String path, ApiPath api) {
        return switch (method) {
            case "GET" -> path.contains("watch=true") ? "watch" : api.name == null ? "list" : "get";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> method.toLowerCase(Locale.ROOT);
        };
    }

    /** {@code /api/v1/namespaces/N/R/NAME} or {@code /apis/G/V/...}: group, namespace, resource, name. */
    record ApiPath(String group, String namespace, String resource, String name) {
        static ApiPath of(String path) {
            String[] s = path.replaceAll("^/+", "").split("/");
            int rest;
            String group;
            if (s.length >= 2 && s[0].equals("api")) {
                group = "";
                rest = 2;
            } else if (s.length >= 3 && s[0].equals("apis")) {
                group = s[1];
                rest = 3;
            } else {
                return new ApiPath("", null, null, null);
            }
            String namespace = null;
            if (s.length > rest + 2 && s[rest].equals("namespaces")) {
                namespace = s[rest + 1];
                rest += 2;
            }
            String resource = s.length > rest ? s[rest] : null;
            String name = s.length > rest + 1 ? s[rest + 1] : null;
            return new ApiPath(group, namespace, resource, name);
        }
    }

    /**
     * {@code GET /version}: the version.Info an API server answers ({@code kubectl version}, client-go's
     * discovery). The mock serves the API of Kubernetes 1.32 (see the OpenAPI below); gitVersion says it is a
     * mock, in semver build metadata as k3s does ({@code v1.32.0+k3s1}). It was built by no Go toolchain and from
     * no Kubernetes commit, so those fields are empty, and the build date is the epoch.
     */
    static final String VERSION = """
      {"major":"1","minor":"32","gitVersion":"v1.32.0+meshdns.mock","gitCommit":"","gitTreeState":"",\
      "buildDate":"1970-01-01T00:00:00Z","goVersion":"","compiler":"","platform":"%s/%s"}""".formatted(
            System.getProperty("os.name").toLowerCase(Locale.ROOT),
            System.getProperty("os.arch").equals("aarch64") ? "arm64" : System.getProperty("os.arch")); // as GOARCH

    private static final Map<String, String> DOCUMENTS = Map.of(
            "/api",
                    Serialization.asJson(
                            new APIVersionsBuilder().withVersions("v1").build()),
            "/api/v1",
                    Serialization.asJson(new APIResourceListBuilder()
                            .withGroupVersion("v1")
                            .withResources(
                                    resource("services", "Service", "svc", true),
                                    resource("namespaces", "Namespace", "ns", false),
                                    resource("configmaps", "ConfigMap", "cm", true),
                                    resource("pods", "Pod", "po", true))
                            .build()),
            "/apis",
                    Serialization.asJson(new APIGroupListBuilder()
                            .withGroups(new APIGroupBuilder()
                                    .withName("discovery.k8s.io")
                                    .withVersions(new GroupVersionForDiscoveryBuilder()
                                            .withGroupVersion("discovery.k8s.io/v1")
                                            .withVersion("v1")
                                            .build())
                                    .withPreferredVersion(new GroupVersionForDiscoveryBuilder()
                                            .withGroupVersion("discovery.k8s.io/v1")
                                            .withVersion("v1")
                                            .build())
                                    .build())
                            .build()),
            "/apis/discovery.k8s.io/v1",
                    Serialization.asJson(new APIResourceListBuilder()
                            .withGroupVersion("discovery.k8s.io/v1")
                            .withResources(resource("endpointslices", "EndpointSlice", null, true))
                            .build()));

    /**
     * Just enough OpenAPI v3 for kubectl to see that the server validates fields itself (the
     * {@code fieldValidation} parameter on create), so {@code kubectl create -f} works without a schema.
     */
    private static final Map<String, String> OPENAPI_V3 = Map.of(
            "/openapi/v3", """
          {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1"},
          "apis/discovery.k8s.io/v1":{"serverRelativeURL":"/openapi/v3/apis/discovery.k8s.io/v1"}}}""",
            "/openapi/v3/api/v1",
                    openApi(
                            createPath("/api/v1/namespaces/{namespace}/services", "", "v1", "Service"),
                            createPath("/api/v1/namespaces/{namespace}/pods", "", "v1", "Pod"),
                            createPath("/api/v1/namespaces", "", "v1", "Namespace"),
                            createPath("/api/v1/namespaces/{namespace}/configmaps", "", "v1", "ConfigMap")),
            "/openapi/v3/apis/discovery.k8s.io/v1",
                    openApi(createPath(
                            "/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
                            "discovery.k8s.io",
                            "v1",
                            "EndpointSlice")));

    private static String openApi(String... paths) {
        return "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"Kubernetes\",\"version\":\"v1.32.0\"},\"paths\":{"
                + String.join(",", paths) + "}}";
    }

    /** kubectl looks for {@code fieldValidation} on the PATCH operation of the kind's path. */
    private static String createPath(String path, String group, String version, String kind) {
        String operation = """
        {"parameters":[{"name":"fieldValidation","in":"query","schema":{"type":"string"}}],
        "responses":{"200":{"description":"OK"}},
        "x-kubernetes-group-version-kind":{"group":"%s","version":"%s","kind":"%s"}}""".formatted(group, version, kind);
        return "\"" + path + "\":{\"post\":" + operation + ",\"patch\":" + operation + "}";
    }

    private static APIResource resource(String plural, String kind, String shortName, boolean namespaced) {
        var b = new APIResourceBuilder()
                .withName(plural)
                .withKind(kind)
                .withNamespaced(namespaced)
                .withSingularName(kind.toLowerCase(Locale.ROOT))
                .withVerbs("create", "delete", "get", "list", "patch", "update", "watch");
        if (shortName != null) {
            b.withShortNames(shortName);
        }
        return b.build();
    }
}
