package io.meshdns.discovery;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One address a cluster contributes to a global service's answer, with what the load balancer needs to
 * choose it. For {@link Reachability#POD} clusters this is a pod from an EndpointSlice; for the other
 * reachability modes it is the Service's own IP, ready when the Service has a ready endpoint.
 *
 * @param hostname the EndpointSlice hostname, or {@code null}
 * @param zone the topology zone, or {@code null}
 */
public record Endpoint(
    ClusterId cluster,
    InetAddress address,
    boolean ready,
    boolean serving,
    boolean terminating,
    String hostname,
    String nodeName,
    String zone) {

  public Endpoint {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(address, "address");
  }

  public boolean isIpv6() {
    return address instanceof Inet6Address;
  }
}
