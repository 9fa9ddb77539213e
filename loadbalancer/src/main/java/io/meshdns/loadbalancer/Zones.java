package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import java.util.ArrayList;
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
final class Zones {
  static final Zones NONE = new Zones(0, Map.of(), new int[] {0}, new int[0], new int[0], new int[0]);

  private final int size;
  private final Map<String, Integer> byName;
  /** Zone z's runs are {@code firstRun[z] .. firstRun[z + 1] - 1}. */
  private final int[] firstRun;
  private final int[] runStart;
  /** Exclusive. */
  private final int[] runEnd;
  /** Positions of the zone in its runs before this one. */
  private final int[] membersBefore;

  private Zones(int size, Map<String, Integer> byName, int[] firstRun, int[] runStart, int[] runEnd,
      int[] membersBefore) {
    this.size = size;
    this.byName = byName;
    this.firstRun = firstRun;
    this.runStart = runStart;
    this.runEnd = runEnd;
    this.membersBefore = membersBefore;
  }

  static Zones of(List<Endpoint> candidates) {
    Map<String, Integer> byName = new HashMap<>();
    List<List<int[]>> runs = new ArrayList<>(); // per zone, its runs as {start, end}
    for (int i = 0; i < candidates.size(); i++) {
      String zone = candidates.get(i).zone();
      if (zone == null) {
        continue;
      }
      Integer z = byName.get(zone);
      if (z == null) {
        z = byName.size();
        byName.put(zone, z);
        runs.add(new ArrayList<>());
      }
      List<int[]> own = runs.get(z);
      int[] last = own.isEmpty() ? null : own.get(own.size() - 1);
      if (last != null && last[1] == i) {
        last[1] = i + 1;
      } else {
        own.add(new int[] {i, i + 1});
      }
    }
    int total = runs.stream().mapToInt(List::size).sum();
    int[] firstRun = new int[runs.size() + 1];
    int[] runStart = new int[total];
    int[] runEnd = new int[total];
    int[] membersBefore = new int[total];
    int r = 0;
    for (int z = 0; z < runs.size(); z++) {
      firstRun[z] = r;
      int members = 0;
      for (int[] run : runs.get(z)) {
        runStart[r] = run[0];
        runEnd[r] = run[1];
        membersBefore[r] = members;
        members += run[1] - run[0];
        r++;
      }
    }
    firstRun[runs.size()] = r;
    return new Zones(candidates.size(), Map.copyOf(byName), firstRun, runStart, runEnd, membersBefore);
  }

  /** The index of {@code zone}, or -1 when no candidate is in it (or it is {@code null}). */
  int of(String zone) {
    Integer z = zone == null ? null : byName.get(zone);
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
