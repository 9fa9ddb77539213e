package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the discovery values the load balancer reads: services, their endpoints, cluster health. */
final class Mesh {
  static final ServiceKey WEB = ServiceKey.of("shop", "web");
  /** A querier of which nothing is known: no source address, cluster or zone. */
  static final QueryContext ANYONE = new QueryContext(null, null, null);

  private final Map<ClusterId, List<Endpoint>> endpoints = new LinkedHashMap<>();
  private final Map<ClusterId, Map<String, String>> annotations = new LinkedHashMap<>();
  private final Map<ClusterId, ClusterState> states = new LinkedHashMap<>();

  static Mesh web() {
    return new Mesh();
  }

  /** Adds endpoints in {@code cluster}: {@code ready("10.0.0.1")}, {@code notReady(...)}, etc. */
  Mesh in(String cluster, Pod... builders) {
    ClusterId id = ClusterId.of(cluster);
    List<Endpoint> list = endpoints.computeIfAbsent(id, k -> new ArrayList<>());
    for (var b : builders) {
      list.add(b.build(id));
    }
    states.putIfAbsent(id, ClusterState.SYNCED);
    return this;
  }

  Mesh annotate(String cluster, String name, String value) {
    annotations.computeIfAbsent(ClusterId.of(cluster), k -> new LinkedHashMap<>()).put(name, value);
    endpoints.computeIfAbsent(ClusterId.of(cluster), k -> new ArrayList<>());
    states.putIfAbsent(ClusterId.of(cluster), ClusterState.SYNCED);
    return this;
  }

  Mesh state(String cluster, ClusterState state) {
    states.put(ClusterId.of(cluster), state);
    return this;
  }

  GlobalService service() {
    Map<ClusterId, ClusterService> byCluster = new LinkedHashMap<>();
    for (var e : endpoints.entrySet()) {
      byCluster.put(e.getKey(), new ClusterService(e.getKey(), WEB, "ClusterIP", false, null,
          List.of(new ServicePort("http", 80, "TCP")), e.getValue(), annotations.getOrDefault(e.getKey(), Map.of())));
    }
    return new GlobalService(WEB, byCluster);
  }

  MeshSnapshot snapshot(long version) {
    return snapshot(version, service());
  }

  MeshSnapshot snapshot(long version, GlobalService service) {
    Map<ClusterId, ClusterHealth> health = new LinkedHashMap<>();
    for (var e : states.entrySet()) {
      health.put(e.getKey(), new ClusterHealth(e.getKey(), e.getValue(), Instant.EPOCH, null, 1, 0, 0, null));
    }
    return MeshSnapshot.of(version, Map.of(WEB, service), health);
  }

  static Pod ready(String ip) {
    return endpoint(ip, true, true, false, null);
  }

  static Pod ready(String ip, String zone) {
    return endpoint(ip, true, true, false, zone);
  }

  static Pod terminating(String ip) {
    return endpoint(ip, false, true, true, null);
  }

  static Pod notReady(String ip) {
    return endpoint(ip, false, false, false, null);
  }

  /** {@code count} ready endpoints {@code prefix1 .. prefixN}. */
  static Pod[] readyRange(String prefix, int count) {
    Pod[] out = new Pod[count];
    for (int i = 0; i < count; i++) {
      out[i] = ready(prefix + (i + 1));
    }
    return out;
  }

  private static Pod endpoint(String ip, boolean ready, boolean serving, boolean terminating, String zone) {
    InetAddress address;
    try {
      address = InetAddress.getByName(ip); // test literals only
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(ip, e);
    }
    return cluster -> new Endpoint(cluster, address, ready, serving, terminating, null, null, zone);
  }

  static List<String> ips(List<Endpoint> endpoints) {
    return endpoints.stream().map(e -> e.address().getHostAddress()).toList();
  }

  static List<String> clusters(List<Endpoint> endpoints) {
    return endpoints.stream().map(e -> e.cluster().value()).toList();
  }

  /** An endpoint waiting for the cluster it is added to. */
  interface Pod {
    Endpoint build(ClusterId cluster);
  }
}
