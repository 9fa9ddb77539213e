package io.meshdns.discovery;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One cluster's part of a global service: the exported Service and the addresses that cluster contributes
 * (already chosen by the cluster's {@link Reachability}). Immutable.
 *
 * @param type the Service type: ClusterIP, NodePort, LoadBalancer or ExternalName
 * @param headless {@code clusterIP: None}
 * @param externalName the target of an ExternalName service (lowercase, no trailing dot), else {@code null}
 * @param ports the Service's ports; only named ones get SRV records
 * @param endpoints the contributed addresses in every readiness state; the load balancer picks among them
 * @param clusterIps the Service's cluster IPs (both families when dual-stack); empty when headless
 * @param loadBalancerIps the IPs in {@code status.loadBalancer.ingress}
 * @param loadBalancerHostnames the hostnames in {@code status.loadBalancer.ingress} (cloud load balancers
 *     that have a name instead of an IP); never turned into endpoints, since they are not addresses
 */
public record ClusterService(
    ClusterId cluster,
    ServiceKey key,
    String type,
    boolean headless,
    String externalName,
    List<ServicePort> ports,
    List<Endpoint> endpoints,
    Map<String, String> annotations,
    List<InetAddress> clusterIps,
    List<InetAddress> loadBalancerIps,
    List<String> loadBalancerHostnames) {

  public ClusterService {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(key, "key");
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
    annotations = Map.copyOf(annotations);
    clusterIps = clusterIps == null ? List.of() : List.copyOf(clusterIps);
    loadBalancerIps = loadBalancerIps == null ? List.of() : List.copyOf(loadBalancerIps);
    loadBalancerHostnames = loadBalancerHostnames == null ? List.of() : List.copyOf(loadBalancerHostnames);
  }

  /** A service part without cluster or load balancer IPs. */
  public ClusterService(ClusterId cluster, ServiceKey key, String type, boolean headless, String externalName,
      List<ServicePort> ports, List<Endpoint> endpoints, Map<String, String> annotations) {
    this(cluster, key, type, headless, externalName, ports, endpoints, annotations, List.of(), List.of(), List.of());
  }

  public boolean isExternalName() {
    return externalName != null;
  }
}
