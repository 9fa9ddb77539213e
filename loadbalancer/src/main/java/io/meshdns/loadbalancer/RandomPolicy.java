package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** A uniformly random order of the candidates (a partial Fisher-Yates shuffle up to the cap). */
final class RandomPolicy implements LoadBalancingPolicy {
  private final Supplier<RandomGenerator> random;

  RandomPolicy(Supplier<RandomGenerator> random) {
    this.random = random;
  }

  @Override
  public int order(Candidates candidates, ClusterId querier, String zone, int turn, int limit, int[] out,
      int[] scratch) {
    int n = candidates.size();
    int k = Math.min(limit, n);
    for (int i = 0; i < n; i++) {
      scratch[i] = i;
    }
    RandomGenerator rng = random.get();
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(n - i);
      int chosen = scratch[j];
      scratch[j] = scratch[i];
      scratch[i] = chosen;
      out[i] = chosen;
    }
    return k;
  }
}
