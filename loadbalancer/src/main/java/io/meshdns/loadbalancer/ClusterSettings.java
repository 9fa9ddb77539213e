package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/** Per-cluster weight and failover priority from config; clusters not configured get weight 1, priority 0. */
final class ClusterSettings {
    private final Map<ClusterId, LoadBalancingConfig.Cluster> byId = new HashMap<>();
    private final Comparator<ClusterId> failoverRank;

    ClusterSettings(LoadBalancingConfig config) {
        for (LoadBalancingConfig.Cluster c : config.clusters()) {
            byId.put(c.id(), c);
        }
        failoverRank = Comparator.comparingInt(this::priority)
                .thenComparing(Comparator.comparingInt(this::weight).reversed())
                .thenComparing(Comparator.naturalOrder());
    }

    int weight(ClusterId id) {
        LoadBalancingConfig.Cluster c = byId.get(id);
        return c == null ? 1 : c.weight();
    }

    int priority(ClusterId id) {
        LoadBalancingConfig.Cluster c = byId.get(id);
        return c == null ? 0 : c.priority();
    }

    /** Lowest priority value first, then highest weight, then cluster id. */
    Comparator<ClusterId> failoverRank() {
        return failoverRank;
    }
}
