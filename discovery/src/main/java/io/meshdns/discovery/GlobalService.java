package io.meshdns.discovery;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** A service exported by one or more clusters, merged by namespace/name. Immutable. */
public final class GlobalService {
  private final ServiceKey key;
  private final SortedMap<ClusterId, ClusterService> byCluster;
  private final List<Endpoint> endpoints;

  public GlobalService(ServiceKey key, Map<ClusterId, ClusterService> byCluster) {
    this.key = key;
    this.byCluster = Collections.unmodifiableSortedMap(new TreeMap<>(byCluster));
    List<Endpoint> all = new ArrayList<>();
    for (ClusterService cs : this.byCluster.values()) {
      all.addAll(cs.endpoints());
    }
    this.endpoints = List.copyOf(all);
  }

  public ServiceKey key() {
    return key;
  }

  /** The clusters that export this service, ordered by cluster id. */
  public SortedMap<ClusterId, ClusterService> byCluster() {
    return byCluster;
  }

  /** Every cluster's contributed endpoints, in every readiness state, ordered by cluster id. */
  public List<Endpoint> endpoints() {
    return endpoints;
  }

  @Override
  public String toString() {
    return "GlobalService[" + key + ", clusters=" + byCluster.keySet() + ", endpoints=" + endpoints.size() + "]";
  }
}
