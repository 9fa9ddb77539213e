package io.meshdns.server;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.discovery.ClusterSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedded two-cluster mesh of {@code meshdns demo}: clusters {@code east} and {@code west}, each a
 * real mock API server, seeded with sample services. meshdns watches them through the same discovery
 * code as {@code serve}.
 */
public final class DemoMesh implements AutoCloseable {
  /**
   * The demo's config: every default, DNS on loopback port 5353, PTRs for the demo pod networks, and zone
   * transfers for local clients (so `dig AXFR` shows the whole zone).
   */
  static final String CONFIG = """
      dns:
        bind: 127.0.0.1
        port: 5353
      reverseZones: [10.10.0.0/16, 10.20.0.0/16]
      axfr:
        allow: [127.0.0.0/8, "::1"]
      """;

  private final Map<String, DemoCluster> clusters = new LinkedHashMap<>();

  private DemoMesh() {}

  /** Starts {@code east} and {@code west}, writes their kubeconfigs into {@code kubeconfigDir}, seeds them. */
  public static DemoMesh start(Path kubeconfigDir) {
    DemoMesh mesh = new DemoMesh();
    try {
      for (String id : List.of("east", "west")) {
        mesh.clusters.put(id, DemoCluster.start(id, kubeconfigDir));
      }
      mesh.seed();
    } catch (RuntimeException e) {
      mesh.close();
      throw e;
    }
    return mesh;
  }

  public DemoCluster cluster(String id) {
    return clusters.get(id);
  }

  public List<DemoCluster> clusters() {
    return List.copyOf(clusters.values());
  }

  public List<ClusterSpec> specs() {
    return clusters.values().stream().map(DemoCluster::spec).toList();
  }

  private void seed() {
    KubernetesClient east = clusters.get("east").client();
    KubernetesClient west = clusters.get("west").client();
    for (KubernetesClient c : List.of(east, west)) {
      c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build()).create();
    }
    // web: exported from both clusters; west has one pod that is not ready and must never be answered.
    exported(east, "shop", "web", "10.96.0.10");
    slice(east, "shop", "web", "web-east-1", pods("10.10.1.", 1, 3, true));
    exported(west, "shop", "web", "10.97.0.10");
    List<EndpointSpec> westPods = new ArrayList<>(pods("10.20.1.", 1, 2, true));
    westPods.add(new EndpointSpec("10.20.1.3", false));
    slice(west, "shop", "web", "web-west-1", westPods);
    // cart: only east exports it.
    exported(east, "shop", "cart", "10.96.0.11");
    slice(east, "shop", "cart", "cart-east-1", pods("10.10.2.", 1, 2, true));
    // db: a headless StatefulSet-style service; each pod has its own name per cluster, and SRV records.
    exported(east, headless(service("shop", "db", "None", true), "postgres", 5432));
    slice(east, "shop", "db", "db-east-1", List.of(
        new EndpointSpec("10.10.3.1", true, "db-0"), new EndpointSpec("10.10.3.2", true, "db-1")));
    exported(west, headless(service("shop", "db", "None", true), "postgres", 5432));
    slice(west, "shop", "db", "db-west-1", List.of(new EndpointSpec("10.20.3.1", true, "db-0")));
    // docs: an ExternalName service, answered with a CNAME.
    east.services().resource(new ServiceBuilder(service("shop", "docs", null, true))
        .editSpec().withType("ExternalName").withExternalName("docs.example.com").withClusterIP(null)
        .withClusterIPs((List<String>) null).withSelector(null).withPorts(List.of()).endSpec().build()).create();
    // payments: exists in west but is not exported, so it has no global name.
    west.services().resource(service("shop", "payments", "10.97.0.12", false)).create();
    slice(west, "shop", "payments", "payments-west-1", pods("10.20.3.", 1, 2, true));
  }

  /** One endpoint to seed: an IP, whether its pod is ready, and its hostname (headless services) or null. */
  public record EndpointSpec(String ip, boolean ready, String hostname) {
    public EndpointSpec(String ip, boolean ready) {
      this(ip, ready, null);
    }
  }

  private static void exported(KubernetesClient client, Service service) {
    client.services().resource(service).create();
  }

  /** The service made headless ({@code clusterIP: None}) with one named TCP port. */
  public static Service headless(Service service, String portName, int port) {
    return new ServiceBuilder(service).editSpec().withClusterIP("None").withClusterIPs("None")
        .withPorts(new io.fabric8.kubernetes.api.model.ServicePortBuilder()
            .withName(portName).withPort(port).withProtocol("TCP").build())
        .endSpec().build();
  }

  public static List<EndpointSpec> pods(String prefix, int first, int count, boolean ready) {
    List<EndpointSpec> out = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      out.add(new EndpointSpec(prefix + i, ready));
    }
    return out;
  }

  public static void exported(KubernetesClient client, String namespace, String name, String clusterIp) {
    client.services().resource(service(namespace, name, clusterIp, true)).create();
  }

  public static Service service(String namespace, String name, String clusterIp, boolean exported) {
    var b = new ServiceBuilder().withNewMetadata().withNamespace(namespace).withName(name);
    if (exported) {
      b.addToAnnotations("meshdns.io/export", "true");
    }
    return b.endMetadata()
        .withNewSpec().withType("ClusterIP").withClusterIP(clusterIp).withClusterIPs(clusterIp)
        .addToSelector("app", name)
        .addNewPort().withName("http").withPort(80).withProtocol("TCP").endPort()
        .endSpec().build();
  }

  /** Creates or replaces an IPv4 EndpointSlice of a service, as the EndpointSlice controller would. */
  public static EndpointSlice slice(KubernetesClient client, String namespace, String service, String sliceName,
      List<EndpointSpec> endpoints) {
    var slice = new EndpointSliceBuilder()
        .withNewMetadata().withNamespace(namespace).withName(sliceName)
        .addToLabels("kubernetes.io/service-name", service)
        .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
        .withEndpoints(endpoints.stream().map(e -> new EndpointBuilder()
            .withAddresses(e.ip())
            .withHostname(e.hostname())
            .withNewConditions().withReady(e.ready()).withServing(e.ready()).withTerminating(false).endConditions()
            .build()).toList())
        .build();
    return client.discovery().v1().endpointSlices().resource(slice).createOr(existing -> existing.update());
  }

  @Override
  public void close() {
    for (DemoCluster c : clusters.values()) {
      c.close();
    }
  }
}
