package io.meshdns.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One member cluster for tests: a fabric8 {@link KubernetesMockServer} in CRUD mode on a loopback port
 * (real HTTP, real watches), a kubeconfig file pointing at it, and a client to change its objects. It can
 * be stopped and started again on the same port (an API server outage), and can answer requests with an
 * HTTP error (401, 403) or expire a watch (410), the way a real API server does when credentials or resource versions expire.
 */
final class MockCluster implements AutoCloseable {
  private final String id;
  private final Path kubeconfig;
  private final int port;
  private final Faults faults = new Faults();
  private KubernetesMockServer server;
  private KubernetesClient client;

  private MockCluster(String id, Path dir) {
    this.id = id;
    this.server = newServer(0);
    this.port = server.getPort();
    this.client = server.createClient();
    this.kubeconfig = dir.resolve(id + ".kubeconfig");
    try {
      Files.writeString(kubeconfig, kubeconfig(id, "http://127.0.0.1:" + port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static MockCluster start(String id, Path dir) {
    return new MockCluster(id, dir);
  }

  private KubernetesMockServer newServer(int onPort) {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    var s = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
        new FaultyDispatcher(responses, faults), false);
    s.init(InetAddress.getLoopbackAddress(), onPort);
    return s;
  }

  String id() {
    return id;
  }

  ClusterId clusterId() {
    return ClusterId.of(id);
  }

  ClusterSpec spec() {
    return spec(Reachability.POD);
  }

  ClusterSpec spec(Reachability reachability) {
    return new ClusterSpec(ClusterId.of(id), kubeconfig, id, reachability);
  }

  Path kubeconfig() {
    return kubeconfig;
  }

  int port() {
    return port;
  }

  KubernetesClient client() {
    return client;
  }

  /** The API server goes away: connections are refused until {@link #restartEmpty()}. */
  void stop() {
    client.close();
    destroy(server);
  }

  /**
   * The mock server can stall its event loop for 30 s when a watch closes while it is still writing events
   * to it (its watch listener waits for its sender thread, which waits for the event loop). Shutting down
   * then times out after 10 s; the server is closed by then or soon after, so that is not a test failure.
   */
  private static void destroy(KubernetesMockServer server) {
    try {
      server.destroy();
    } catch (IllegalStateException slowShutdown) {
      System.err.println("mock API server shutdown was slow: " + slowShutdown.getMessage());
    }
  }

  /** A new API server on the same port, with no objects (as after a restore from an empty backup). */
  void restartEmpty() {
    server = newServer(port);
    client = server.createClient();
  }

  /**
   * The next watch of {@code resource} (e.g. "services") opens but delivers no events until
   * {@link #expireStalledWatches()}: the informer misses every change made meanwhile.
   */
  void stallNextWatchOf(String resource) {
    faults.stallWatches.put(resource, new AtomicInteger(1));
  }

  /** Ends the stalled watches the way the API server does when their resourceVersion was compacted away. */
  void expireStalledWatches() {
    String gone = Serialization.asJson(Map.of("type", "ERROR", "object", new StatusBuilder().withApiVersion("v1")
        .withKind("Status").withStatus("Failure").withCode(410).withReason("Expired")
        .withMessage("too old resource version").build()));
    for (WebSocket ws : faults.stalled) {
      ws.send(gone);
      ws.close(1000, "");
    }
    faults.stalled.clear();
  }

  /** Every request is answered with {@code code} (401, 403) until {@link #heal()}. */
  void refuseAll(int code) {
    faults.refuse = code;
  }

  void heal() {
    faults.refuse = 0;
  }

  /** Requests for {@code resource} (e.g. "serviceexports") are answered with {@code code} from now on. */
  void answer(String resource, int code) {
    faults.answers.put(resource, code);
  }

  @Override
  public void close() {
    client.close();
    KubernetesMockServer s = server;
    // Not waited for: see destroy().
    Thread closer = new Thread(() -> destroy(s), "mock-cluster-close-" + id);
    closer.setDaemon(true);
    closer.start();
  }

  // ---- objects ----

  void namespace(String name) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .createOr(existing -> existing.update());
  }

  Service create(Service svc) {
    return client.services().resource(svc).createOr(existing -> existing.update());
  }

  EndpointSlice create(EndpointSlice slice) {
    return client.discovery().v1().endpointSlices().resource(slice).createOr(existing -> existing.update());
  }

  /** Installs the MCS ServiceExport CRD, as {@code kubectl apply -f multicluster.x-k8s.io_serviceexports.yaml}. */
  void installServiceExportCrd() {
    client.apiextensions().v1().customResourceDefinitions().resource(serviceExportCrd()).create();
  }

  void removeServiceExportCrd() {
    client.apiextensions().v1().customResourceDefinitions().withName(ClusterWatcher.SERVICE_EXPORT_CRD).delete();
  }

  void export(String namespace, String name) {
    GenericKubernetesResource export = new GenericKubernetesResourceBuilder()
        .withApiVersion("multicluster.x-k8s.io/v1alpha1")
        .withKind("ServiceExport")
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .build();
    client.genericKubernetesResources(ClusterWatcher.SERVICE_EXPORTS).resource(export).create();
  }

  void unexport(String namespace, String name) {
    client.genericKubernetesResources(ClusterWatcher.SERVICE_EXPORTS).inNamespace(namespace).withName(name).delete();
  }

  static CustomResourceDefinition serviceExportCrd() {
    return new CustomResourceDefinitionBuilder()
        .withNewMetadata().withName(ClusterWatcher.SERVICE_EXPORT_CRD).endMetadata()
        .withNewSpec()
        .withGroup("multicluster.x-k8s.io")
        .withScope("Namespaced")
        .withNewNames().withKind("ServiceExport").withPlural("serviceexports").withSingular("serviceexport")
        .withListKind("ServiceExportList").endNames()
        .addNewVersion().withName("v1alpha1").withServed(true).withStorage(true)
        .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
        .endOpenAPIV3Schema().endSchema()
        .endVersion()
        .endSpec()
        .build();
  }

  /** A ClusterIP Service with one named TCP port. */
  static ServiceBuilder service(String namespace, String name, String clusterIp) {
    return new ServiceBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .withNewSpec().withType("ClusterIP").withClusterIP(clusterIp).withClusterIPs(clusterIp)
        .addToSelector("app", name)
        .addNewPort().withName("http").withPort(80).withProtocol("TCP").endPort()
        .endSpec();
  }

  static Service annotated(String namespace, String name, String clusterIp) {
    return service(namespace, name, clusterIp).editMetadata().addToAnnotations(ServiceMapper.EXPORT_ANNOTATION, "true")
        .endMetadata().build();
  }

  /** An EndpointSlice of {@code service} as the EndpointSlice controller writes it: ready pods on port 8080. */
  static EndpointSliceBuilder slice(String namespace, String service, String sliceName, String addressType,
      List<String> ips) {
    return new EndpointSliceBuilder()
        .withNewMetadata().withNamespace(namespace).withName(sliceName)
        .addToLabels(ClusterWatcher.SERVICE_NAME_LABEL, service)
        .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
        .endMetadata()
        .withAddressType(addressType)
        .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
        .withEndpoints(ips.stream().map(ip -> new EndpointBuilder()
            .withAddresses(ip)
            .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
            .build()).toList());
  }

  static EndpointSlice readySlice(String namespace, String service, String sliceName, String... ips) {
    return slice(namespace, service, sliceName, "IPv4", List.of(ips)).build();
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
            token: test
        contexts:
        - name: %1$s
          context:
            cluster: %1$s
            user: %1$s-admin
        current-context: %1$s
        """.formatted(id, url);
  }

  /** Faults to inject; survive a restart of the server. */
  private static final class Faults {
    final Map<String, AtomicInteger> stallWatches = new java.util.concurrent.ConcurrentHashMap<>();
    final List<WebSocket> stalled = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Map<String, Integer> answers = new java.util.concurrent.ConcurrentHashMap<>();
    volatile int refuse;
  }

  /** CRUD, plus HTTP errors on demand. */
  private static final class FaultyDispatcher extends KubernetesMixedDispatcher {
    private final Faults faults;

    FaultyDispatcher(Map<ServerRequest, Queue<ServerResponse>> responses, Faults faults) {
      super(responses);
      this.faults = faults;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      int refuse = faults.refuse;
      if (refuse != 0) {
        return status(refuse, refuse == 401 ? "Unauthorized" : "Forbidden");
      }
      String path = request.getPath();
      String resource = path.indexOf('?') < 0 ? path : path.substring(0, path.indexOf('?'));
      for (var entry : faults.answers.entrySet()) {
        if (resource.endsWith("/" + entry.getKey())) {
          return status(entry.getValue(), "NotFound");
        }
      }
      if (path.contains("watch=true")) {
        for (var entry : faults.stallWatches.entrySet()) {
          if (resource.endsWith("/" + entry.getKey()) && entry.getValue().getAndDecrement() > 0) {
            return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
              @Override
              public void onOpen(WebSocket ws, io.fabric8.mockwebserver.http.Response response) {
                faults.stalled.add(ws);
              }
            });
          }
        }
      }
      return super.dispatch(request);
    }

    private static MockResponse status(int code, String reason) {
      String body = Serialization.asJson(new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
          .withMessage(reason).build());
      return new MockResponse().setResponseCode(code).addHeader("Content-Type", "application/json").setBody(body);
    }
  }
}
