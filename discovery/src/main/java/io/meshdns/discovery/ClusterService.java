package io.meshdns.discovery;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One cluster's part of a global service: the exported Service and the addresses that cluster contributes
 * (already chosen by the cluster's {@link Reachability}). Immutable.
 *
 * @param type the Service type: ClusterIP, NodePort, LoadBalancer or ExternalName
 * @param headless {@code clusterIP: None}
 * @param externalName the target of an ExternalName service, else {@code null}
 * @param endpoints the contributed addresses in every readiness state; the load balancer picks among them
 */
public record ClusterService(
    ClusterId cluster,
    ServiceKey key,
    String type,
    boolean headless,
    String externalName,
    List<ServicePort> ports,
    List<Endpoint> endpoints,
    Map<String, String> annotations) {

  public ClusterService {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(key, "key");
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
    annotations = Map.copyOf(annotations);
  }
}
