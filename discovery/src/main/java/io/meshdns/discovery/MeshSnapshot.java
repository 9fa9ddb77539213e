package io.meshdns.discovery;

import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable, versioned view of the whole mesh: every global service and every cluster's health.
 * A new one is published atomically on every (coalesced) change; readers never lock.
 */
public final class MeshSnapshot {
    private static final MeshSnapshot EMPTY = new MeshSnapshot(0, Instant.EPOCH, Map.of(), Map.of(), List.of());

    private final long version;
    private final Instant publishedAt;
    private final Map<ServiceKey, GlobalService> services;
    private final SortedMap<ClusterId, ClusterHealth> clusters;
    private final List<Change> changes;

    /**
     * One change this snapshot is the first to include: a service of a cluster changed (Service,
     * EndpointSlice or ServiceExport event, or the cluster left the mesh), first observed at {@code observedAt}.
     * The server measures change-to-answer propagation from it.
     */
    public record Change(ClusterId cluster, ServiceKey service, Instant observedAt) {}

    /** Takes ownership of {@code services}: the publisher hands over a map it no longer touches. */
    MeshSnapshot(
            long version,
            Instant publishedAt,
            Map<ServiceKey, GlobalService> services,
            Map<ClusterId, ClusterHealth> clusters,
            List<Change> changes) {
        this.version = version;
        this.publishedAt = publishedAt;
        this.services = Collections.unmodifiableMap(services);
        this.clusters = Collections.unmodifiableSortedMap(new TreeMap<>(clusters));
        this.changes = List.copyOf(changes);
    }

    /** A snapshot built by hand, for tests and tools; copies its arguments. */
    public static MeshSnapshot of(
            long version, Map<ServiceKey, GlobalService> services, Map<ClusterId, ClusterHealth> clusters) {
        return new MeshSnapshot(version, Instant.now(), new HashMap<>(services), clusters, List.of());
    }

    /** As {@link #of(long, Map, Map)}, published at {@code publishedAt}. */
    public static MeshSnapshot of(
            long version,
            Instant publishedAt,
            Map<ServiceKey, GlobalService> services,
            Map<ClusterId, ClusterHealth> clusters) {
        return new MeshSnapshot(version, publishedAt, new HashMap<>(services), clusters, List.of());
    }

    public static MeshSnapshot empty() {
        return EMPTY;
    }

    /** Increases by one with each publication. */
    public long version() {
        return version;
    }

    public Instant publishedAt() {
        return publishedAt;
    }

    /** The global services by namespace/name. */
    public Map<ServiceKey, GlobalService> services() {
        return services;
    }

    public GlobalService service(ServiceKey key) {
        return services.get(key);
    }

    /** Every configured cluster's health, ordered by cluster id. */
    public SortedMap<ClusterId, ClusterHealth> clusters() {
        return clusters;
    }

    /**
     * The changes first included in this snapshot, one per (cluster, service), each with the time it was
     * first observed; empty when only cluster health changed.
     */
    public List<Change> changes() {
        return changes;
    }

    /**
     * When the oldest change this snapshot is the first to carry was observed, or {@code null} when it
     * carries none (a health-only publication). Observation to installation is the propagation delay.
     */
    public Instant oldestChangeObservedAt() {
        Instant oldest = null;
        for (Change c : changes) {
            if (oldest == null || c.observedAt().isBefore(oldest)) {
                oldest = c.observedAt();
            }
        }
        return oldest;
    }

    @Override
    public String toString() {
        return "MeshSnapshot[v" + version + ", " + services.size() + " services, clusters=" + clusters.values() + "]";
    }
}
