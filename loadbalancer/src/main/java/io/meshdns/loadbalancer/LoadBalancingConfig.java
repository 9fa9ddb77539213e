package io.meshdns.loadbalancer;

import io.meshdns.core.Cidr;
import io.meshdns.discovery.ClusterId;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the load balancer needs from the configuration, as one immutable value. dns-server builds
 * it from its YAML config, whose loader has already parsed the networks; every check here names the key it
 * failed on.
 *
 * @param policy the default policy
 * @param maxAnswers the default answer size cap
 * @param ednsClusterOption the EDNS0 option code whose data is the querier's cluster id
 * @param clusters per-cluster weight, failover priority and source networks; clusters not listed get
 *     weight 1, priority 0 and no source networks
 * @param topologyZones the querier's topology zone by source network
 */
public record LoadBalancingConfig(
        Policy policy,
        int maxAnswers,
        int ednsClusterOption,
        List<Cluster> clusters,
        List<TopologyZone> topologyZones) {

    public static final Policy DEFAULT_POLICY = Policy.LOCAL_FIRST;
    public static final int DEFAULT_MAX_ANSWERS = 8;
    /**
     * The largest cap, in config and annotation: 4,096 is more A records than one 65,535-byte TCP message
     * holds (about 4,090 at 16 bytes each), so a larger cap could never be answered.
     */
    public static final int MAX_ANSWERS_LIMIT = 4096;
    /** 0xff14, from the EDNS0 local/experimental range (RFC 6891 section 9). */
    public static final int DEFAULT_EDNS_CLUSTER_OPTION = 65300;

    public LoadBalancingConfig {
        policy = policy == null ? DEFAULT_POLICY : policy;
        try {
            checkMaxAnswers(maxAnswers);
        } catch (IllegalArgumentException e) {
            throw keyed("loadBalancing.maxAnswers", e);
        }
        try {
            checkEdnsClusterOption(ednsClusterOption);
        } catch (IllegalArgumentException e) {
            throw keyed("loadBalancing.ednsClusterOption", e);
        }
        clusters = clusters == null ? List.of() : List.copyOf(clusters);
        topologyZones = topologyZones == null ? List.of() : List.copyOf(topologyZones);
        Set<ClusterId> ids = new HashSet<>();
        for (Cluster c : clusters) {
            if (!ids.add(c.id())) {
                throw new IllegalArgumentException("clusters: cluster id '" + c.id() + "' appears twice");
            }
        }
    }

    /**
     * A config whose policy is given by name, as written in config ({@code null} for the default).
     *
     * @throws IllegalArgumentException naming {@code loadBalancing.policy} and the policy names
     */
    public static LoadBalancingConfig of(
            String policy,
            int maxAnswers,
            int ednsClusterOption,
            List<Cluster> clusters,
            List<TopologyZone> topologyZones) {
        Policy parsed;
        try {
            parsed = policy == null ? null : Policy.parse(policy);
        } catch (IllegalArgumentException e) {
            throw keyed("loadBalancing.policy", e);
        }
        return new LoadBalancingConfig(parsed, maxAnswers, ednsClusterOption, clusters, topologyZones);
    }

    /**
     * Checks an answer cap, in config or as the default of an annotation. The one place this check is made:
     * the YAML config names its file, line and key around the message.
     *
     * @throws IllegalArgumentException whose message names no key
     */
    public static void checkMaxAnswers(int maxAnswers) {
        if (maxAnswers < 1 || maxAnswers > MAX_ANSWERS_LIMIT) {
            throw new IllegalArgumentException("must be between 1 and " + MAX_ANSWERS_LIMIT + ", was " + maxAnswers);
        }
    }

    /**
     * Checks the EDNS0 option code carrying the querier's cluster.
     *
     * @throws IllegalArgumentException whose message names no key
     */
    public static void checkEdnsClusterOption(int code) {
        if (code < 1 || code > 65535) {
            throw new IllegalArgumentException("must be an EDNS0 option code 1-65535, was " + code);
        }
    }

    private static IllegalArgumentException keyed(String key, IllegalArgumentException e) {
        return new IllegalArgumentException(key + " " + e.getMessage(), e);
    }

    /**
     * One member cluster as the load balancer sees it.
     *
     * @param weight its share of first answer positions under {@code weighted} (0 = only after the others)
     * @param priority its failover rank under {@code local-first}: lower values are tried first
     * @param sourceCidrs queriers whose source address is in one of these networks are in this cluster
     */
    public record Cluster(ClusterId id, int weight, int priority, List<Cidr> sourceCidrs) {
        public static final int MAX_WEIGHT = 10000;

        public Cluster {
            Objects.requireNonNull(id, "id");
            if (weight < 0 || weight > MAX_WEIGHT) {
                throw new IllegalArgumentException(
                        "clusters[" + id + "].weight must be between 0 and " + MAX_WEIGHT + ", was " + weight);
            }
            sourceCidrs = sourceCidrs == null ? List.of() : List.copyOf(sourceCidrs);
        }

        /** A cluster with weight 1, priority 0 and no source networks. */
        public static Cluster of(ClusterId id) {
            return new Cluster(id, 1, 0, List.of());
        }
    }

    /**
     * Queriers whose source address is in {@code cidr} are in topology zone {@code zone}: one item of
     * {@code loadBalancing.zones}, its components named as the config's keys (dns-server's loader binds it).
     */
    public record TopologyZone(Cidr cidr, String zone) {
        public TopologyZone {
            if (cidr == null) {
                throw new IllegalArgumentException("loadBalancing.zones.cidr is required (for zone " + zone + ")");
            }
            if (zone == null || zone.isBlank()) {
                throw new IllegalArgumentException("loadBalancing.zones.zone is required (for cidr " + cidr + ")");
            }
        }
    }
}
