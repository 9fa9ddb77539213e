package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;

/**
 * When the querier's cluster has candidates, only those. When it has none, failover: the other clusters'
 * candidates, cluster by cluster in failover rank (configured priority, lowest first, then weight,
 * highest first, then id). When the querier's cluster is unknown, every cluster's candidates. Round-robin
 * inside each chosen cluster (or across all of them when the querier is unknown).
 *
 * <p>Degraded (disconnected or stale) clusters never get here while a healthy cluster has a ready
 * endpoint: {@link Candidates} keeps them out, so they are used only when nothing else is ready.
 */
final class LocalFirstPolicy implements LoadBalancingPolicy {
  @Override
  public int order(Candidates candidates, ClusterId querier, String zone, int turn, int limit, int[] out,
      int[] scratch) {
    if (querier == null) {
      return candidates.addRotated(out, 0, 0, candidates.size(), turn, limit);
    }
    int local = candidates.group(querier);
    if (local >= 0) {
      return candidates.addRotated(out, 0, candidates.start(local), candidates.end(local), turn, limit);
    }
    int count = 0;
    for (int i = 0; i < candidates.groups() && count < limit; i++) {
      int g = candidates.failoverGroup(i);
      count = candidates.addRotated(out, count, candidates.start(g), candidates.end(g), turn, limit);
    }
    return count;
  }
}
