package io.meshdns.server;

import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.MeshWatcher;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.RoundRobinPolicy;
import java.net.InetSocketAddress;
import java.util.List;

/** The assembled application: discovery feeding the zone, the zone answered over UDP and TCP. */
public final class MeshdnsServer implements AutoCloseable {
  private final MeshWatcher mesh;
  private final DnsServer dns;

  private MeshdnsServer(MeshWatcher mesh, DnsServer dns) {
    this.mesh = mesh;
    this.dns = dns;
  }

  /**
   * Starts watching {@code clusters} and serving DNS. Returns once the listeners are bound; clusters sync
   * in the background (an unreachable one does not hold up the others).
   */
  public static MeshdnsServer start(ServerConfig config, List<ClusterSpec> clusters) {
    var selector = new EndpointSelector(new RoundRobinPolicy(), EndpointSelector.DEFAULT_MAX_ANSWERS);
    var responder = new QueryResponder(config.zone(), config.ttl(), selector);
    var mesh = new MeshWatcher(MeshWatcher.Options.defaults()
        .withStaleAfter(config.staleAfterDuration())
        .withExportAll(config.exportAll()));
    mesh.addListener(responder::update);
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    DnsServer dns = new DnsServer(responder, threads);
    try {
      dns.start(config.dns().bind(), config.dns().port(), threads);
    } catch (Exception e) { // Netty rethrows bind failures (IOException) unchecked
      dns.close();
      mesh.close();
      throw new IllegalStateException("cannot listen for DNS on " + config.dns().bind() + " port "
          + config.dns().port() + ": " + e.getMessage(), e);
    }
    mesh.setClusters(clusters).join();
    return new MeshdnsServer(mesh, dns);
  }

  public InetSocketAddress dnsAddress() {
    return dns.address();
  }

  public MeshWatcher mesh() {
    return mesh;
  }

  @Override
  public void close() {
    dns.close();
    mesh.close();
  }
}
