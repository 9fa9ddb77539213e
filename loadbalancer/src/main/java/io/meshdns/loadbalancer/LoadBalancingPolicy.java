package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.util.random.RandomGenerator;

/**
 * Chooses and orders the endpoints of one service for one query. Implementations are called on the DNS
 * query path from many threads at once: they must be thread-safe and must not block, lock, log or
 * allocate (the answer writer calls them for every query, cache hits included).
 */
interface LoadBalancingPolicy {
    /**
     * Writes the positions (members of {@link Candidates}) of the endpoints to answer into {@code out}, best
     * first.
     *
     * @param candidates the endpoints allowed to be answered (address family, readiness and cluster health
     *     already applied), grouped by cluster; never empty
     * @param querier the querier's cluster, or {@code null} when unknown
     * @param topologyZone the querier's topology zone, or {@code null} when unknown
     * @param turn this query's number for this service: consecutive queries get consecutive turns, so a
     *     policy that rotates by it covers every endpoint over time even when the answer is capped
     * @param limit the most endpoints to return (the answer size cap), at least 1, at most {@code out.length}
     * @param scratch the policy's own space, at least {@code candidates.size()} long, holding what earlier
     *     queries left in it
     * @param random the random numbers to draw from (seeded per subset for a capped answer)
     * @return how many positions were written, at most {@code limit}
     */
    int order(
            Candidates candidates,
            ClusterId querier,
            String topologyZone,
            int turn,
            int limit,
            int[] out,
            int[] scratch,
            RandomGenerator random);

    /**
     * Every candidate, in this policy's order for the query: a complete answer (a headless service, whose
     * A, AAAA and SRV records carry every ready endpoint). Only a policy that leaves candidates out by design
     * ({@code local-first}) orders differently here.
     */
    default int orderAll(
            Candidates candidates,
            ClusterId querier,
            String topologyZone,
            int turn,
            int[] out,
            int[] scratch,
            RandomGenerator random) {
        return order(candidates, querier, topologyZone, turn, candidates.size(), out, scratch, random);
    }

    /**
     * Reorders the first {@code count} positions of {@code out}, the subset {@link #order} chose for this
     * second (a capped answer), for one query: rotated by {@code turn} while keeping what the policy's order
     * means (clusters in failover rank, the querier's zone first). By default the whole subset rotates.
     */
    default void rotate(Candidates candidates, ClusterId querier, String topologyZone, int[] out, int count, int turn) {
        Candidates.rotate(out, 0, count, turn);
    }

    /** Whether {@link #order} reads {@link Candidates#topologyZones()}, which is then built with the candidates. */
    default boolean ordersByTopologyZone() {
        return false;
    }
}
