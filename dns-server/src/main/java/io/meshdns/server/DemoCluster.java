package io.meshdns.server;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;

/**
 * One simulated member cluster: a fabric8 {@link KubernetesMockServer} in CRUD mode on loopback (real
 * HTTP, real watches) and a kubeconfig file pointing at it. It also serves the API discovery documents
 * kubectl reads first, so {@code kubectl get/create/delete} work against it for the kinds meshdns uses.
 */
public final class DemoCluster implements AutoCloseable {
  /** How long {@link #close} waits for the mock API server to stop. */
  static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(1);

  private final String id;
  private final KubernetesMockServer server;
  private final DiscoveryServingDispatcher store;
  private final KubernetesClient client;
  private final Path kubeconfig;

  private DemoCluster(String id, KubernetesMockServer server, DiscoveryServingDispatcher store, Path kubeconfig) {
    this.id = id;
    this.server = server;
    this.store = store;
    this.client = server.createClient();
    this.kubeconfig = kubeconfig;
  }

  /** Starts the API server on a free loopback port and writes {@code <dir>/<id>.kubeconfig}. */
  public static DemoCluster start(String id, Path kubeconfigDir) {
    return start(id, kubeconfigDir, 0);
  }

  /** As {@link #start(String, Path)} on a given port: a cluster whose API server comes up late. */
  public static DemoCluster start(String id, Path kubeconfigDir, int port) {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    var web = new MockWebServer();
    var store = new DiscoveryServingDispatcher(web);
    var server = new KubernetesMockServer(new Context(), web, responses, store, false);
    server.init(InetAddress.getLoopbackAddress(), port);
    Path file = kubeconfigDir.resolve(id + ".kubeconfig");
    try {
      Files.createDirectories(kubeconfigDir);
      Files.writeString(file, kubeconfig(id, "http://127.0.0.1:" + server.getPort()));
    } catch (IOException e) {
      server.destroy();
      throw new UncheckedIOException("cannot write kubeconfig " + file, e);
    }
    return new DemoCluster(id, server, store, file);
  }

  /**
   * Stores a new namespaced object as the API server's create would (uid, creation time, resource version;
   * watchers get ADDED), without an HTTP round trip. For seeding large synthetic meshes: the mock server
   * scans every stored object on each create request, so 100,000 creates over HTTP take many minutes.
   * meshdns still reads everything through list and watch over HTTP. Not ordered with concurrent API
   * writes: seed before anything else writes to this cluster.
   *
   * @param path the collection's API path, e.g. {@code /api/v1/namespaces/shop/services}
   */
  public void load(String path, HasMetadata object) {
    var meta = object.getMetadata();
    meta.setUid(UUID.randomUUID().toString());
    meta.setCreationTimestamp(ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS)
        .format(DateTimeFormatter.ISO_INSTANT));
    meta.setResourceVersion(String.valueOf(store.requestResourceVersion()));
    meta.setGeneration(1L);
    store.processEvent(path, store.getKey(path), null, null, Serialization.asJson(object));
  }

  public String id() {
    return id;
  }

  /** A client of this cluster's API, for seeding and changing objects. */
  public KubernetesClient client() {
    return client;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  public int port() {
    return server.getPort();
  }

  /**
   * Takes the requests the mock server has recorded and not yet handed out, and returns how many there were.
   * The dispatcher takes each one as it is answered, so this stays near zero however many calls were served.
   */
  int takeRecordedRequests() {
    return store.takeRecorded();
  }

  public ClusterSpec spec() {
    return ClusterSpec.ofKubeconfig(id, kubeconfig, id);
  }

  /** This cluster with the given reachability list. */
  public ClusterSpec spec(List<Reachability> reachability) {
    return new ClusterSpec(ClusterId.of(id), kubeconfig, id, reachability);
  }

  /**
   * Stops the mock API server, waiting for it at most {@link #CLOSE_WAIT}: fabric8's mock server closing
   * while it streams watch events waits 10 s and then fails, and nothing needs it once it stops accepting.
   */
  @Override
  public void close() {
    client.close();
    Thread stopping = new Thread(() -> {
      try {
        server.destroy();
      } catch (RuntimeException e) {
        // "Unable to close MockWebServer" after its own 10 s wait: it is going away regardless.
      }
    }, "demo-close-" + id);
    stopping.setDaemon(true);
    stopping.start();
    try {
      stopping.join(CLOSE_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String kubeconfig(String id, String url) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: %1$s
          cluster:
            server: %2$s
        users:
        - name: %1$s-admin
          user:
            token: demo
        contexts:
        - name: %1$s
          context:
            cluster: %1$s
            user: %1$s-admin
            namespace: default
        current-context: %1$s
        """.formatted(id, url);
  }

  /**
   * CRUD for objects, plus the legacy discovery documents ({@code /api}, {@code /apis}, ...) for kubectl.
   * It also takes each request out of the mock web server's record of requests as it answers it: that record
   * (for tests' {@code takeRequest()}) is an unbounded queue, which made a long-running demo grow by about
   * 2 KB per API call.
   */
  private static final class DiscoveryServingDispatcher extends KubernetesCrudDispatcher {
    private final MockWebServer web;

    DiscoveryServingDispatcher(MockWebServer web) {
      this.web = web;
    }

    /** Empties the mock web server's request record; returns how many requests it held. */
    int takeRecorded() {
      int n = 0;
      try {
        while (web.takeRequest(0, java.util.concurrent.TimeUnit.NANOSECONDS) != null) {
          n++;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return n;
    }

    private static final Map<String, String> DOCUMENTS = Map.of(
        "/api", Serialization.asJson(new APIVersionsBuilder().withVersions("v1").build()),
        "/api/v1", Serialization.asJson(new APIResourceListBuilder().withGroupVersion("v1").withResources(
            resource("services", "Service", "svc", true),
            resource("namespaces", "Namespace", "ns", false),
            resource("pods", "Pod", "po", true)).build()),
        "/apis", Serialization.asJson(new APIGroupListBuilder().withGroups(new APIGroupBuilder()
            .withName("discovery.k8s.io")
            .withVersions(new GroupVersionForDiscoveryBuilder().withGroupVersion("discovery.k8s.io/v1").withVersion("v1").build())
            .withPreferredVersion(new GroupVersionForDiscoveryBuilder().withGroupVersion("discovery.k8s.io/v1").withVersion("v1").build())
            .build()).build()),
        "/apis/discovery.k8s.io/v1", Serialization.asJson(new APIResourceListBuilder()
            .withGroupVersion("discovery.k8s.io/v1")
            .withResources(resource("endpointslices", "EndpointSlice", null, true)).build()));

    /**
     * Just enough OpenAPI v3 for kubectl to see that the server validates fields itself (the
     * {@code fieldValidation} parameter on create), so {@code kubectl create -f} works without a schema.
     */
    private static final Map<String, String> OPENAPI_V3 = Map.of(
        "/openapi/v3", """
            {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1"},
            "apis/discovery.k8s.io/v1":{"serverRelativeURL":"/openapi/v3/apis/discovery.k8s.io/v1"}}}""",
        "/openapi/v3/api/v1", openApi(
            createPath("/api/v1/namespaces/{namespace}/services", "", "v1", "Service"),
            createPath("/api/v1/namespaces/{namespace}/pods", "", "v1", "Pod"),
            createPath("/api/v1/namespaces", "", "v1", "Namespace")),
        "/openapi/v3/apis/discovery.k8s.io/v1", openApi(
            createPath("/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
                "discovery.k8s.io", "v1", "EndpointSlice")));

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


    @Override
    public MockResponse dispatch(RecordedRequest request) {
      takeRecorded(); // the server recorded this request just before dispatching it
      String path = request.getPath();
      int query = path.indexOf('?');
      String document = "GET".equals(request.getMethod())
          ? DOCUMENTS.get(query < 0 ? path : path.substring(0, query)) : null;
      if (document != null) {
        return new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json").setBody(document);
      }
      String openApi = "GET".equals(request.getMethod())
          ? OPENAPI_V3.get(query < 0 ? path : path.substring(0, query)) : null;
      if (openApi != null) {
        return new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json").setBody(openApi);
      }
      return super.dispatch(request);
    }

    private static APIResource resource(String plural, String kind, String shortName, boolean namespaced) {
      var b = new APIResourceBuilder().withName(plural).withKind(kind).withNamespaced(namespaced)
          .withSingularName(kind.toLowerCase(java.util.Locale.ROOT))
          .withVerbs("create", "delete", "get", "list", "patch", "update", "watch");
      if (shortName != null) {
        b.withShortNames(shortName);
      }
      return b.build();
    }
  }
}
