package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.util.random.RandomGenerator;

/**
 * Clusters in a random order drawn by their configured weights (without replacement), so over many
 * queries each cluster's share of first positions is its weight over the total weight of the clusters
 * that have candidates. Weight-0 clusters come after all others. Inside a cluster, round-robin.
 */
final class WeightedPolicy implements LoadBalancingPolicy {
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
        int groups = candidates.groups();
        if (groups == 1) {
            return candidates.addRotated(out, 0, 0, candidates.size(), turn, limit);
        }
        // scratch[g] != 0: group g is placed (groups <= candidates, so scratch is long enough)
        int remaining = 0;
        for (int g = 0; g < groups; g++) {
            scratch[g] = 0;
            remaining += candidates.weight(g);
        }
        RandomGenerator rng = remaining > 0 ? random : null;
        int count = 0;
        for (int n = 0; n < groups && count < limit; n++) {
            int g = remaining > 0 ? draw(candidates, scratch, rng.nextInt(remaining)) : firstUnplaced(scratch, groups);
            scratch[g] = 1;
            remaining -= candidates.weight(g);
            count = candidates.addRotated(out, count, candidates.start(g), candidates.end(g), turn, limit);
        }
        return count;
    }

    /** The subset keeps this second's cluster order (the draw by weight); each cluster's part rotates. */
    @Override
    public void rotate(Candidates candidates, ClusterId querier, String topologyZone, int[] out, int count, int turn) {
        candidates.rotateWithinClusters(out, count, turn);
    }

    /** The unplaced group whose cumulative weight range holds {@code r}. */
    private static int draw(Candidates candidates, int[] placed, int r) {
        int last = -1;
        for (int g = 0; g < candidates.groups(); g++) {
            int w = candidates.weight(g);
            if (placed[g] != 0 || w == 0) {
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

    private static int firstUnplaced(int[] placed, int groups) {
        for (int g = 0; g < groups; g++) {
            if (placed[g] == 0) {
                return g;
            }
        }
        throw new IllegalStateException("every group placed");
    }
}
