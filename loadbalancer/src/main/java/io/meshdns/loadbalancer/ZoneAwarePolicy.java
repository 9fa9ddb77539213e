package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import java.util.List;

/**
 * Candidates in the querier's topology zone first, then the rest, each part round-robin. When the
 * querier's zone is unknown, or no candidate or every candidate is in it, plain round-robin.
 */
final class ZoneAwarePolicy implements LoadBalancingPolicy {
  @Override
  public int order(Candidates candidates, ClusterId querier, String zone, int turn, int limit, int[] out,
      int[] scratch) {
    List<Endpoint> all = candidates.all();
    int n = all.size();
    int inZone = 0;
    if (zone != null) {
      for (int i = 0; i < n; i++) {
        if (zone.equals(all.get(i).zone())) {
          inZone++;
        }
      }
    }
    if (inZone == 0 || inZone == n) {
      return candidates.addRotated(out, 0, 0, n, turn, limit);
    }
    int count = addRotated(out, 0, all, zone, true, inZone, turn, limit);
    return addRotated(out, count, all, zone, false, n - inZone, turn, limit);
  }

  /** Appends the positions of the {@code of} endpoints whose zone is (or is not) {@code zone}, rotated by {@code turn}. */
  private static int addRotated(int[] out, int count, List<Endpoint> all, String zone, boolean in, int of,
      int turn, int limit) {
    int skip = Math.floorMod(turn, of);
    for (int pass = 0; pass < 2; pass++) {
      int seen = 0;
      for (int i = 0, n = all.size(); i < n && count < limit; i++) {
        if (zone.equals(all.get(i).zone()) != in) {
          continue;
        }
        // first pass: the ones from the rotation point on; second pass: the ones before it
        if (pass == 0 ? seen >= skip : seen < skip) {
          out[count++] = i;
        }
        seen++;
      }
    }
    return count;
  }
}
