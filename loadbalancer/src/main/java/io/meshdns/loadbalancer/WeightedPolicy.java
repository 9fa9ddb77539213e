package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Clusters in a random order drawn by their configured weights (without replacement), so over many
 * queries each cluster's share of first positions is its weight over the total weight of the clusters
 * that have candidates. Weight-0 clusters come after all others. Inside a cluster, round-robin.
 */
final class WeightedPolicy implements LoadBalancingPolicy {
  private final Supplier<RandomGenerator> random;

  WeightedPolicy(Supplier<RandomGenerator> random) {
    this.random = random;
  }

  @Override
  public String name() {
    return LoadBalancingConfig.WEIGHTED;
  }

  @Override
  public List<Endpoint> order(Candidates candidates, QueryContext query, int turn, int limit) {
    int groups = candidates.groups();
    List<Endpoint> out = new ArrayList<>(Math.min(limit, candidates.size()));
    if (groups == 1) {
      candidates.addRotated(out, 0, candidates.size(), turn, limit);
      return out;
    }
    boolean[] placed = new boolean[groups];
    int remaining = 0;
    for (int g = 0; g < groups; g++) {
      remaining += candidates.weight(g);
    }
    RandomGenerator rng = remaining > 0 ? random.get() : null;
    for (int n = 0; n < groups && out.size() < limit; n++) {
      int g = remaining > 0 ? draw(candidates, placed, rng.nextInt(remaining)) : firstUnplaced(placed);
      placed[g] = true;
      remaining -= candidates.weight(g);
      candidates.addRotated(out, candidates.start(g), candidates.end(g), turn, limit);
    }
    return out;
  }

  /** The unplaced group whose cumulative weight range holds {@code r}. */
  private static int draw(Candidates candidates, boolean[] placed, int r) {
    int last = -1;
    for (int g = 0; g < placed.length; g++) {
      int w = candidates.weight(g);
      if (placed[g] || w == 0) {
        continue;
      }
      last = g;
      r -= w;
      if (r < 0) {
        return g;
      }
    }
    return last; // unreachable while r < remaining weight
  }

  private static int firstUnplaced(boolean[] placed) {
    for (int g = 0; g < placed.length; g++) {
      if (!placed[g]) {
        return g;
      }
    }
    throw new IllegalStateException("every group placed");
  }
}
