package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;

/**
 * Candidates in the querier's topology zone first, then the rest, each part round-robin. When the
 * querier's zone is unknown, or no candidate or every candidate is in it, plain round-robin. The
 * candidates' positions by zone are prepared with the candidates ({@link Zones}), so a query costs what
 * it writes, not a scan of the candidates.
 */
final class ZoneAwarePolicy implements LoadBalancingPolicy {
  @Override
  public boolean ordersByZone() {
    return true;
  }

  @Override
  public int order(Candidates candidates, ClusterId querier, String zone, int turn, int limit, int[] out,
      int[] scratch) {
    int n = candidates.size();
    Zones zones = candidates.zones();
    int z = zones.of(zone);
    if (z < 0 || zones.members(z) == n) {
      return candidates.addRotated(out, 0, 0, n, turn, limit);
    }
    int count = zones.addMembers(z, out, 0, turn, limit);
    return count < limit ? zones.addOthers(z, out, count, turn, limit) : count;
  }
}
