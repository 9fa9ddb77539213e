package io.meshdns.server;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Two empty mock API servers ({@code east}, {@code west}, CRUD mode, real HTTP and watches) and the real
 * meshdns server on a free loopback port, watching both through their kubeconfigs.
 */
final class TwoClusterMesh implements AutoCloseable {
  final DemoCluster east;
  final DemoCluster west;
  final MeshdnsServer server;

  TwoClusterMesh(Path kubeconfigDir) {
    this(kubeconfigDir, ServerConfig.defaults());
  }

  TwoClusterMesh(Path kubeconfigDir, ServerConfig config) {
    east = DemoCluster.start("east", kubeconfigDir);
    west = DemoCluster.start("west", kubeconfigDir);
    server = MeshdnsServer.start(config.withDns("127.0.0.1", 0).withHttp("127.0.0.1", 0).withAdmin("127.0.0.1", 0), List.of(east.spec(), west.spec()));
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
