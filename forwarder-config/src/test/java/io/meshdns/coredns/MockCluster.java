package io.meshdns.coredns;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * One simulated cluster: a fabric8 KubernetesMockServer in CRUD mode on loopback (real HTTP, real
 * resourceVersion checks), with two test-side behaviours an API server can show: another writer that
 * changes a ConfigMap just before meshdns's write lands, and RBAC denying access to ConfigMaps.
 */
final class MockCluster implements AutoCloseable {
  final KubernetesMockServer server;
  final KubernetesClient client;
  private final Dispatcher dispatcher;

  private MockCluster(KubernetesMockServer server, Dispatcher dispatcher) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.client = server.createClient();
  }

  static MockCluster start() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    Dispatcher dispatcher = new Dispatcher(responses);
    var server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    return new MockCluster(server, dispatcher);
  }

  ConfigMap configMap(String name, Map<String, String> data) {
    return client.configMaps().inNamespace("kube-system").resource(new ConfigMapBuilder().withNewMetadata()
        .withName(name).withNamespace("kube-system").endMetadata().withData(data).build()).create();
  }

  ConfigMap get(String name) {
    return client.configMaps().inNamespace("kube-system").withName(name).get();
  }

  String data(String name, String key) {
    ConfigMap cm = get(name);
    return cm == null || cm.getData() == null ? null : cm.getData().get(key);
  }

  /**
   * Another writer applies {@code edit} to ConfigMap {@code name} between a client's read of it and that
   * client's next request for it, {@code times} times: the race optimistic concurrency exists for.
   */
  void interfereWithWrites(String name, int times, UnaryOperator<ConfigMap> edit) {
    dispatcher.interferePath = "/api/v1/namespaces/kube-system/configmaps/" + name;
    dispatcher.interferences.set(times);
    dispatcher.edit = edit;
  }

  /** How many writes another writer got in before. */
  int interfered() {
    return dispatcher.interfered.get();
  }

  /** Every request for ConfigMaps is answered 403 Forbidden, as RBAC does for a service account without the role. */
  void denyConfigMaps() {
    dispatcher.denyConfigMaps = true;
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }

  private static final class Dispatcher extends KubernetesMixedDispatcher {
    volatile String interferePath;
    final AtomicInteger interferences = new AtomicInteger();
    volatile boolean read;
    final AtomicInteger interfered = new AtomicInteger();
    volatile UnaryOperator<ConfigMap> edit;
    volatile boolean denyConfigMaps;

    Dispatcher(Map<ServerRequest, Queue<ServerResponse>> responses) {
      super(responses);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if (denyConfigMaps && request.getPath().contains("/configmaps")) {
        return new MockResponse().setResponseCode(403).addHeader("Content-Type", "application/json").setBody("""
            {"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":\
            "configmaps is forbidden: User \\"system:serviceaccount:meshdns:meshdns\\" cannot get resource \\"configmaps\\"\
             in API group \\"\\" in the namespace \\"kube-system\\""}""");
      }
      boolean ours = interferePath != null && request.getPath().split("\\?")[0].equals(interferePath);
      if (ours && read && interferences.getAndDecrement() > 0) {
        read = false;
        MockResponse current = super.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.GET, interferePath,
            Headers.builder().build(), new Buffer()));
        ConfigMap edited = edit.apply(Serialization.unmarshal(current.getBody().readUtf8(), ConfigMap.class));
        super.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.PUT, interferePath,
            Headers.builder().add("Content-Type", "application/json").build(),
            new Buffer(Serialization.asJson(edited).getBytes(StandardCharsets.UTF_8))));
        interfered.incrementAndGet();
      }
      if (ours && "GET".equals(request.getMethod())) {
        read = true;
      }
      return super.dispatch(request);
    }
  }
}
