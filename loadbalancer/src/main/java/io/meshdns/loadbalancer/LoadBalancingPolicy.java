package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;

/**
 * Chooses and orders the endpoints of one service for one query. Implementations are called on the DNS
 * query path from many threads at once: they must be thread-safe and must not block, lock, log or
 * allocate (the answer writer calls them for every query, cache hits included).
 */
interface LoadBalancingPolicy {
  /**
   * Writes the positions (in {@link Candidates#all()}) of the endpoints to answer into {@code out}, best
   * first.
   *
   * @param candidates the endpoints allowed to be answered (address family, readiness and cluster health
   *     already applied), grouped by cluster; never empty
   * @param querier the querier's cluster, or {@code null} when unknown
   * @param zone the querier's topology zone, or {@code null} when unknown
   * @param turn this query's number for this service: consecutive queries get consecutive turns, so a
   *     policy that rotates by it covers every endpoint over time even when the answer is capped
   * @param limit the most endpoints to return (the answer size cap), at least 1, at most {@code out.length}
   * @param scratch the policy's own space, at least {@code candidates.size()} long, holding what earlier
   *     queries left in it
   * @return how many positions were written, at most {@code limit}
   */
  int order(Candidates candidates, ClusterId querier, String zone, int turn, int limit, int[] out, int[] scratch);

  /** Whether {@link #order} reads {@link Candidates#zones()}, which is then built with the candidates. */
  default boolean ordersByZone() {
    return false;
  }
}
