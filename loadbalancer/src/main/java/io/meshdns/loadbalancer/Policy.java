package io.meshdns.loadbalancer;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The load-balancing policies, by the name the config ({@code loadBalancing.policy}), the
 * {@code meshdns.io/lb-policy} annotation, the status API and the generated CoreDNS block use, and whether
 * the order of the addresses they answer carries meaning: a cache in front of meshdns (CoreDNS's
 * {@code cache} with {@code loadbalance}) may shuffle an answer whose order does not.
 */
public enum Policy {
    ROUND_ROBIN("round-robin"),
    RANDOM("random"),
    /** Puts the weighted draw first. */
    WEIGHTED("weighted"),
    /** Chooses the querier's cluster; the order within the chosen set means nothing. */
    LOCAL_FIRST("local-first"),
    /** Puts the querier's topology zone first, once the querier's zone is known. */
    ZONE_AWARE("zone-aware");

    /** Every policy name, in the order the config's error message lists them. */
    public static final List<String> NAMES =
            Arrays.stream(values()).map(Policy::configName).toList();

    private final String configName;

    Policy(String configName) {
        this.configName = configName;
    }

    /** The name in config, annotations and the status API. */
    public String configName() {
        return configName;
    }

    /**
     * Whether the order of the addresses in an answer means something a shuffle would destroy:
     * {@code weighted} puts the weighted draw first, and {@code zone-aware} puts the querier's zone first once
     * meshdns knows the queriers' zones ({@code loadBalancing.zones}; without them it is plain round-robin).
     *
     * @param querierTopologyZonesKnown whether meshdns maps source networks to topology zones
     */
    public boolean orderMatters(boolean querierTopologyZonesKnown) {
        return switch (this) {
            case WEIGHTED -> true;
            case ZONE_AWARE -> querierTopologyZonesKnown;
            case ROUND_ROBIN, RANDOM, LOCAL_FIRST -> false;
        };
    }

    /** The policy named {@code name}, or none when no policy has that name. */
    public static Optional<Policy> byName(String name) {
        for (Policy p : values()) {
            if (p.configName.equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * The policy named {@code name}.
     *
     * @throws IllegalArgumentException saying which names there are; the caller names the key
     */
    public static Policy parse(String name) {
        return byName(name)
                .orElseThrow(() -> new IllegalArgumentException(
                        "must be one of " + String.join(", ", NAMES) + "; was '" + name + "'"));
    }

    @Override
    public String toString() {
        return configName;
    }
}
