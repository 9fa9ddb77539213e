package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import java.util.ArrayList;
import java.util.List;

/** Every candidate, the starting point moving by one with each query of the service. */
final class RoundRobinPolicy implements LoadBalancingPolicy {
  @Override
  public String name() {
    return LoadBalancingConfig.ROUND_ROBIN;
  }

  @Override
  public List<Endpoint> order(Candidates candidates, QueryContext query, int turn, int limit) {
    List<Endpoint> out = new ArrayList<>(Math.min(limit, candidates.size()));
    candidates.addRotated(out, 0, candidates.size(), turn, limit);
    return out;
  }
}
