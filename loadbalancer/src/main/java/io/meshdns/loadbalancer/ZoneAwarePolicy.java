package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.util.random.RandomGenerator;

/**
 * Candidates in the querier's topology zone first, then the rest, each part round-robin. When the
 * querier's zone is unknown, or no candidate or every candidate is in it, plain round-robin. The
 * candidates' positions by zone are prepared with the candidates ({@link TopologyZones}), so a query costs what
 * it writes, not a scan of the candidates.
 */
final class ZoneAwarePolicy implements LoadBalancingPolicy {
    @Override
    public boolean ordersByTopologyZone() {
        return true;
    }

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
        int n = candidates.size();
        TopologyZones zones = candidates.topologyZones();
        int z = zones.of(topologyZone);
        if (z < 0 || zones.members(z) == n) {
            return candidates.addRotated(out, 0, 0, n, turn, limit);
        }
        int count = zones.addMembers(z, out, 0, turn, limit);
        return count < limit ? zones.addOthers(z, out, count, turn, limit) : count;
    }

    /** The subset's candidates in the querier's zone stay first; each part rotates. */
    @Override
    public void rotate(Candidates candidates, ClusterId querier, String topologyZone, int[] out, int count, int turn) {
        TopologyZones zones = candidates.topologyZones();
        int z = zones.of(topologyZone);
        int inZone = z < 0 ? count : Math.min(count, zones.members(z));
        Candidates.rotate(out, 0, inZone, turn);
        Candidates.rotate(out, inZone, count, turn);
    }
}
