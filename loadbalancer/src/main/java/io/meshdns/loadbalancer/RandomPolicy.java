package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** A uniformly random order of the candidates (a partial Fisher-Yates shuffle up to the cap). */
final class RandomPolicy implements LoadBalancingPolicy {
  private final Supplier<RandomGenerator> random;

  RandomPolicy(Supplier<RandomGenerator> random) {
    this.random = random;
  }

  @Override
  public String name() {
    return LoadBalancingConfig.RANDOM;
  }

  @Override
  public List<Endpoint> order(Candidates candidates, QueryContext query, int turn, int limit) {
    Endpoint[] pool = candidates.all().toArray(new Endpoint[0]);
    int n = pool.length;
    int k = Math.min(limit, n);
    RandomGenerator rng = random.get();
    List<Endpoint> out = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(n - i);
      Endpoint chosen = pool[j];
      pool[j] = pool[i];
      pool[i] = chosen;
      out.add(chosen);
    }
    return out;
  }
}
