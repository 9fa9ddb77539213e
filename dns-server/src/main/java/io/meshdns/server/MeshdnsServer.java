package io.meshdns.server;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.MeshWatcher;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.LoadBalancingConfig;
import io.meshdns.loadbalancer.QuerierResolver;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    // A kubeconfig that cannot be used is a config error: refuse to start rather than serve a mesh
    // silently missing that cluster. (An unreachable API server, by contrast, is retried in the background.)
    clusters.forEach(ClusterSpec::checkKubeconfig);
    LoadBalancingConfig balancing = loadBalancing(config, clusters);
    var selector = new EndpointSelector(balancing);
    var responder = new QueryResponder(config, selector, new QuerierResolver(balancing));
    var mesh = new MeshWatcher(MeshWatcher.Options.defaults()
        .withStaleAfter(config.staleAfterDuration())
        .withExportAll(config.exportAll()));
    mesh.addListener(selector::update); // before the responder, so a published name is already prepared
    mesh.addListener(responder::update);
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    DnsServer dns = new DnsServer(responder, threads,
        ServerConfig.parseDuration("dns.tcpIdleTimeout", config.dns().tcpIdleTimeout()), config.dns().maxTcpConnections());
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

  /**
   * The load balancer's view of the config. Every watched cluster is listed (those only in {@code clusters},
   * as in the demo, with weight 1, priority 0, no source networks), so an EDNS0 option naming any of them
   * is recognised.
   */
  static LoadBalancingConfig loadBalancing(ServerConfig config, List<ClusterSpec> clusters) {
    Map<ClusterId, LoadBalancingConfig.Cluster> byId = new LinkedHashMap<>();
    for (ServerConfig.Cluster c : config.clusters()) {
      ClusterId id = ClusterId.of(c.id());
      byId.put(id, new LoadBalancingConfig.Cluster(id, c.weight(), c.priority(), c.sourceCidrs()));
    }
    for (ClusterSpec spec : clusters) {
      byId.putIfAbsent(spec.id(), LoadBalancingConfig.Cluster.of(spec.id()));
    }
    var lb = config.loadBalancing();
    List<LoadBalancingConfig.Zone> zones = new ArrayList<>();
    for (ServerConfig.ZoneSource z : lb.zones()) {
      zones.add(new LoadBalancingConfig.Zone(z.cidr(), z.zone()));
    }
    return new LoadBalancingConfig(lb.policy(), lb.maxAnswers(), lb.ednsClusterOption(),
        List.copyOf(byId.values()), zones);
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
