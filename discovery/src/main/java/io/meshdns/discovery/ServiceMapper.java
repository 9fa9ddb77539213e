package io.meshdns.discovery;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps one cluster's Service and its EndpointSlices to that cluster's part of a global service. */
final class ServiceMapper {
  static final String EXPORT_ANNOTATION = "meshdns.io/export";

  private static final Logger log = LoggerFactory.getLogger(ServiceMapper.class);
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private ServiceMapper() {}

  static boolean exported(Service svc) {
    var annotations = svc.getMetadata().getAnnotations();
    return annotations != null && "true".equalsIgnoreCase(annotations.get(EXPORT_ANNOTATION));
  }

  /** The cluster's part of the service, or {@code null} when the Service is missing or not exported. */
  static ClusterService map(ClusterSpec cluster, Service svc, List<EndpointSlice> slices) {
    if (svc == null || svc.getSpec() == null || !exported(svc)) {
      return null;
    }
    var meta = svc.getMetadata();
    var key = ServiceKey.of(meta.getNamespace(), meta.getName());
    var spec = svc.getSpec();
    String type = spec.getType() == null ? "ClusterIP" : spec.getType();
    boolean headless = "None".equals(spec.getClusterIP());
    List<ServicePort> ports = new ArrayList<>();
    if (spec.getPorts() != null) {
      for (var p : spec.getPorts()) {
        if (p.getPort() != null) {
          ports.add(new ServicePort(p.getName(), p.getPort(), p.getProtocol()));
        }
      }
    }
    Map<String, String> annotations = meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    if ("ExternalName".equals(type)) {
      return new ClusterService(cluster.id(), key, type, false, spec.getExternalName(), ports, List.of(), annotations);
    }
    List<Endpoint> pods = podEndpoints(cluster.id(), key, slices);
    List<Endpoint> contributed = switch (cluster.reachability()) {
      case POD -> pods;
      case CLUSTER_IP -> serviceAddresses(cluster.id(), spec.getClusterIPs(), pods);
      case LOAD_BALANCER -> serviceAddresses(cluster.id(), ingressIps(svc), pods);
    };
    return new ClusterService(cluster.id(), key, type, headless, null, ports, contributed, annotations);
  }

  private static List<String> ingressIps(Service svc) {
    List<String> ips = new ArrayList<>();
    if (svc.getStatus() != null && svc.getStatus().getLoadBalancer() != null
        && svc.getStatus().getLoadBalancer().getIngress() != null) {
      for (LoadBalancerIngress ingress : svc.getStatus().getLoadBalancer().getIngress()) {
        if (ingress.getIp() != null) {
          ips.add(ingress.getIp());
        }
      }
    }
    return ips;
  }

  /** The Service's own IPs, ready while any of its pods is ready (the cluster then routes to it). */
  private static List<Endpoint> serviceAddresses(ClusterId cluster, List<String> ips, List<Endpoint> pods) {
    if (ips == null) {
      return List.of();
    }
    boolean ready = pods.stream().anyMatch(Endpoint::ready);
    boolean serving = pods.stream().anyMatch(Endpoint::serving);
    List<Endpoint> out = new ArrayList<>();
    for (String ip : ips) {
      InetAddress address = parseIp(ip);
      if (address != null) {
        out.add(new Endpoint(cluster, address, ready, serving, !ready && serving, null, null, null));
      }
    }
    return out;
  }

  private static List<Endpoint> podEndpoints(ClusterId cluster, ServiceKey key, List<EndpointSlice> slices) {
    Map<InetAddress, Endpoint> byAddress = new LinkedHashMap<>();
    for (EndpointSlice slice : slices) {
      String sliceName = slice.getMetadata().getNamespace() + "/" + slice.getMetadata().getName();
      String type = slice.getAddressType();
      if (!"IPv4".equals(type) && !"IPv6".equals(type)) {
        log.warn("cluster {}: EndpointSlice {} of service {} has addressType {}; skipped (only IPv4 and IPv6 are served)",
            cluster, sliceName, key, type);
        continue;
      }
      if (slice.getEndpoints() == null) {
        continue;
      }
      for (var e : slice.getEndpoints()) {
        if (e.getAddresses() == null || e.getAddresses().isEmpty()) {
          log.warn("cluster {}: EndpointSlice {} has an endpoint without addresses; skipped", cluster, sliceName);
          continue;
        }
        EndpointConditions c = e.getConditions();
        // Kubernetes: an unknown (nil) ready or serving condition is to be read as ready.
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
        boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        for (String ip : e.getAddresses()) {
          InetAddress address = parseIp(ip);
          if (address == null) {
            log.warn("cluster {}: EndpointSlice {} has address '{}', not an IP literal; skipped", cluster, sliceName, ip);
            continue;
          }
          var endpoint = new Endpoint(cluster, address, ready, serving, terminating, e.getHostname(), e.getNodeName(), e.getZone());
          // The same pod can appear in two slices while the controller moves it; keep the ready copy.
          byAddress.merge(address, endpoint, (old, neu) -> old.ready() ? old : neu);
        }
      }
    }
    return new ArrayList<>(byAddress.values());
  }

  /** Parses an IP literal without ever doing a name lookup; {@code null} if it is not one. */
  static InetAddress parseIp(String ip) {
    if (ip == null || !(IPV4.matcher(ip).matches() || IPV6.matcher(ip).matches())) {
      return null;
    }
    try {
      return InetAddress.getByName(ip);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
