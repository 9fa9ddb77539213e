package io.meshdns.server;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Two empty mock API servers ({@code east}, {@code west}, CRUD mode, real HTTP and watches) and the real
 * meshdns server on a free loopback port, watching both through their kubeconfigs.
 */
final class TwoClusterMesh implements AutoCloseable {
  final MockCluster east;
  final MockCluster west;
  final MeshdnsServer server;

  TwoClusterMesh(Path kubeconfigDir) {
    this(kubeconfigDir, ServerConfig.defaults());
  }

  TwoClusterMesh(Path kubeconfigDir, ServerConfig config) {
    east = MockCluster.start("east", kubeconfigDir);
    west = MockCluster.start("west", kubeconfigDir);
    server = MeshdnsServer.start(config.withDns("127.0.0.1", 0).withHttp("127.0.0.1", 0).withAdmin("127.0.0.1", 0), List.of(spec(east), spec(west)));
  }

  /**
   * {@code config} with its UDP transport set to {@code transport}: the tests of a class parameterised over
   * the transport run once on each. Where the ffm one cannot run (below JDK 22), its run is skipped, saying why.
   */
  static ServerConfig onUdpTransport(ServerConfig config, UdpTransport transport) {
    String unavailable = transport == UdpTransport.FFM ? UdpTransport.ffmUnavailable() : null;
    Assumptions.assumeTrue(unavailable == null, () -> "the ffm UDP transport cannot run here: " + unavailable);
    return config.withUdpTransport(transport.key);
  }

  /** Fails unless the server reads UDP with {@code transport}: proof that a parameterised run tests what it says. */
  void assertUdpTransport(UdpTransport transport) {
    Assertions.assertThat(server.udpTransport())
        .as("the UDP transport that runs")
        .matches(transport == UdpTransport.FFM ? "ffm" : "netty-(epoll|nio)");
  }

  /** The cluster as meshdns watches it: its kubeconfig and context, pod IPs. */
  static ClusterSpec spec(MockCluster cluster) {
    return ClusterSpec.ofKubeconfig(cluster.id(), cluster.kubeconfig(), cluster.id());
  }

  /**
   * Exports {@code shop/web} from east (ClusterIP 10.96.0.10, ready pods 10.10.1.1 to 10.10.1.3) and waits
   * until TCP answers all three.
   */
  void exportWebFromEast() throws InterruptedException {
    MeshObjects.exported(east(), "shop", "web", "10.96.0.10");
    MeshObjects.slice(east(), "shop", "web", "web-east", MeshObjects.pods("10.10.1.", 1, 3, true));
    tcp().addressesOnceTrue("web.shop.svc.clusterset.local.", s -> s.size() == 3);
  }

  KubernetesClient east() {
    return east.client();
  }

  KubernetesClient west() {
    return west.client();
  }

  InetSocketAddress dns() {
    return server.dnsAddress();
  }

  DnsClient udp() {
    return new DnsClient(dns(), DnsClient.Transport.UDP);
  }

  DnsClient tcp() {
    return new DnsClient(dns(), DnsClient.Transport.TCP);
  }

  @Override
  public void close() {
    server.close();
    east.close();
    west.close();
  }
}
