package io.meshdns.forwarder;

import io.meshdns.loadbalancer.Policy;
import java.util.ArrayList;
import java.util.List;

/**
 * What the generated block lets CoreDNS do to meshdns's answers before a pod sees them: how long it reuses
 * an answer (the {@code cache} plugin) and whether it shuffles the addresses of every answer, cached ones
 * too (the {@code loadbalance} plugin). Pods do not ask meshdns: every pod behind one CoreDNS replica (one
 * node with NodeLocal DNSCache) gets that replica's cached answer, so without a shuffle they all connect to
 * its first address for the whole cache TTL, whatever meshdns rotates per query.
 *
 * @param cacheTtl the {@code cache} plugin's maximum TTL in seconds, never above meshdns's record TTL; 0 leaves
 *     the plugin out (every query reaches meshdns)
 * @param denialTtl how long NXDOMAIN and NODATA answers are reused: meshdns's SOA minimum, at most {@code cacheTtl}
 * @param shuffle whether the block has {@code loadbalance round_robin}
 * @param policy meshdns's default load-balancing policy
 * @param ordered whether that policy's address order means something a shuffle undoes ({@link #orderMatters})
 */
public record AnswerCaching(int cacheTtl, int denialTtl, boolean shuffle, String policy, boolean ordered) {
    /** Capacity written on the {@code denial} line: CoreDNS's default (10000 rounded to 256 shards of 39). */
    static final int DENIAL_CAPACITY = 9984;

    public AnswerCaching {
        if (cacheTtl < 0 || cacheTtl > 86400) {
            throw new IllegalArgumentException("cache TTL must be between 0 and 86400 seconds; was " + cacheTtl);
        }
        if (cacheTtl > 0 && (denialTtl < 1 || denialTtl > cacheTtl)) {
            throw new IllegalArgumentException("denial TTL must be between 1 (CoreDNS refuses 0) and the cache TTL ("
                    + cacheTtl + "); was " + denialTtl);
        }
        if (cacheTtl == 0 && denialTtl != 0) {
            throw new IllegalArgumentException("without a cache the denial TTL is 0; was " + denialTtl);
        }
        if (policy == null || policy.isBlank()) {
            throw new IllegalArgumentException("the load-balancing policy is required");
        }
    }

    /**
     * The caching for meshdns's settings: the cache never keeps an answer longer than meshdns's record TTL,
     * negative answers follow the SOA minimum, and answers are shuffled unless the policy's order means
     * something ({@link #orderMatters}).
     *
     * @param recordTtl meshdns's {@code ttl}
     * @param soaMinimum meshdns's negative TTL (its SOA minimum)
     * @param cache the operator's cache TTL, or {@code null} for {@code recordTtl}; above {@code recordTtl} is refused
     * @param loadbalance the operator's choice, or {@code null} to decide from the policy
     * @param querierTopologyZonesKnown whether meshdns maps source networks to topology zones ({@code loadBalancing.zones})
     */
    public static AnswerCaching of(
            Policy policy,
            int recordTtl,
            int soaMinimum,
            Integer cache,
            Boolean loadbalance,
            boolean querierTopologyZonesKnown) {
        return of(policy.configName(), recordTtl, soaMinimum, cache, loadbalance, querierTopologyZonesKnown);
    }

    /** As {@link #of(Policy, int, int, Integer, Boolean, boolean)}, for a policy given by its config name. */
    public static AnswerCaching of(
            String policy,
            int recordTtl,
            int soaMinimum,
            Integer cache,
            Boolean loadbalance,
            boolean querierTopologyZonesKnown) {
        if (cache != null && cache < 0) {
            throw new IllegalArgumentException("the cache TTL must be 0 (no cache) or more seconds; was " + cache);
        }
        if (cache != null && cache > recordTtl) {
            throw new IllegalArgumentException("a cache TTL of " + cache + " s is longer than meshdns's record TTL ("
                    + recordTtl + " s, config key ttl): pods would get answers meshdns no longer gives; use at most "
                    + recordTtl);
        }
        int ttl = cache != null ? cache : recordTtl;
        boolean ordered = orderMatters(policy, querierTopologyZonesKnown);
        return new AnswerCaching(
                ttl, Math.min(soaMinimum, ttl), loadbalance != null ? loadbalance : !ordered, policy, ordered);
    }

    /** The defaults: meshdns's TTL of 5 s and the {@code local-first} policy. */
    public static AnswerCaching defaults() {
        return of(Policy.LOCAL_FIRST, 5, 5, null, null, false);
    }

    /**
     * Whether the order of the addresses in meshdns's answers means something a shuffle would destroy, as the
     * policy says ({@link Policy#orderMatters}). Unknown policies count as ordered, the safe side.
     */
    public static boolean orderMatters(String policy, boolean querierTopologyZonesKnown) {
        return Policy.byName(policy)
                .map(p -> p.orderMatters(querierTopologyZonesKnown))
                .orElse(true);
    }

    /** The block's lines for caching and order: plugin lines, with {@code indent} before nested ones. */
    List<String> lines(String indent) {
        List<String> lines = new ArrayList<>();
        if (cacheTtl > 0) {
            lines.add("# answers reused at most " + cacheTtl + " s, NXDOMAIN/NODATA at most " + denialTtl
                    + " s: never longer than meshdns's TTL and SOA minimum");
            lines.add("cache " + cacheTtl + " {");
            lines.add(indent + "denial " + DENIAL_CAPACITY + " " + denialTtl);
            lines.add("}");
        } else {
            lines.add("# no cache: every query reaches meshdns");
        }
        if (shuffle && !ordered) {
            lines.add("# policy " + policy
                    + ": the address order means nothing, so shuffle every answer (cached ones too)");
            lines.add("# lest all pods sharing an answer connect to its first address");
        } else if (shuffle) {
            lines.add("# shuffle every answer (cached ones too), as chosen with --loadbalance on, although policy "
                    + policy);
            lines.add("# puts " + firstMeaning() + " first");
        } else if (ordered) {
            lines.add("# no loadbalance: policy " + policy + " puts " + firstMeaning() + " first"
                    + (cacheTtl > 0 ? "; one answer serves all pods" : ""));
            if (cacheTtl > 0) {
                lines.add("# for up to " + cacheTtl + " s (--cache 0 sends every query to meshdns)");
            }
        } else {
            lines.add("# no loadbalance, as chosen with --loadbalance off");
        }
        if (shuffle) {
            lines.add("loadbalance round_robin");
        }
        return lines;
    }

    private String firstMeaning() {
        return switch (Policy.byName(policy).orElse(Policy.ROUND_ROBIN)) {
            case WEIGHTED -> "the weighted draw";
            case ZONE_AWARE -> "the querier's zone";
            case LOCAL_FIRST -> "the querier's cluster";
            case ROUND_ROBIN, RANDOM -> "the address it chose";
        };
    }

    /**
     * What a pod will observe through this block, one sentence per line, for an operator choosing the
     * settings: how long an answer is reused, whether its order rotates, and what the stanza being per zone
     * (not per service) means for services with their own policy.
     */
    public List<String> podView() {
        List<String> out = new ArrayList<>();
        String who = "Each CoreDNS replica (each node's cache with NodeLocal DNSCache)";
        if (cacheTtl > 0) {
            out.add(who + " reuses an answer for up to " + seconds(cacheTtl)
                    + " (meshdns's TTL caps it) and an NXDOMAIN"
                    + " or NODATA for up to " + seconds(denialTtl)
                    + " (its SOA minimum), so a new service answers within "
                    + seconds(denialTtl) + ", and a new or removed endpoint shows within " + seconds(cacheTtl) + ".");
        } else {
            out.add("CoreDNS caches nothing for these zones: every lookup of every pod reaches meshdns (more load on"
                    + " meshdns, one more round trip per lookup), which orders every answer anew by its policy.");
        }
        if (shuffle) {
            out.add("The addresses of every answer, cached or not, come in a new random order on each lookup"
                    + " (loadbalance round_robin), so the pods sharing a cached answer spread over its addresses.");
            if (ordered) {
                out.add("Policy " + policy + " puts " + firstMeaning() + " first, and the shuffle undoes that: the"
                        + " first address is uniformly random among the answer's.");
            } else if (Policy.LOCAL_FIRST.configName().equals(policy)) {
                out.add("Policy local-first: pods get their own cluster's endpoints while it has a ready one; during"
                        + " failover the shuffle makes any other cluster's endpoint first, not the lowest priority's.");
            }
        } else {
            String sameFirst = cacheTtl > 0
                    ? "all pods behind one replica get the same first address for up to " + seconds(cacheTtl)
                    : "";
            String meaning = ordered ? "policy " + policy + " puts " + firstMeaning() + " first" : "";
            out.add("The order is meshdns's (no loadbalance)"
                    + (sameFirst.isEmpty() && meaning.isEmpty()
                            ? ""
                            : ": " + sameFirst + (sameFirst.isEmpty() || meaning.isEmpty() ? "" : ", and ") + meaning)
                    + (cacheTtl > 0 && Policy.WEIGHTED.configName().equals(policy)
                            ? "; the weights hold over many cache periods and replicas,"
                                    + " not per lookup: --cache 0 for a draw per lookup"
                            : "")
                    + ".");
        }
        out.add("The block is per zone, not per service: services with their own meshdns.io/lb-policy are "
                + (shuffle
                        ? "shuffled too (a weighted one loses its weighted first address; --loadbalance off keeps it)"
                        : "not shuffled either (a round-robin one keeps one order per cache period; --loadbalance on shuffles"
                                + " all)")
                + ".");
        return out;
    }

    private static String seconds(int s) {
        return s + " s";
    }
}
