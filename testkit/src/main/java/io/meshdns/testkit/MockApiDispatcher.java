package io.meshdns.testkit;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewStatusBuilder;
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
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * CRUD for objects (fabric8's {@link KubernetesCrudDispatcher}), plus: the legacy discovery documents
 * ({@code /api}, {@code /apis}, ...) and just enough OpenAPI for kubectl; the faults a {@link MockCluster}
 * injects; ServiceAccount tokens (TokenRequest, token Secrets) and RBAC for requests bearing them
 * ({@link ServiceAccountTokens}, {@link ClusterRbac}), SelfSubjectAccessReviews included; and taking each
 * request out of the mock web server's record of requests as it answers it (that
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
    private final ServiceAccountTokens tokens = new ServiceAccountTokens();
    private final ClusterRbac rbac = new ClusterRbac(this::handleGet);

    MockApiDispatcher(MockWebServer web, Faults faults) {
        this.web = web;
        this.faults = faults;
    }

    /** The highest resourceVersion this store has given an object. */
    private final AtomicLong issued = new AtomicLong();

    @Override
    public long requestResourceVersion() {
        long version = super.requestResourceVersion();
        issued.accumulateAndGet(version, Math::max);
        return version;
    }

    /**
     * A watch from a resourceVersion this store has reached gets only the changes after it ({@link ResumedWatch}),
     * as from an API server. Without one (or with "0") the watch starts with every object as ADDED, as an API
     * server's does; so does one from a version this store never reached (it restarted empty, see
     * {@link MockCluster#restartEmpty}), where an API server would answer 410 and the client relist.
     */
    @Override
    public MockResponse handleWatch(String path) {
        MockResponse response = super.handleWatch(path);
        long from = ResumedWatch.from(path);
        if (from <= 0 || from > issued.get() || response.getWebSocketListener() == null) {
            return response;
        }
        ResumedWatch.replayOnlyAfter(response.getWebSocketListener(), this, map, from);
        return response;
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
        ServiceAccountTokens.Issued caller = tokens.of(request.getHeader("Authorization"));
        if (caller != null && !valid(caller)) {
            return status(401, request.getMethod(), path, api);
        }
        boolean post = "POST".equals(request.getMethod());
        if (post && "authorization.k8s.io".equals(api.group) && "selfsubjectaccessreviews".equals(api.resource)) {
            return accessReview(request, caller); // every authenticated user may ask about itself (system:basic-user)
        }
        if (caller != null
                && api.resource != null
                && !rbac.allows(
                        caller.namespace(),
                        caller.serviceAccount(),
                        verb(request.getMethod(), path, api),
                        api.group,
                        api.subresource == null ? api.resource : api.resource + "/" + api.subresource,
                        api.name,
                        api.namespace)) {
            return status(403, request.getMethod(), path, api, caller.user());
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
        if (post && "serviceaccounts".equals(api.resource) && "token".equals(api.subresource)) {
            return tokenRequest(request, api);
        }
        if (post && "secrets".equals(api.resource) && api.name == null) {
            request = withServiceAccountToken(request, bare);
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

    // ---- ServiceAccount tokens and RBAC, as a real API server's authenticator and authorizer ----

    private static String serviceAccountPath(String namespace, String name) {
        return "/api/v1/namespaces/" + namespace + "/serviceaccounts/" + name;
    }

    /** Whether the stored object at {@code path} exists (a missing one reads as a Status or nothing). */
    private boolean exists(String path) {
        return ClusterRbac.stored(handleGet(path)) != null;
    }

    /** A token authenticates while unexpired and while its ServiceAccount (and Secret, if any) exist. */
    private boolean valid(ServiceAccountTokens.Issued token) {
        return (token.expires() == null || Instant.now().isBefore(token.expires()))
                && exists(serviceAccountPath(token.namespace(), token.serviceAccount()))
                && (token.secret() == null
                        || exists("/api/v1/namespaces/" + token.namespace() + "/secrets/" + token.secret()));
    }

    /**
     * {@code POST .../serviceaccounts/NAME/token} (TokenRequest): a token for an existing ServiceAccount that
     * expires after {@code spec.expirationSeconds} (default one hour, as the API server's), 404 otherwise.
     */
    private MockResponse tokenRequest(RecordedRequest request, ApiPath api) {
        if (!exists(serviceAccountPath(api.namespace, api.name))) {
            return notFound("serviceaccounts", api.name);
        }
        TokenRequest asked = Serialization.unmarshal(request.getBody().readUtf8(), TokenRequest.class);
        Long seconds = asked.getSpec() == null ? null : asked.getSpec().getExpirationSeconds();
        Instant expires =
                Instant.now().plusSeconds(seconds == null ? 3600 : seconds).truncatedTo(ChronoUnit.SECONDS);
        String token = tokens.issue(api.namespace, api.name, expires, null);
        TokenRequest answered = new TokenRequestBuilder(asked)
                .withNewStatus()
                .withToken(token)
                .withExpirationTimestamp(DateTimeFormatter.ISO_INSTANT.format(expires))
                .endStatus()
                .build();
        return new MockResponse()
                .setResponseCode(201)
                .addHeader("Content-Type", "application/json")
                .setBody(Serialization.asJson(answered));
    }

    /**
     * What the token controller does to a new {@code kubernetes.io/service-account-token} Secret of an existing
     * ServiceAccount (asynchronously in a real cluster, at create here): it puts a token that does not expire
     * and the namespace in its data.
     */
    private RecordedRequest withServiceAccountToken(RecordedRequest request, String collection) {
        String body = request.getBody().readUtf8(); // reading consumes it: every path below sends a new request
        Secret secret = Serialization.unmarshal(body, Secret.class);
        String account = secret.getMetadata() == null || secret.getMetadata().getAnnotations() == null
                ? null
                : secret.getMetadata().getAnnotations().get("kubernetes.io/service-account.name");
        String namespace = ApiPath.of(collection).namespace;
        if (!"kubernetes.io/service-account-token".equals(secret.getType())
                || account == null
                || namespace == null
                || !exists(serviceAccountPath(namespace, account))
                || exists(collection + "/" + secret.getMetadata().getName())) {
            return copy(request, body); // left to the CRUD store as sent (a conflict is answered there)
        }
        Map<String, String> data = new HashMap<>(secret.getData() == null ? Map.of() : secret.getData());
        Base64.Encoder base64 = Base64.getEncoder();
        data.put(
                "token",
                base64.encodeToString(tokens.issue(
                                namespace, account, null, secret.getMetadata().getName())
                        .getBytes(StandardCharsets.UTF_8)));
        data.put("namespace", base64.encodeToString(namespace.getBytes(StandardCharsets.UTF_8)));
        secret.setData(data);
        return copy(request, Serialization.asJson(secret));
    }

    private static RecordedRequest copy(RecordedRequest request, String body) {
        return new RecordedRequest(
                request.getHttpVersion(),
                request.method(),
                request.getPath(),
                request.getHeaders(),
                new Buffer(body.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * {@code POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews}: whether the caller may do what the
     * review's resourceAttributes describe, by {@link ClusterRbac}; the testkit's admin credential may do all.
     */
    private MockResponse accessReview(RecordedRequest request, ServiceAccountTokens.Issued caller) {
        SelfSubjectAccessReview review =
                Serialization.unmarshal(request.getBody().readUtf8(), SelfSubjectAccessReview.class);
        ResourceAttributes a =
                review.getSpec() == null ? null : review.getSpec().getResourceAttributes();
        boolean allowed;
        String reason;
        if (caller == null) {
            allowed = true;
            reason = "the mock cluster's admin credential";
        } else if (a == null) {
            allowed = false;
            reason = "only resourceAttributes are evaluated";
        } else {
            String resource = a.getSubresource() == null || a.getSubresource().isEmpty()
                    ? a.getResource()
                    : a.getResource() + "/" + a.getSubresource();
            allowed = rbac.allows(
                    caller.namespace(),
                    caller.serviceAccount(),
                    a.getVerb(),
                    a.getGroup() == null ? "" : a.getGroup(),
                    resource,
                    a.getName(),
                    a.getNamespace() == null || a.getNamespace().isEmpty() ? null : a.getNamespace());
            reason = allowed ? "allowed by a ClusterRoleBinding or RoleBinding" : "";
        }
        review.setStatus(new SubjectAccessReviewStatusBuilder()
                .withAllowed(allowed)
                .withReason(reason)
                .build());
        return new MockResponse()
                .setResponseCode(201)
                .addHeader("Content-Type", "application/json")
                .setBody(Serialization.asJson(review));
    }

    private static MockResponse notFound(String resource, String name) {
        String body = Serialization.asJson(new StatusBuilder()
                .withApiVersion("v1")
                .withKind("Status")
                .withStatus("Failure")
                .withCode(404)
                .withReason("NotFound")
                .withMessage(resource + " \"" + name + "\" not found")
                .build());
        return new MockResponse()
                .setResponseCode(404)
                .addHeader("Content-Type", "application/json")
                .setBody(body);
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
        return status(code, method, path, api, "system:serviceaccount:meshdns:meshdns");
    }

    private static MockResponse status(int code, String method, String path, ApiPath api, String user) {
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
                message = resource + " is forbidden: User \"" + user + "\" cannot "
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

    /** {@code /api/v1/namespaces/N/R/NAME/SUB} or {@code /apis/G/V/...}: group, namespace, resource, name, subresource. */
    record ApiPath(String group, String namespace, String resource, String name, String subresource) {
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
                return new ApiPath("", null, null, null, null);
            }
            String namespace = null;
            if (s.length > rest + 2 && s[rest].equals("namespaces")) {
                namespace = s[rest + 1];
                rest += 2;
            }
            String resource = s.length > rest ? s[rest] : null;
            String name = s.length > rest + 1 ? s[rest + 1] : null;
            String subresource = s.length > rest + 2 ? s[rest + 2] : null;
            return new ApiPath(group, namespace, resource, name, subresource);
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
