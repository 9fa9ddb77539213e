package io.meshdns.discovery;

import static io.meshdns.core.KubernetesNames.ANNOTATION_PREFIX;
import static io.meshdns.core.KubernetesNames.CLUSTER_SET_IP_TYPE;
import static io.meshdns.core.KubernetesNames.EXPORT_ANNOTATION;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.meshdns.core.DnsLabel;
import io.meshdns.core.IpLiteral;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps one cluster's Service, its EndpointSlices and whether a ServiceExport exists to that cluster's part
 * of a global service. Broken parts of an object (an endpoint without addresses, an FQDN slice, a port
 * without number) are skipped with one warning naming the object; the rest is still served.
 *
 * <p>One instance per cluster, used only on the mesh's publisher thread.
 */
final class ServiceMapper {
    static final String KUBE_SYSTEM = "kube-system";

    private static final Logger log = LoggerFactory.getLogger(ServiceMapper.class);
    private static final int MAX_REMEMBERED_WARNINGS = 10_000;

    private final ClusterSpec cluster;
    private final boolean exportAll;
    // Each service is rebuilt on every change of it: remember what was said, so each problem is said once.
    private final Set<String> warned = new HashSet<>();

    ServiceMapper(ClusterSpec cluster, boolean exportAll) {
        this.cluster = cluster;
        this.exportAll = exportAll;
    }

    /**
     * Whether the Service is global: a ServiceExport of the same namespace/name exists, or it is annotated
     * {@code meshdns.io/export: "true"}, or {@code exportAll} is on (never for kube-system, and not for a
     * Service annotated {@code meshdns.io/export: "false"}).
     */
    boolean exported(Service svc, boolean hasServiceExport) {
        if (hasServiceExport) {
            return true;
        }
        var annotations = svc.getMetadata().getAnnotations();
        String value = annotations == null ? null : annotations.get(EXPORT_ANNOTATION);
        if (value != null) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.equals("true") || v.equals("false")) {
                return v.equals("true");
            }
            warn(
                    svc,
                    "annotation " + EXPORT_ANNOTATION + " is '" + value + "', neither \"true\" nor \"false\"; ignored");
        }
        return exportAll && !KUBE_SYSTEM.equals(svc.getMetadata().getNamespace());
    }

    /**
     * The cluster's part of the service, or {@code null} when the Service is missing, not exported or unusable.
     *
     * @param exportedAt when the ServiceExport was created, or {@code null} when none exists (the Service's
     *     own creation time then dates the export)
     */
    ClusterService map(Service svc, boolean hasServiceExport, Instant exportedAt, List<EndpointSlice> slices) {
        if (svc == null || !exported(svc, hasServiceExport)) {
            return null;
        }
        ServiceSpec spec = svc.getSpec();
        if (spec == null) {
            warn(svc, "has no spec; skipped");
            return null;
        }
        var meta = svc.getMetadata();
        var key = ServiceKey.of(meta.getNamespace(), meta.getName());
        String type = spec.getType() == null ? "ClusterIP" : spec.getType();
        Map<String, String> annotations = setValues(meta.getAnnotations());
        List<ServicePort> ports = servicePorts(svc, spec);
        Instant since = exportedAt != null ? exportedAt : timestamp(meta.getCreationTimestamp());

        if ("ExternalName".equals(type)) {
            String target = spec.getExternalName() == null
                    ? ""
                    : spec.getExternalName().trim().toLowerCase(Locale.ROOT);
            if (target.endsWith(".")) {
                target = target.substring(0, target.length() - 1);
            }
            warn(svc, "is of type ExternalName: KEP-1645 makes its export invalid, so it is not answered");
            return new ClusterService(
                    cluster.id(),
                    key,
                    type,
                    false,
                    target.isEmpty() ? "(none)" : target,
                    ports,
                    List.of(),
                    annotations,
                    List.of(),
                    List.of(),
                    List.of(),
                    since,
                    null,
                    ClusterService.EXTERNAL_NAME_REASON,
                    null,
                    null);
        }

        boolean headless = "None".equals(spec.getClusterIP())
                || (spec.getClusterIPs() != null && spec.getClusterIPs().contains("None"));
        List<InetAddress> clusterIps = headless ? List.of() : clusterIps(svc, spec);
        List<InetAddress> lbIps = new ArrayList<>();
        List<String> lbHostnames = new ArrayList<>();
        loadBalancerIngress(svc, lbIps, lbHostnames);
        if (!headless && ports.isEmpty()) {
            warn(svc, "has no ports: answered by address, without SRV records");
        }

        List<Endpoint> pods = podEndpoints(key, slices, Boolean.TRUE.equals(spec.getPublishNotReadyAddresses()));
        Reachability answeredBy = null;
        List<Endpoint> contributed = List.of();
        String reason = null;
        if (headless) {
            // Headless means pod IPs: there is no service address to fall back to.
            if (cluster.reachability().contains(Reachability.POD)) {
                answeredBy = Reachability.POD;
                contributed = pods;
            } else {
                reason = "headless: pod IPs are the only addresses, and this cluster's reachability "
                        + names(cluster.reachability()) + " has no pod";
            }
        } else {
            String portRule = podPortMismatch(spec, pods);
            for (Reachability kind : cluster.reachability()) {
                List<Endpoint> addresses = switch (kind) {
                    case POD -> portRule == null ? pods : null;
                    case CLUSTER_IP -> clusterIps.isEmpty() ? null : serviceAddresses(clusterIps, ports, pods);
                    case LOAD_BALANCER -> lbIps.isEmpty() ? null : serviceAddresses(lbIps, ports, pods);
                };
                if (addresses != null) {
                    answeredBy = kind;
                    contributed = addresses;
                    break;
                }
            }
            if (portRule != null && cluster.reachability().contains(Reachability.POD)) {
                reason = answeredBy != null
                        ? portRule + ": answered with the "
                                + (answeredBy == Reachability.CLUSTER_IP ? "ClusterIP" : "load balancer IP")
                        : portRule + " needs clusterIP reachability"
                                + (cluster.reachability().contains(Reachability.LOAD_BALANCER)
                                        ? " (or a load balancer ingress IP)"
                                        : "");
                if (answeredBy == null) {
                    warn(svc, "is left out of the mesh's answers: " + reason);
                }
            } else if (answeredBy == null) {
                reason = "no address for reachability " + names(cluster.reachability())
                        + (cluster.reachability().contains(Reachability.LOAD_BALANCER)
                                ? " (no load balancer ingress IP yet)"
                                : "");
            }
        }
        return new ClusterService(
                cluster.id(),
                key,
                type,
                headless,
                null,
                ports,
                contributed,
                annotations,
                clusterIps,
                lbIps,
                lbHostnames,
                since,
                answeredBy,
                reason,
                spec.getTrafficDistribution(),
                spec.getInternalTrafficPolicy());
    }

    /**
     * The {@code meshdns.io/} annotations that are set: the only ones meshdns reads (the informer caches keep
     * no others, see {@link CachedFields}). The API can hold a key whose value is JSON null (fabric8's mock API
     * server stores the null of {@code kubectl annotate ... key-}'s merge patch); null and absent both mean
     * "not set".
     */
    static Map<String, String> setValues(Map<String, String> values) {
        if (values == null || values.isEmpty()) {
            return Map.of();
        }
        Map<String, String> set = new LinkedHashMap<>();
        values.forEach((key, value) -> {
            if (key != null && value != null && key.startsWith(ANNOTATION_PREFIX)) {
                set.put(key, value);
            }
        });
        return set;
    }

    /**
     * Why a client of a pod IP would not reach the pods on the Service's port, or {@code null} when every
     * port's target is the same number: {@code port 80 -> 8080}, or for a named targetPort the numbers the
     * EndpointSlices resolved it to. A named targetPort that no EndpointSlice port carries is never guessed.
     */
    private static String podPortMismatch(ServiceSpec spec, List<Endpoint> pods) {
        if (spec.getPorts() == null) {
            return null;
        }
        for (var p : spec.getPorts()) {
            if (p == null || p.getPort() == null) {
                continue;
            }
            int port = p.getPort();
            IntOrString target = p.getTargetPort();
            if (target == null || (target.getIntVal() == null && target.getStrVal() == null)) {
                continue; // targetPort defaults to port
            }
            if (target.getIntVal() != null) {
                if (target.getIntVal() != port) {
                    return "port " + port + " -> " + target.getIntVal();
                }
                continue;
            }
            String targetName = target.getStrVal();
            if (targetName.chars().allMatch(Character::isDigit) && !targetName.isEmpty()) {
                int number = Integer.parseInt(targetName);
                if (number != port) {
                    return "port " + port + " -> " + number;
                }
                continue;
            }
            String portName = p.getName() == null ? "" : p.getName();
            String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
            for (Endpoint e : pods) {
                int resolved = e.port(portName, protocol);
                if (resolved < 0) {
                    return "port " + port + " -> '" + targetName + "', which no EndpointSlice port resolves";
                }
                if (resolved != port) {
                    return "port " + port + " -> '" + targetName + "' (" + resolved + ")";
                }
            }
        }
        return null;
    }

    private static String names(List<Reachability> kinds) {
        return kinds.stream().map(Reachability::configName).toList().toString();
    }

    private static Instant timestamp(String rfc3339) {
        if (rfc3339 == null || rfc3339.isEmpty()) {
            return Instant.EPOCH;
        }
        try {
            return Instant.parse(rfc3339);
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    /** When a ServiceExport (or any object) was created, from its metadata. */
    static Instant createdAt(HasMetadata object) {
        return object == null || object.getMetadata() == null
                ? null
                : timestamp(object.getMetadata().getCreationTimestamp());
    }

    /**
     * The ClusterSetIPs of a ServiceImport ({@code spec.type: ClusterSetIP}, {@code spec.ips}); a value that
     * is not an IP address is skipped with one warning naming the object.
     */
    List<InetAddress> clusterSetIps(GenericKubernetesResource serviceImport) {
        Object spec = serviceImport.getAdditionalProperties().get("spec");
        if (!(spec instanceof Map<?, ?> m)
                || !CLUSTER_SET_IP_TYPE.equals(m.get("type"))
                || !(m.get("ips") instanceof List<?> ips)) {
            return List.of();
        }
        List<InetAddress> out = new ArrayList<>();
        for (Object ip : ips) {
            InetAddress address = ip instanceof String text ? IpLiteral.parse(text) : null;
            if (address == null) {
                warn(serviceImport, "has ClusterSetIP '" + ip + "', not an IP address; ignored");
            } else if (!out.contains(address)) {
                out.add(address);
            }
        }
        return List.copyOf(out);
    }

    private List<ServicePort> servicePorts(Service svc, ServiceSpec spec) {
        List<ServicePort> ports = new ArrayList<>();
        if (spec.getPorts() != null) {
            for (var p : spec.getPorts()) {
                if (p == null || p.getPort() == null) {
                    warn(
                            svc,
                            "has a port without a port number"
                                    + (p == null || p.getName() == null ? "" : " ('" + p.getName() + "')")
                                    + "; that port skipped");
                    continue;
                }
                ports.add(new ServicePort(p.getName(), p.getPort(), p.getProtocol()));
            }
        }
        return ports;
    }

    private List<InetAddress> clusterIps(Service svc, ServiceSpec spec) {
        List<String> raw = spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
                ? spec.getClusterIPs()
                : spec.getClusterIP() == null || spec.getClusterIP().isEmpty()
                        ? List.of()
                        : List.of(spec.getClusterIP());
        List<InetAddress> out = new ArrayList<>();
        for (String ip : raw) {
            InetAddress address = IpLiteral.parse(ip);
            if (address == null) {
                warn(svc, "has clusterIP '" + ip + "', not an IP address; skipped");
            } else if (!out.contains(address)) {
                out.add(address);
            }
        }
        return out;
    }

    private void loadBalancerIngress(Service svc, List<InetAddress> ips, List<String> hostnames) {
        if (svc.getStatus() == null
                || svc.getStatus().getLoadBalancer() == null
                || svc.getStatus().getLoadBalancer().getIngress() == null) {
            return;
        }
        for (LoadBalancerIngress ingress : svc.getStatus().getLoadBalancer().getIngress()) {
            if (ingress == null) {
                continue;
            }
            if (ingress.getIp() != null && !ingress.getIp().isEmpty()) {
                InetAddress address = IpLiteral.parse(ingress.getIp());
                if (address == null) {
                    warn(svc, "has load balancer ingress IP '" + ingress.getIp() + "', not an IP address; skipped");
                } else {
                    ips.add(address);
                }
            }
            if (ingress.getHostname() != null && !ingress.getHostname().isEmpty()) {
                hostnames.add(ingress.getHostname().toLowerCase(Locale.ROOT));
            }
        }
    }

    /** The Service's own IPs, ready while any of its pods is ready (the cluster then routes to one). */
    private List<Endpoint> serviceAddresses(List<InetAddress> ips, List<ServicePort> ports, List<Endpoint> pods) {
        boolean ready = pods.stream().anyMatch(Endpoint::ready);
        boolean serving = pods.stream().anyMatch(Endpoint::serving);
        List<Endpoint> out = new ArrayList<>();
        for (InetAddress address : ips) {
            out.add(new Endpoint(
                    cluster.id(), address, ready, serving, !ready && serving, null, null, null, null, ports));
        }
        return out;
    }

    /** @param publishNotReady {@code publishNotReadyAddresses}: every endpoint counts as ready, as CoreDNS does */
    private List<Endpoint> podEndpoints(ServiceKey key, List<EndpointSlice> slices, boolean publishNotReady) {
        Map<InetAddress, Endpoint> byAddress = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            String type = slice.getAddressType();
            if (!"IPv4".equals(type) && !"IPv6".equals(type)) {
                warn(
                        slice,
                        "of service " + key + " has addressType " + type + "; skipped (only IPv4 and IPv6 are served)");
                continue;
            }
            if (slice.getEndpoints() == null) {
                continue;
            }
            List<ServicePort> ports = slicePorts(slice);
            for (var e : slice.getEndpoints()) {
                if (e == null || e.getAddresses() == null || e.getAddresses().isEmpty()) {
                    warn(slice, "has an endpoint without addresses; that endpoint skipped");
                    continue;
                }
                EndpointConditions c = e.getConditions();
                // Kubernetes: an unknown (nil) ready condition is to be read as ready; serving defaults to ready.
                boolean ready = publishNotReady || c == null || c.getReady() == null || c.getReady();
                boolean serving = publishNotReady || c == null || c.getServing() == null ? ready : c.getServing();
                boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
                String hostname = e.getHostname();
                if (hostname != null && !DnsLabel.isHostnameLabel(hostname)) {
                    warn(
                            slice,
                            "has endpoint hostname '" + hostname
                                    + "', not a DNS label; using a name derived from its IP");
                    hostname = null;
                }
                Endpoint.TargetRef target = targetRef(e.getTargetRef());
                for (String ip : e.getAddresses()) {
                    InetAddress address = IpLiteral.parse(ip);
                    if (address == null || (address instanceof Inet6Address) != "IPv6".equals(type)) {
                        warn(slice, "has address '" + ip + "', not an " + type + " address; skipped");
                        continue;
                    }
                    var endpoint = new Endpoint(
                            cluster.id(),
                            address,
                            ready,
                            serving,
                            terminating,
                            hostname,
                            e.getNodeName(),
                            e.getZone(),
                            target,
                            ports);
                    // The same pod can appear in two slices while the controller moves it; keep the ready copy.
                    byAddress.merge(address, endpoint, (old, neu) -> old.ready() ? old : neu);
                }
            }
        }
        return new ArrayList<>(byAddress.values());
    }

    private List<ServicePort> slicePorts(EndpointSlice slice) {
        if (slice.getPorts() == null) {
            return List.of();
        }
        List<ServicePort> ports = new ArrayList<>();
        for (EndpointPort p : slice.getPorts()) {
            // A nil port means "all ports" (selectorless services); nothing an SRV record can name.
            if (p != null && p.getPort() != null) {
                ports.add(new ServicePort(p.getName(), p.getPort(), p.getProtocol()));
            }
        }
        return List.copyOf(ports);
    }

    private static Endpoint.TargetRef targetRef(ObjectReference ref) {
        if (ref == null || ref.getName() == null) {
            return null;
        }
        return new Endpoint.TargetRef(ref.getKind() == null ? "Pod" : ref.getKind(), ref.getNamespace(), ref.getName());
    }

    private void warn(HasMetadata object, String problem) {
        var meta = object.getMetadata();
        String name = meta.getNamespace() + "/" + meta.getName();
        String kind =
                object instanceof Service ? "Service" : object.getKind() != null ? object.getKind() : "EndpointSlice";
        if (warned.size() >= MAX_REMEMBERED_WARNINGS) {
            warned.clear();
        }
        if (warned.add(kind + " " + name + "@" + meta.getResourceVersion() + ": " + problem)) {
            log.warn("cluster {}: {} {} {}", cluster.id(), kind, name, problem);
        }
    }
}
