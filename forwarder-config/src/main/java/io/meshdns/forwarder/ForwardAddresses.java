package io.meshdns.forwarder;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshdns.core.IpLiteral;
import java.util.ArrayList;
import java.util.List;

/**
 * The meshdns addresses a cluster's CoreDNS can forward to, read from the meshdns Service in the cluster
 * that runs meshdns (the hub): its ClusterIPs for the hub itself; for the other clusters its LoadBalancer
 * ingress IPs, or its ClusterIPs when the hub's service addresses are routed across the mesh.
 */
public final class ForwardAddresses {
    private ForwardAddresses() {}

    /**
     * @param hub a client of the cluster that runs meshdns
     * @param forHub the addresses are for the hub's own CoreDNS
     * @param clusterIpRoutable the hub's ClusterIPs are reachable from other clusters (reachability {@code clusterIP})
     */
    public static List<String> fromService(
            KubernetesClient hub,
            String hubId,
            String namespace,
            String name,
            boolean forHub,
            boolean clusterIpRoutable) {
        String what = "cluster " + hubId + ": Service " + namespace + "/" + name;
        Service service;
        try {
            service = hub.services().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw CorednsConfigMaps.describe(hubId, "Service " + namespace + "/" + name, e);
        }
        if (service == null) {
            throw new CorednsConfigException(CorednsConfigException.Reason.NOT_FOUND, what + " does not exist");
        }
        String port = dnsPort(service);
        List<String> clusterIps = new ArrayList<>();
        if (service.getSpec() != null) {
            List<String> ips = service.getSpec().getClusterIPs() != null
                            && !service.getSpec().getClusterIPs().isEmpty()
                    ? service.getSpec().getClusterIPs()
                    : service.getSpec().getClusterIP() == null
                            ? List.of()
                            : List.of(service.getSpec().getClusterIP());
            ips.stream().filter(ip -> IpLiteral.parseAsWritten(ip) != null).forEach(clusterIps::add);
        }
        List<String> ingress = new ArrayList<>();
        if (service.getStatus() != null
                && service.getStatus().getLoadBalancer() != null
                && service.getStatus().getLoadBalancer().getIngress() != null) {
            for (LoadBalancerIngress i : service.getStatus().getLoadBalancer().getIngress()) {
                if (IpLiteral.parseAsWritten(i.getIp()) != null) {
                    ingress.add(i.getIp());
                }
            }
        }
        List<String> chosen = forHub
                ? (clusterIps.isEmpty() ? ingress : clusterIps)
                : !ingress.isEmpty() ? ingress : clusterIpRoutable ? clusterIps : List.of();
        if (chosen.isEmpty()) {
            throw new CorednsConfigException(
                    CorednsConfigException.Reason.NOT_FOUND,
                    what + " has no address "
                            + (forHub
                                    ? "(no ClusterIP, no LoadBalancer IP)"
                                    : "other clusters can reach (no LoadBalancer ingress IP"
                                            + (clusterIpRoutable
                                                    ? ", no ClusterIP)"
                                                    : "; its ClusterIP is not routed across the mesh)"))
                            + "; set coredns.forwardTo for the clusters in the meshdns config");
        }
        return chosen.stream().map(ip -> withPort(ip, port)).toList();
    }

    private static String dnsPort(Service service) {
        if (service.getSpec() == null || service.getSpec().getPorts() == null) {
            return null;
        }
        for (ServicePort p : service.getSpec().getPorts()) {
            if ("dns".equals(p.getName()) || (p.getPort() != null && p.getPort() == 53)) {
                return p.getPort() == null || p.getPort() == 53 ? null : String.valueOf(p.getPort());
            }
        }
        ServicePort first = service.getSpec().getPorts().isEmpty()
                ? null
                : service.getSpec().getPorts().get(0);
        return first == null || first.getPort() == null || first.getPort() == 53
                ? null
                : String.valueOf(first.getPort());
    }

    private static String withPort(String ip, String port) {
        if (port == null) {
            return ip;
        }
        return ip.contains(":") ? "[" + ip + "]:" + port : ip + ":" + port;
    }
}
