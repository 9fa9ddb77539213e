package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.util.random.RandomGenerator;

/** Every candidate, the starting point moving by one with each query. */
final class RoundRobinPolicy implements LoadBalancingPolicy {
    @Override
    public int order(
            Candidates candidates,
            ClusterId querier,
            String topologyZone,
            int turn,
            int limit,
            int[] out,
            int[] scratch,
            RandomGenerator random) {
        return candidates.addRotated(out, 0, 0, candidates.size(), turn, limit);
    }
}
