package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import java.util.List;

/**
 * Chooses and orders the endpoints of one service for one query. Implementations are called on the DNS
 * query path from many threads at once: they must be thread-safe and must not block, lock or log.
 */
interface LoadBalancingPolicy {
  /** The name used in config and in the {@code meshdns.io/lb-policy} annotation. */
  String name();

  /**
   * @param candidates the endpoints allowed to be answered (address family, readiness and cluster health
   *     already applied), grouped by cluster; never empty
   * @param turn this query's number for this service: consecutive queries get consecutive turns, so a
   *     policy that rotates by it covers every endpoint over time even when the answer is capped
   * @param limit the most endpoints to return (the answer size cap), at least 1
   * @return the endpoints to answer, best first, at most {@code limit}
   */
  List<Endpoint> order(Candidates candidates, QueryContext query, int turn, int limit);
}
