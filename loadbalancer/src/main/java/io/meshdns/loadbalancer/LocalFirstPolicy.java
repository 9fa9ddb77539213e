package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import java.util.ArrayList;
import java.util.List;

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
  public String name() {
    return LoadBalancingConfig.LOCAL_FIRST;
  }

  @Override
  public List<Endpoint> order(Candidates candidates, QueryContext query, int turn, int limit) {
    List<Endpoint> out = new ArrayList<>(Math.min(limit, candidates.size()));
    ClusterId querier = query.querierCluster();
    if (querier == null) {
      candidates.addRotated(out, 0, candidates.size(), turn, limit);
      return out;
    }
    int local = candidates.group(querier);
    if (local >= 0) {
      candidates.addRotated(out, candidates.start(local), candidates.end(local), turn, limit);
      return out;
    }
    for (int i = 0; i < candidates.groups() && out.size() < limit; i++) {
      int g = candidates.failoverGroup(i);
      candidates.addRotated(out, candidates.start(g), candidates.end(g), turn, limit);
    }
    return out;
  }
}
