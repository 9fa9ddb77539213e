package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.util.random.RandomGenerator;

/**
 * When the querier's cluster has candidates, only those. When it has none, failover: the other clusters'
 * candidates, cluster by cluster in failover rank (configured priority, lowest first, then weight,
 * highest first, then id). When the querier's cluster is unknown, every cluster's candidates. Round-robin
 * inside each chosen cluster (or across all of them when the querier is unknown).
 *
 * <p>A complete answer (a headless service's, {@link #orderAll}) has every cluster: the querier's first,
 * then the others in failover rank.
 *
 * <p>Degraded (disconnected or stale) clusters never get here while a healthy cluster has a ready
 * endpoint: {@link Candidates} keeps them out, so they are used only when nothing else is ready.
 */
final class LocalFirstPolicy implements LoadBalancingPolicy {
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
        if (querier == null) {
            return candidates.addRotated(out, 0, 0, candidates.size(), turn, limit);
        }
        int local = candidates.group(querier);
        if (local >= 0) {
            return candidates.addRotated(out, 0, candidates.start(local), candidates.end(local), turn, limit);
        }
        return failover(candidates, -1, 0, turn, limit, out);
    }

    /**
     * A complete answer (headless): the querier's cluster first, then every other cluster in failover rank,
     * each rotated; every cluster when the querier is unknown, rotated as one.
     */
    @Override
    public int orderAll(
            Candidates candidates,
            ClusterId querier,
            String topologyZone,
            int turn,
            int[] out,
            int[] scratch,
            RandomGenerator random) {
        int all = candidates.size();
        if (querier == null) {
            return candidates.addRotated(out, 0, 0, all, turn, all);
        }
        int local = candidates.group(querier);
        int count = local < 0
                ? 0
                : candidates.addRotated(out, 0, candidates.start(local), candidates.end(local), turn, all);
        return failover(candidates, local, count, turn, all, out);
    }

    /** The subset keeps its clusters in failover rank (the querier's first); each cluster's part rotates. */
    @Override
    public void rotate(Candidates candidates, ClusterId querier, String topologyZone, int[] out, int count, int turn) {
        if (querier == null) {
            Candidates.rotate(out, 0, count, turn);
        } else {
            candidates.rotateWithinClusters(out, count, turn);
        }
    }

    /** Appends the groups other than {@code skip} in failover rank, each rotated, until {@code limit}. */
    private static int failover(Candidates candidates, int skip, int count, int turn, int limit, int[] out) {
        for (int i = 0; i < candidates.groups() && count < limit; i++) {
            int g = candidates.failoverGroup(i);
            if (g != skip) {
                count = candidates.addRotated(out, count, candidates.start(g), candidates.end(g), turn, limit);
            }
        }
        return count;
    }
}
