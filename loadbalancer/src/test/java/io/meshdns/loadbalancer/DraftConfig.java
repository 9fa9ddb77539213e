package io.meshdns.loadbalancer;

import java.util.List;

/** A load-balancing config as a test writes it: the defaults, then what the test changes. */
record DraftConfig(
        String policy,
        int maxAnswers,
        List<LoadBalancingConfig.Cluster> clusters,
        List<LoadBalancingConfig.TopologyZone> topologyZones) {

    /** Local-first, 8 answers, no per-cluster settings, no zones. */
    static DraftConfig defaults() {
        return new DraftConfig(
                LoadBalancingConfig.DEFAULT_POLICY.configName(),
                LoadBalancingConfig.DEFAULT_MAX_ANSWERS,
                List.of(),
                List.of());
    }

    DraftConfig withPolicy(String policy) {
        return new DraftConfig(policy, maxAnswers, clusters, topologyZones);
    }

    DraftConfig withPolicy(Policy policy) {
        return withPolicy(policy.configName());
    }

    DraftConfig withMaxAnswers(int maxAnswers) {
        return new DraftConfig(policy, maxAnswers, clusters, topologyZones);
    }

    DraftConfig withClusters(List<LoadBalancingConfig.Cluster> clusters) {
        return new DraftConfig(policy, maxAnswers, clusters, topologyZones);
    }

    DraftConfig withTopologyZones(List<LoadBalancingConfig.TopologyZone> topologyZones) {
        return new DraftConfig(policy, maxAnswers, clusters, topologyZones);
    }

    LoadBalancingConfig config() {
        return LoadBalancingConfig.of(
                policy, maxAnswers, LoadBalancingConfig.DEFAULT_EDNS_CLUSTER_OPTION, clusters, topologyZones);
    }
}
