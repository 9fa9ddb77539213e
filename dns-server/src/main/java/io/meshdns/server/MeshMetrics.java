package io.meshdns.server;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The mesh's metrics: per-cluster state, endpoints and watch restarts, the snapshot version, the change
 * propagation delay, and the response cache's hits and misses. Gauges read the latest snapshot, which
 * {@link #installed} swaps in on the discovery publisher thread; a cluster's series are registered when
 * it first appears and removed when it leaves the config.
 */
final class MeshMetrics {
    static final Duration[] PROPAGATION_BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(60)
    };

    private final MeterRegistry registry;
    private final Timer propagation;
    private final Supplier<CacheStats> cache;
    private volatile MeshSnapshot current = MeshSnapshot.empty();
    // Owned by the publisher thread.
    private final Map<ClusterId, List<Meter>> clusterMeters = new HashMap<>();
    private final Map<ServiceKey, Meter> unreachableMeters = new HashMap<>();
    private boolean scannedAll;

    MeshMetrics(MeterRegistry registry, Supplier<CacheStats> cache) {
        this.registry = registry;
        this.cache = cache;
        Gauge.builder("meshdns.snapshot.version", () -> current.version())
                .description("Version of the mesh snapshot being served; increases with every published change")
                .register(registry);
        propagation = Timer.builder("meshdns.propagation")
                .description("Time from a Kubernetes change observed in a cluster to the snapshot that serves it"
                        + " (one sample per snapshot: its oldest change)")
                .serviceLevelObjectives(PROPAGATION_BUCKETS)
                .register(registry);
        // Function meters hold their object weakly: hang them on this (reachable from the mesh's listener).
        FunctionCounter.builder("meshdns.cache.hits", this, m -> m.cache.get().hitCount())
                .description("DNS responses served from the response cache")
                .register(registry);
        FunctionCounter.builder("meshdns.cache.misses", this, m -> m.cache.get().missCount())
                .description("DNS responses built because the response cache did not hold them")
                .register(registry);
    }

    /** Called on the publisher thread right after {@code snapshot} was installed in the responder. */
    void installed(MeshSnapshot snapshot) {
        Instant observed = snapshot.oldestChangeObservedAt();
        if (observed != null) {
            Duration delay = Duration.between(observed, Instant.now());
            propagation.record(delay.isNegative() ? Duration.ZERO : delay);
        }
        current = snapshot;
        if (!scannedAll) {
            scannedAll = true;
            snapshot.services().keySet().forEach(this::unreachable);
        } else {
            snapshot.changes().forEach(c -> unreachable(c.service()));
        }
        for (ClusterId id : snapshot.clusters().keySet()) {
            clusterMeters.computeIfAbsent(id, this::register);
        }
        for (var it = clusterMeters.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!snapshot.clusters().containsKey(entry.getKey())) {
                entry.getValue().forEach(registry::remove);
                it.remove();
            }
        }
    }

    /**
     * A series per service with clusters left out of its answers, while it has any: at mesh scale, a series
     * for every service would cost more than it tells.
     */
    private void unreachable(ServiceKey key) {
        GlobalService g = current.service(key);
        if (g != null && !g.leftOut().isEmpty()) {
            unreachableMeters.computeIfAbsent(
                    key,
                    k -> Gauge.builder("meshdns.service.clusters.unreachable", () -> {
                                GlobalService now = current.service(k);
                                return now == null ? 0 : now.leftOut().size();
                            })
                            .description(
                                    "Clusters that export the service but contribute no address to its answers (port rule,"
                                            + " reachability, conflict or ExternalName); present only while above 0")
                            .tags("namespace", k.namespace(), "service", k.name())
                            .register(registry));
        } else {
            Meter gone = unreachableMeters.remove(key);
            if (gone != null) {
                registry.remove(gone);
            }
        }
    }

    private List<Meter> register(ClusterId id) {
        String cluster = id.value();
        List<Meter> meters = new ArrayList<>();
        for (ClusterState state : ClusterState.values()) {
            meters.add(Gauge.builder("meshdns.cluster.state", () -> {
                        ClusterHealth h = health(id);
                        return h != null && h.state() == state ? 1 : 0;
                    })
                    .description("1 for the state the cluster is in, 0 for the others")
                    .tags("cluster", cluster, "state", state.name())
                    .register(registry));
        }
        meters.add(Gauge.builder("meshdns.cluster.last.event.age", () -> {
                    ClusterHealth h = health(id);
                    if (h == null || h.lastEventAt() == null) {
                        return Double.NaN; // no Service or EndpointSlice event seen yet
                    }
                    return Duration.between(h.lastEventAt(), Instant.now()).toNanos() / 1e9;
                })
                .description(
                        "Seconds since the last Service or EndpointSlice event from the cluster (NaN before the first)")
                .baseUnit("seconds")
                .tag("cluster", cluster)
                .register(registry));
        meters.add(Gauge.builder("meshdns.cluster.token.expiry", () -> {
                    ClusterHealth h = health(id);
                    if (h == null || h.credentialExpires() == null) {
                        return Double.NaN; // a credential that does not expire
                    }
                    return Duration.between(Instant.now(), h.credentialExpires())
                                    .toNanos()
                            / 1e9;
                })
                .description("Seconds until the cluster's ServiceAccount token expires; meshdns renews it at 80% of its"
                        + " lifetime (NaN for a credential without an expiry)")
                .baseUnit("seconds")
                .tag("cluster", cluster)
                .register(registry));
        meters.add(Gauge.builder("meshdns.cluster.endpoints", () -> {
                    ClusterHealth h = health(id);
                    return h == null ? 0 : h.endpoints();
                })
                .description("Endpoints the cluster contributes to global services, in every readiness state")
                .tag("cluster", cluster)
                .register(registry));
        meters.add(Gauge.builder("meshdns.cluster.services", () -> {
                    ClusterHealth h = health(id);
                    return h == null ? 0 : h.services();
                })
                .description("Global services the cluster exports")
                .tag("cluster", cluster)
                .register(registry));
        meters.add(FunctionCounter.builder("meshdns.watch.restarts", this, m -> {
                    ClusterHealth h = m.health(id);
                    return h == null ? 0 : h.watchRestarts();
                })
                .description("Times a watch on the cluster's API server failed and was restarted")
                .tag("cluster", cluster)
                .register(registry));
        return meters;
    }

    private ClusterHealth health(ClusterId id) {
        return current.clusters().get(id);
    }
}
