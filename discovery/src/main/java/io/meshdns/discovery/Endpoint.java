package io.meshdns.discovery;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One address a cluster contributes to a global service's answer, with what the load balancer needs to
 * choose it. For {@link Reachability#POD} clusters this is a pod from an EndpointSlice; for the other
 * reachability modes it is the Service's own IP, ready when the Service has a ready endpoint.
 *
 * @param ready the EndpointSlice {@code ready} condition (unknown counts as ready, as Kubernetes says)
 * @param serving the {@code serving} condition (unknown: same as ready)
 * @param terminating the {@code terminating} condition (unknown: false)
 * @param hostname the DNS label of this endpoint inside {@code <hostname>.<cluster>.<svc>.<ns>.svc.<zone>}:
 *     the EndpointSlice hostname, else derived from the IP as CoreDNS does ({@code 10-10-0-7},
 *     {@code fd00--7}), which is not stored but derived on each call (publisher thread, not the query path)
 * @param nodeName the node the pod runs on, or {@code null}
 * @param topologyZone the topology zone (the EndpointSlice's {@code zone}: its node's
 *     {@code topology.kubernetes.io/zone}), or {@code null}
 * @param targetRef the object behind the address (usually the Pod), or {@code null}
 * @param ports the ports the endpoint listens on (the EndpointSlice's ports; for Service addresses the
 *     Service's ports), by the Service port name they serve
 */
public record Endpoint(
        ClusterId cluster,
        InetAddress address,
        boolean ready,
        boolean serving,
        boolean terminating,
        String hostname,
        String nodeName,
        String topologyZone,
        TargetRef targetRef,
        List<ServicePort> ports) {

    public Endpoint {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(address, "address");
        // Most endpoints have no hostname of their own: keep none and derive it when asked, rather than one
        // string per endpoint for the life of the snapshot (equality is unchanged: both sides hold null).
        if (hostname != null && (hostname.isEmpty() || hostname.equals(hostnameFor(address)))) {
            hostname = null;
        }
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    /** The endpoint's DNS label: its own hostname, else the one derived from its address. */
    @Override
    public String hostname() {
        return hostname != null ? hostname : hostnameFor(address);
    }

    /** An endpoint without target reference or ports. */
    public Endpoint(
            ClusterId cluster,
            InetAddress address,
            boolean ready,
            boolean serving,
            boolean terminating,
            String hostname,
            String nodeName,
            String topologyZone) {
        this(cluster, address, ready, serving, terminating, hostname, nodeName, topologyZone, null, List.of());
    }

    public boolean isIpv6() {
        return address instanceof Inet6Address;
    }

    /** The port this endpoint serves for the Service port named {@code name} ("" for an unnamed one), or -1. */
    public int port(String name, String protocol) {
        for (ServicePort p : ports) {
            if (p.name().equals(name) && p.protocol().equalsIgnoreCase(protocol)) {
                return p.port();
            }
        }
        return -1;
    }

    /** The object an endpoint address belongs to, from the EndpointSlice's {@code targetRef}. */
    public record TargetRef(String kind, String namespace, String name) {
        @Override
        public String toString() {
            return kind + " " + (namespace == null ? "" : namespace + "/") + name;
        }
    }

    /**
     * The per-endpoint DNS label of an address without a hostname, as CoreDNS's kubernetes plugin makes it:
     * the IP with '.' or ':' replaced by '-' ({@code 10-10-0-7}, {@code fd00--7} from RFC 5952 text).
     */
    static String hostnameFor(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress().replace('.', '-');
        }
        return rfc5952((Inet6Address) address).replace(':', '-');
    }

    /** The canonical text form of an IPv6 address: lowercase, no leading zeros, longest zero run as "::". */
    private static String rfc5952(Inet6Address address) {
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1; // RFC 5952 4.2.2: a single zero group is not shortened
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
