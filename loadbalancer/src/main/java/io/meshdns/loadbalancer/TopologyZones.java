package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The candidates' positions by topology zone, built once per candidate set on the publisher thread so
 * that a query writes the endpoints in its zone, or those outside it, rotated, at the cost of what it
 * writes (plus a binary search), however many candidates there are.
 *
 * <p>Each zone's positions are kept as runs of consecutive positions. Its members from any rank on are the
 * runs from there; the positions outside it are the gaps between the runs, each non-empty, so walking
 * them crosses at most one run per position written.
 */
final class TopologyZones {
    static final TopologyZones NONE = new TopologyZones(0, Map.of(), new int[] {0}, new int[0], new int[0], new int[0]);

    private final int size;
    private final Map<String, Integer> byName;
    /** Zone z's runs are {@code firstRun[z] .. firstRun[z + 1] - 1}. */
    private final int[] firstRun;

    private final int[] runStart;
    /** Exclusive. */
    private final int[] runEnd;
    /** Positions of the zone in its runs before this one. */
    private final int[] membersBefore;

    private TopologyZones(
            int size, Map<String, Integer> byName, int[] firstRun, int[] runStart, int[] runEnd, int[] membersBefore) {
        this.size = size;
        this.byName = byName;
        this.firstRun = firstRun;
        this.runStart = runStart;
        this.runEnd = runEnd;
        this.membersBefore = membersBefore;
    }

    static TopologyZones of(List<Endpoint> candidates) {
        int n = candidates.size();
        Map<String, Integer> byName = new HashMap<>();
        int[] zoneOf = new int[n];
        int runs = 0;
        for (int i = 0; i < n; i++) {
            String topologyZone = candidates.get(i).topologyZone();
            Integer z = topologyZone == null ? null : byName.putIfAbsent(topologyZone, byName.size());
            zoneOf[i] = topologyZone == null ? -1 : z == null ? byName.size() - 1 : z;
            if (zoneOf[i] >= 0 && (i == 0 || zoneOf[i - 1] != zoneOf[i])) {
                runs++;
            }
        }
        int zones = byName.size();
        int[] firstRun = new int[zones + 1];
        for (int i = 0; i < n; i++) {
            if (zoneOf[i] >= 0 && (i == 0 || zoneOf[i - 1] != zoneOf[i])) {
                firstRun[zoneOf[i] + 1]++; // runs per zone, summed below
            }
        }
        for (int z = 0; z < zones; z++) {
            firstRun[z + 1] += firstRun[z];
        }
        int[] runStart = new int[runs];
        int[] runEnd = new int[runs];
        int[] membersBefore = new int[runs];
        int[] nextRun = new int[zones];
        int[] members = new int[zones];
        for (int i = 0; i < n; i++) {
            int z = zoneOf[i];
            if (z < 0) {
                continue;
            }
            if (i == 0 || zoneOf[i - 1] != z) {
                int r = firstRun[z] + nextRun[z]++;
                runStart[r] = i;
                membersBefore[r] = members[z];
            }
            runEnd[firstRun[z] + nextRun[z] - 1] = i + 1;
            members[z]++;
        }
        return new TopologyZones(n, Map.copyOf(byName), firstRun, runStart, runEnd, membersBefore);
    }

    /** The index of {@code zone}, or -1 when no candidate is in it (or it is {@code null}). */
    int of(String topologyZone) {
        Integer z = topologyZone == null ? null : byName.get(topologyZone);
        return z == null ? -1 : z;
    }

    /** How many candidates are in zone {@code z}. */
    int members(int z) {
        int last = firstRun[z + 1] - 1;
        return membersBefore[last] + runEnd[last] - runStart[last];
    }

    /**
     * Writes into {@code out} from {@code count}, until it holds {@code limit}, the positions in zone
     * {@code z} in ascending order, starting at the one of rank {@code turn} (mod their count) and wrapping.
     *
     * @return the new count
     */
    int addMembers(int z, int[] out, int count, int turn, int limit) {
        int first = firstRun[z];
        int end = firstRun[z + 1];
        int m = members(z);
        int skip = Math.floorMod(turn, m);
        // the last run that starts at or before rank skip
        int lo = first;
        int hi = end - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (membersBefore[mid] <= skip) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        int r = lo;
        int p = runStart[r] + skip - membersBefore[r];
        for (int i = 0; i < m && count < limit; i++) {
            out[count++] = p++;
            if (p == runEnd[r]) {
                r = r + 1 == end ? first : r + 1;
                p = runStart[r];
            }
        }
        return count;
    }

    /**
     * As {@link #addMembers}, for the positions not in zone {@code z} (starting at the one of rank
     * {@code turn} among them).
     */
    int addOthers(int z, int[] out, int count, int turn, int limit) {
        int first = firstRun[z];
        int end = firstRun[z + 1];
        int others = size - members(z);
        int skip = Math.floorMod(turn, others);
        // the first run with more than skip positions outside the zone before it (end when there is none)
        int lo = first;
        int hi = end;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (runStart[mid] - membersBefore[mid] > skip) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        int r = lo; // the next run at or after p
        int p = skip + (r == end ? members(z) : membersBefore[r]);
        for (int i = 0; i < others && count < limit; i++) {
            out[count++] = p++;
            if (r < end && p == runStart[r]) {
                p = runEnd[r++];
            }
            if (p == size) {
                p = 0;
                r = first;
                if (runStart[r] == 0) {
                    p = runEnd[r++];
                }
            }
        }
        return count;
    }
}
