package io.meshdns.discovery;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A service exported by one or more clusters, merged by namespace/name. Immutable.
 *
 * <p>Its shape (headless or not) and its ports are those of the oldest export, as KEP-1645 resolves
 * conflicts. A cluster is left out of the answer, with a reason, when it cannot serve that shape and those
 * ports: its Service is of the other shape, a port of the same name has another number or is missing, it
 * is an ExternalName Service (an invalid export), or its own reachability gives no connectable address.
 */
public final class GlobalService {
    private static final Comparator<ClusterService> OLDEST_EXPORT =
            Comparator.comparing(ClusterService::exportedAt).thenComparing(ClusterService::cluster);

    private final ServiceKey key;
    private final SortedMap<ClusterId, ClusterService> byCluster;
    private final ClusterService first;
    private final SortedMap<ClusterId, String> leftOut;
    private final SortedSet<ClusterId> conflicting;
    private final List<Endpoint> endpoints;
    private final SortedMap<ClusterId, List<InetAddress>> clusterSetIps;

    public GlobalService(ServiceKey key, Map<ClusterId, ClusterService> byCluster) {
        this(key, byCluster, Map.of());
    }

    /**
     * @param clusterSetIps per importing cluster, the ClusterSetIPs of its ServiceImport of this service
     *     (clusters with none are absent)
     */
    public GlobalService(
            ServiceKey key, Map<ClusterId, ClusterService> byCluster, Map<ClusterId, List<InetAddress>> clusterSetIps) {
        this.key = key;
        this.byCluster = Collections.unmodifiableSortedMap(new TreeMap<>(byCluster));
        this.first = this.byCluster.values().stream()
                .filter(cs -> cs.externalName() == null)
                .min(OLDEST_EXPORT)
                .orElse(null);
        SortedMap<ClusterId, String> out = new TreeMap<>();
        SortedSet<ClusterId> conflicts = new TreeSet<>();
        List<Endpoint> all = new ArrayList<>();
        for (ClusterService cs : this.byCluster.values()) {
            String conflict = conflict(cs);
            String reason = conflict != null ? conflict : ownReason(cs);
            if (conflict != null) {
                conflicts.add(cs.cluster());
            }
            if (reason != null) {
                out.put(cs.cluster(), reason);
            } else {
                all.addAll(cs.endpoints());
            }
        }
        this.leftOut = Collections.unmodifiableSortedMap(out);
        this.conflicting = Collections.unmodifiableSortedSet(conflicts);
        this.endpoints = List.copyOf(all);
        SortedMap<ClusterId, List<InetAddress>> ips = new TreeMap<>();
        clusterSetIps.forEach((cluster, list) -> {
            if (!list.isEmpty()) {
                ips.put(cluster, List.copyOf(list));
            }
        });
        this.clusterSetIps = Collections.unmodifiableSortedMap(ips);
    }

    /**
     * Why {@code cs} cannot serve the shape and ports of the oldest export, or {@code null} when it can (or is
     * the oldest export, or an ExternalName service, which has no shape to conflict with).
     */
    private String conflict(ClusterService cs) {
        if (cs == first || cs.externalName() != null) {
            return null;
        }
        if (cs.headless() != first.headless()) {
            return "conflict: " + shape(cs) + " here, " + shape(first) + " in " + first.cluster()
                    + " (exported first, so it decides)";
        }
        if (!cs.headless()) {
            // Clients connect to the port numbers the name's SRV records (and users) know: the first export's.
            for (ServicePort p : first.ports()) {
                ServicePort mine = portNamed(cs, p.name(), p.protocol());
                if (mine == null) {
                    return "conflict: no port " + describe(p) + " here, which " + first.cluster()
                            + " (exported first) has";
                }
                if (mine.port() != p.port()) {
                    return "conflict: port " + describe(p) + " is " + mine.port() + " here, " + p.port() + " in "
                            + first.cluster() + " (exported first)";
                }
            }
        }
        return null;
    }

    /** Why {@code cs} contributes nothing of its own accord (ExternalName, no reachable address), or {@code null}. */
    private static String ownReason(ClusterService cs) {
        if (cs.externalName() != null) {
            return ClusterService.EXTERNAL_NAME_REASON;
        }
        if (cs.leftOut()) {
            return cs.reason() != null ? cs.reason() : "no reachable address";
        }
        return null;
    }

    private static String shape(ClusterService cs) {
        return cs.headless() ? "headless" : "ClusterIP";
    }

    private static String describe(ServicePort p) {
        return (p.name().isEmpty() ? "(unnamed)" : "'" + p.name() + "'") + "/" + p.protocol();
    }

    private static ServicePort portNamed(ClusterService cs, String name, String protocol) {
        for (ServicePort p : cs.ports()) {
            if (p.name().equals(name) && p.protocol().equalsIgnoreCase(protocol)) {
                return p;
            }
        }
        return null;
    }

    public ServiceKey key() {
        return key;
    }

    /** The clusters that export this service, ordered by cluster id, including those left out. */
    public SortedMap<ClusterId, ClusterService> byCluster() {
        return byCluster;
    }

    /** Whether the service is headless: the shape of its oldest export. */
    public boolean headless() {
        return first != null && first.headless();
    }

    /** Whether any cluster exports it as a service meshdns can answer (not only invalid ExternalName exports). */
    public boolean answerable() {
        return first != null;
    }

    /** The service's ports: those of its oldest export (empty when it has none). */
    public List<ServicePort> ports() {
        return first == null ? List.of() : first.ports();
    }

    /** The clusters that export the service but contribute nothing to its answers, each with the reason. */
    public SortedMap<ClusterId, String> leftOut() {
        return leftOut;
    }

    /**
     * The clusters left out because their Service conflicts with the oldest export (the other shape, or a port
     * of the same name with another number or missing): a subset of {@link #leftOut()}, whose reason says how.
     */
    SortedSet<ClusterId> conflicting() {
        return conflicting;
    }

    /**
     * The endpoints of every cluster not left out, in every readiness state, ordered by cluster id: the only
     * addresses any record of this service (A, AAAA, SRV, PTR) is built from.
     */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** Per importing cluster, the ClusterSetIPs of its ServiceImport; clusters without one are absent. */
    public SortedMap<ClusterId, List<InetAddress>> clusterSetIps() {
        return clusterSetIps;
    }

    /** The ClusterSetIPs a querier in {@code cluster} uses, or an empty list. */
    public List<InetAddress> clusterSetIps(ClusterId cluster) {
        if (cluster == null) {
            return List.of();
        }
        List<InetAddress> ips = clusterSetIps.get(cluster);
        return ips == null ? List.of() : ips;
    }

    @Override
    public String toString() {
        return "GlobalService[" + key + ", clusters=" + byCluster.keySet() + ", endpoints=" + endpoints.size()
                + (leftOut.isEmpty() ? "" : ", leftOut=" + leftOut.keySet()) + "]";
    }
}
