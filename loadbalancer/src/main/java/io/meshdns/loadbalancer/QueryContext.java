package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.net.InetAddress;

/**
 * Who is asking: what a policy may use to choose for this client.
 *
 * @param client the query's source address (for CoreDNS forwarding, the CoreDNS pod)
 * @param querierCluster the querier's cluster if known (EDNS0 option or source CIDR), else {@code null}
 * @param querierTopologyZone the querier's topology zone if known, else {@code null}
 */
public record QueryContext(InetAddress client, ClusterId querierCluster, String querierTopologyZone) {}
