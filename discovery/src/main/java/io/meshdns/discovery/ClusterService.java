package io.meshdns.discovery;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One cluster's part of a global service: the exported Service and the addresses that cluster contributes,
 * already chosen by the cluster's reachability list and the port rule (an address is contributed only
 * when a client connecting to it on the Service's port reaches the pods). Immutable.
 *
 * @param type the Service type: ClusterIP, NodePort, LoadBalancer or ExternalName
 * @param headless {@code clusterIP: None}
 * @param externalName the target of an ExternalName service (lowercase, no trailing dot), else {@code null};
 *     such a service is never answered (an ExternalName export is invalid in KEP-1645), only reported
 * @param ports the Service's ports; only named ones get SRV records
 * @param endpoints the contributed addresses in every readiness state; the load balancer picks among them
 * @param annotations the Service's {@code meshdns.io/} annotations that have a value (no others are kept)
 * @param clusterIps the Service's cluster IPs (both families when dual-stack); empty when headless
 * @param loadBalancerIps the IPs in {@code status.loadBalancer.ingress}
 * @param loadBalancerHostnames the hostnames in {@code status.loadBalancer.ingress} (cloud load balancers
 *     that have a name instead of an IP); never turned into endpoints, since they are not addresses
 * @param exportedAt when the export began (the ServiceExport's creation time, else the Service's): the
 *     oldest export wins a conflict between clusters, as KEP-1645 resolves them
 * @param answeredBy the reachability kind {@code endpoints} come from, or {@code null} when the cluster
 *     contributes no address to this service
 * @param reason why the cluster's pod IPs are not answered (e.g. {@code port 80 -> 8080 needs clusterIP
 *     reachability}), or {@code null} when nothing was left out
 * @param trafficDistribution {@code spec.trafficDistribution} ({@code PreferClose}), or {@code null}
 * @param internalTrafficPolicy {@code spec.internalTrafficPolicy} ({@code Cluster}, {@code Local}), or {@code null}
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
        List<String> loadBalancerHostnames,
        Instant exportedAt,
        Reachability answeredBy,
        String reason,
        String trafficDistribution,
        String internalTrafficPolicy) {

    /** Why an ExternalName export is never answered: the reason its cluster and the mesh both give. */
    static final String EXTERNAL_NAME_REASON = "ExternalName services cannot be exported (KEP-1645); not answered";

    public ClusterService {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(key, "key");
        ports = List.copyOf(ports);
        endpoints = List.copyOf(endpoints);
        annotations = Map.copyOf(annotations);
        clusterIps = clusterIps == null ? List.of() : List.copyOf(clusterIps);
        loadBalancerIps = loadBalancerIps == null ? List.of() : List.copyOf(loadBalancerIps);
        loadBalancerHostnames = loadBalancerHostnames == null ? List.of() : List.copyOf(loadBalancerHostnames);
        exportedAt = exportedAt == null ? Instant.EPOCH : exportedAt;
    }

    /** A pod-reachable service part without cluster or load balancer IPs (tests and tools). */
    public ClusterService(
            ClusterId cluster,
            ServiceKey key,
            String type,
            boolean headless,
            String externalName,
            List<ServicePort> ports,
            List<Endpoint> endpoints,
            Map<String, String> annotations) {
        this(
                cluster,
                key,
                type,
                headless,
                externalName,
                ports,
                endpoints,
                annotations,
                List.of(),
                List.of(),
                List.of(),
                Instant.EPOCH,
                externalName == null ? Reachability.POD : null,
                null,
                null,
                null);
    }

    /** The cluster exports the service but contributes no address, for the reason given. */
    public boolean leftOut() {
        return answeredBy == null;
    }
}
