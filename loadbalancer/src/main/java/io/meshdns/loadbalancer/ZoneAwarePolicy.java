package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import java.util.ArrayList;
import java.util.List;

/**
 * Candidates in the querier's topology zone first, then the rest, each part round-robin. When the
 * querier's zone is unknown, or no candidate or every candidate is in it, plain round-robin.
 */
final class ZoneAwarePolicy implements LoadBalancingPolicy {
  @Override
  public String name() {
    return LoadBalancingConfig.ZONE_AWARE;
  }

  @Override
  public List<Endpoint> order(Candidates candidates, QueryContext query, int turn, int limit) {
    List<Endpoint> all = candidates.all();
    int n = all.size();
    List<Endpoint> out = new ArrayList<>(Math.min(limit, n));
    String zone = query.querierZone();
    int inZone = 0;
    if (zone != null) {
      for (int i = 0; i < n; i++) {
        if (zone.equals(all.get(i).zone())) {
          inZone++;
        }
      }
    }
    if (inZone == 0 || inZone == n) {
      candidates.addRotated(out, 0, n, turn, limit);
      return out;
    }
    addRotated(out, all, zone, true, inZone, turn, limit);
    addRotated(out, all, zone, false, n - inZone, turn, limit);
    return out;
  }

  /** Appends the {@code count} endpoints whose zone is (or is not) {@code zone}, rotated by {@code turn}. */
  private static void addRotated(List<Endpoint> out, List<Endpoint> all, String zone, boolean in, int count,
      int turn, int limit) {
    int skip = Math.floorMod(turn, count);
    for (int pass = 0; pass < 2; pass++) {
      int seen = 0;
      for (int i = 0, n = all.size(); i < n && out.size() < limit; i++) {
        Endpoint e = all.get(i);
        if (zone.equals(e.zone()) != in) {
          continue;
        }
        // first pass: the ones from the rotation point on; second pass: the ones before it
        if (pass == 0 ? seen >= skip : seen < skip) {
          out.add(e);
        }
        seen++;
      }
    }
  }
}
