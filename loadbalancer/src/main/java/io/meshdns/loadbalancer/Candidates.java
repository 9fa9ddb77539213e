package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The endpoints of one service and address family that may be answered, grouped by cluster (clusters in
 * id order), with each group's weight and failover rank. Built once per snapshot on the publisher thread,
 * then only read by policies, so the query path neither filters nor groups.
 *
 * <p>Eligibility, best first; the first non-empty tier is the whole candidate set:
 * ready endpoints of healthy clusters; ready endpoints of degraded clusters
 * ({@code ClusterHealth.degraded()}: stale, i.e. out of touch for longer than {@code staleAfter});
 * serving-but-terminating endpoints of healthy clusters; those of degraded clusters. A cluster that is
 * disconnected for less than {@code staleAfter} is healthy here: its last known endpoints are answered
 * exactly as if it were synced.
 */
final class Candidates {
  static final Candidates NONE =
      new Candidates(List.of(), new ClusterId[0], new int[] {0}, new int[0], new int[0], Zones.NONE);

  private final List<Endpoint> endpoints;
  private final ClusterId[] clusters;
  private final int[] starts;
  private final int[] weights;
  private final int[] failoverOrder;
  private final Zones zones;

  private Candidates(List<Endpoint> endpoints, ClusterId[] clusters, int[] starts, int[] weights, int[] failoverOrder,
      Zones zones) {
    this.endpoints = endpoints;
    this.clusters = clusters;
    this.starts = starts;
    this.weights = weights;
    this.failoverOrder = failoverOrder;
    this.zones = zones;
  }

  /**
   * One endpoint with its sort key, taken once (not on every comparison): by cluster id, then the pod
   * behind the address (its targetRef, else its hostname; none last), then the address.
   */
  private record Keyed(Endpoint endpoint, String pod, byte[] address) implements Comparable<Keyed> {
    @Override
    public int compareTo(Keyed o) {
      int c = endpoint.cluster().compareTo(o.endpoint.cluster());
      if (c != 0) {
        return c;
      }
      if (pod != null ? o.pod == null : o.pod != null) {
        return pod == null ? 1 : -1;
      }
      c = pod == null ? 0 : pod.compareTo(o.pod);
      return c != 0 ? c : Arrays.compareUnsigned(address, o.address);
    }
  }

  /**
   * {@code all} sorted by cluster id, then pod, then address: the order {@link #of} takes, sorted once for
   * every address family. Pods in the same order in both families: the n-th A answer and the n-th AAAA
   * answer of a dual-stack service then name the same pods (MCS: both records cover the same endpoints).
   */
  static List<Endpoint> inPodOrder(List<Endpoint> all) {
    Keyed[] keyed = new Keyed[all.size()];
    for (int i = 0; i < keyed.length; i++) {
      Endpoint e = all.get(i);
      keyed[i] = new Keyed(e, e.targetRef() != null ? e.targetRef().name() : e.hostname(), e.address().getAddress());
    }
    Arrays.sort(keyed); // stable: equal keys keep the snapshot's order
    Endpoint[] sorted = new Endpoint[keyed.length];
    for (int i = 0; i < keyed.length; i++) {
      sorted[i] = keyed[i].endpoint();
    }
    return List.of(sorted);
  }

  /**
   * @param inPodOrder the service's endpoints as {@link #inPodOrder} sorts them
   * @param ipv6 the address family, or {@code null} for both (SRV targets name endpoints of either)
   * @param withZones whether to index the candidates by zone (for a policy that orders by zone)
   */
  static Candidates of(List<Endpoint> inPodOrder, Boolean ipv6, Set<ClusterId> degraded, ClusterSettings settings,
      boolean withZones) {
    int best = Integer.MAX_VALUE;
    for (Endpoint e : inPodOrder) {
      if (ipv6 == null || e.isIpv6() == ipv6) {
        best = Math.min(best, tier(e, degraded));
      }
    }
    if (best == Integer.MAX_VALUE || best == EXCLUDED) {
      return NONE;
    }
    // A filter of a sorted list is sorted: each cluster's candidates are one run, in pod order.
    List<Endpoint> flat = new ArrayList<>();
    List<ClusterId> ids = new ArrayList<>();
    List<Integer> groupStarts = new ArrayList<>();
    for (Endpoint e : inPodOrder) {
      if ((ipv6 == null || e.isIpv6() == ipv6) && tier(e, degraded) == best) {
        if (ids.isEmpty() || !ids.get(ids.size() - 1).equals(e.cluster())) {
          ids.add(e.cluster());
          groupStarts.add(flat.size());
        }
        flat.add(e);
      }
    }
    int groups = ids.size();
    int[] starts = new int[groups + 1];
    int[] weights = new int[groups];
    for (int g = 0; g < groups; g++) {
      starts[g] = groupStarts.get(g);
      weights[g] = settings.weight(ids.get(g));
    }
    starts[groups] = flat.size();
    Integer[] order = new Integer[groups];
    for (int i = 0; i < groups; i++) {
      order[i] = i;
    }
    Comparator<ClusterId> rank = settings.failoverRank();
    Arrays.sort(order, (a, b) -> rank.compare(ids.get(a), ids.get(b)));
    int[] failoverOrder = Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    List<Endpoint> endpoints = List.copyOf(flat);
    return new Candidates(endpoints, ids.toArray(new ClusterId[0]), starts, weights, failoverOrder,
        withZones ? Zones.of(endpoints) : Zones.NONE);
  }

  private static final int EXCLUDED = 4;

  private static int tier(Endpoint e, Set<ClusterId> degraded) {
    int health = degraded.contains(e.cluster()) ? 1 : 0;
    if (e.ready()) {
      return health;
    }
    if (e.serving()) {
      return 2 + health;
    }
    return EXCLUDED;
  }

  /** Every candidate, grouped by cluster in cluster id order. */
  List<Endpoint> all() {
    return endpoints;
  }

  int size() {
    return endpoints.size();
  }

  boolean isEmpty() {
    return endpoints.isEmpty();
  }

  int groups() {
    return clusters.length;
  }

  int start(int group) {
    return starts[group];
  }

  int end(int group) {
    return starts[group + 1];
  }

  int weight(int group) {
    return weights[group];
  }

  /** The group of {@code cluster}, or -1 when it has no candidate. */
  int group(ClusterId cluster) {
    if (cluster == null) {
      return -1;
    }
    for (int g = 0; g < clusters.length; g++) {
      if (clusters[g].equals(cluster)) {
        return g;
      }
    }
    return -1;
  }

  /** The candidates' positions by zone; {@link Zones#NONE} unless built {@code withZones}. */
  Zones zones() {
    return zones;
  }

  /** The groups by failover rank: configured priority (lowest first), then weight (highest first), then id. */
  int failoverGroup(int position) {
    return failoverOrder[position];
  }

  /**
   * Writes into {@code out} from position {@code count}, until it holds {@code limit}, the positions
   * {@code from..to} starting at {@code turn} (mod their count) and wrapping: consecutive turns cover
   * every one of them.
   *
   * @return the new count
   */
  int addRotated(int[] out, int count, int from, int to, int turn, int limit) {
    int n = to - from;
    if (n <= 0) {
      return count;
    }
    int start = Math.floorMod(turn, n);
    for (int i = 0; i < n && count < limit; i++) {
      int k = start + i;
      out[count++] = from + (k < n ? k : k - n);
    }
    return count;
  }
}
