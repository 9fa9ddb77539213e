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
 * <p>Policies choose <em>members</em>, not addresses: a member is one pod (the endpoints that share a
 * targetRef, else a hostname, in one cluster) with all its addresses in this candidate set. So a cap counts
 * endpoints: a dual-stack pod's two addresses are one SRV target, and A and AAAA choose among the same
 * pods. Positions ({@link #size()}, groups, zones) are member positions; {@link #memberStart}/{@link
 * #memberEnd} give a member's addresses in {@link #all()}.
 *
 * <p>Eligibility, best first; the first non-empty tier is the whole candidate set:
 * ready endpoints of healthy clusters; ready endpoints of degraded clusters
 * ({@code ClusterHealth.degraded()}: stale, i.e. out of touch for longer than {@code staleAfter});
 * serving-but-terminating endpoints of healthy clusters; those of degraded clusters. A cluster that is
 * disconnected for less than {@code staleAfter} is healthy here: its last known endpoints are answered
 * exactly as if it were synced.
 */
final class Candidates {
    static final Candidates NONE = new Candidates(
            List.of(), null, new ClusterId[0], new int[] {0}, new int[0], new int[0], TopologyZones.NONE);

    private final List<Endpoint> endpoints;
    /** Member m's addresses are {@code endpoints[memberStarts[m] .. memberStarts[m + 1])}; {@code null}: one each. */
    private final int[] memberStarts;

    private final ClusterId[] clusters;
    private final int[] starts;
    private final int[] weights;
    private final int[] failoverOrder;
    private final TopologyZones topologyZones;

    private Candidates(
            List<Endpoint> endpoints,
            int[] memberStarts,
            ClusterId[] clusters,
            int[] starts,
            int[] weights,
            int[] failoverOrder,
            TopologyZones topologyZones) {
        this.endpoints = endpoints;
        this.memberStarts = memberStarts;
        this.clusters = clusters;
        this.starts = starts;
        this.weights = weights;
        this.failoverOrder = failoverOrder;
        this.topologyZones = topologyZones;
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
            keyed[i] = new Keyed(e, pod(e), e.address().getAddress());
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
     * @param withTopologyZones whether to index the candidates by zone (for a policy that orders by zone)
     */
    static Candidates of(
            List<Endpoint> inPodOrder,
            Boolean ipv6,
            Set<ClusterId> degraded,
            ClusterSettings settings,
            boolean withTopologyZones) {
        int best = Integer.MAX_VALUE;
        for (Endpoint e : inPodOrder) {
            if (ipv6 == null || e.isIpv6() == ipv6) {
                best = Math.min(best, tier(e, degraded));
            }
        }
        if (best == Integer.MAX_VALUE || best == EXCLUDED) {
            return NONE;
        }
        // A filter of a sorted list is sorted: each cluster's candidates are one run, in pod order, and each
        // pod's addresses are one run inside it.
        List<Endpoint> flat = new ArrayList<>();
        List<Integer> members = new ArrayList<>();
        List<ClusterId> ids = new ArrayList<>();
        List<Integer> groupStarts = new ArrayList<>();
        String lastPod = null;
        for (Endpoint e : inPodOrder) {
            if ((ipv6 == null || e.isIpv6() == ipv6) && tier(e, degraded) == best) {
                boolean newCluster = ids.isEmpty() || !ids.get(ids.size() - 1).equals(e.cluster());
                if (newCluster) {
                    ids.add(e.cluster());
                    groupStarts.add(members.size());
                }
                String pod = pod(e);
                if (newCluster || pod == null || !pod.equals(lastPod)) {
                    members.add(flat.size());
                }
                lastPod = pod;
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
        starts[groups] = members.size();
        Integer[] order = new Integer[groups];
        for (int i = 0; i < groups; i++) {
            order[i] = i;
        }
        Comparator<ClusterId> rank = settings.failoverRank();
        Arrays.sort(order, (a, b) -> rank.compare(ids.get(a), ids.get(b)));
        int[] failoverOrder = Arrays.stream(order).mapToInt(Integer::intValue).toArray();
        List<Endpoint> endpoints = List.copyOf(flat);
        int[] memberStarts = null;
        List<Endpoint> firstOfEach = endpoints;
        if (members.size() < flat.size()) {
            memberStarts = new int[members.size() + 1];
            Endpoint[] first = new Endpoint[members.size()];
            for (int m = 0; m < members.size(); m++) {
                memberStarts[m] = members.get(m);
                first[m] = flat.get(members.get(m));
            }
            memberStarts[members.size()] = flat.size();
            firstOfEach = List.of(first);
        }
        return new Candidates(
                endpoints,
                memberStarts,
                ids.toArray(new ClusterId[0]),
                starts,
                weights,
                failoverOrder,
                withTopologyZones ? TopologyZones.of(firstOfEach) : TopologyZones.NONE);
    }

    /** The pod behind an address (its targetRef, else its hostname), or {@code null}: an address of its own. */
    private static String pod(Endpoint e) {
        return e.targetRef() != null ? e.targetRef().name() : e.hostname();
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

    /** Every candidate address, grouped by cluster in cluster id order, each member's addresses together. */
    List<Endpoint> all() {
        return endpoints;
    }

    /** How many members (pods) there are: the positions a policy chooses from. */
    int size() {
        return memberStarts == null ? endpoints.size() : memberStarts.length - 1;
    }

    boolean isEmpty() {
        return endpoints.isEmpty();
    }

    /** Where member {@code m}'s addresses start in {@link #all()}. */
    int memberStart(int m) {
        return memberStarts == null ? m : memberStarts[m];
    }

    /** Where member {@code m}'s addresses end (exclusive) in {@link #all()}. */
    int memberEnd(int m) {
        return memberStarts == null ? m + 1 : memberStarts[m + 1];
    }

    /** Whether every member has exactly one address (then member and address positions are the same). */
    boolean oneAddressEach() {
        return memberStarts == null;
    }

    /**
     * Replaces the member positions {@code out[0..count)} by their addresses' positions in {@link #all()}, in
     * the same order; {@code out} must hold them all ({@link #all()}'s size is always enough).
     *
     * @return how many address positions {@code out} now holds
     */
    int expand(int[] out, int count) {
        if (memberStarts == null) {
            return count;
        }
        int total = 0;
        for (int i = 0; i < count; i++) {
            total += memberStarts[out[i] + 1] - memberStarts[out[i]];
        }
        // From the back: member i's addresses go to index >= i, so no member still to read is overwritten.
        int at = total;
        for (int i = count - 1; i >= 0; i--) {
            int m = out[i];
            at -= memberStarts[m + 1] - memberStarts[m];
            for (int k = 0, a = memberStarts[m]; a < memberStarts[m + 1]; k++, a++) {
                out[at + k] = a;
            }
        }
        return total;
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

    /** The group of the member at {@code position}. */
    int groupOf(int position) {
        int lo = 0;
        int hi = clusters.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= position) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
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

    /** The candidates' positions by zone; {@link TopologyZones#NONE} unless built {@code withTopologyZones}. */
    TopologyZones topologyZones() {
        return topologyZones;
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

    /** Rotates {@code out[from..to)} in place so that it starts at its element {@code turn} (mod its length). */
    static void rotate(int[] out, int from, int to, int turn) {
        int n = to - from;
        if (n <= 1) {
            return;
        }
        int k = Math.floorMod(turn, n);
        if (k == 0) {
            return;
        }
        reverse(out, from, from + k);
        reverse(out, from + k, to);
        reverse(out, from, to);
    }

    /**
     * Rotates each run of positions of one cluster in {@code out[0..count)} by {@code turn}, keeping the runs
     * in their order: for policies whose order is one of clusters (failover rank, weighted draw).
     */
    void rotateWithinClusters(int[] out, int count, int turn) {
        int from = 0;
        while (from < count) {
            int group = groupOf(out[from]);
            int to = from + 1;
            while (to < count && groupOf(out[to]) == group) {
                to++;
            }
            rotate(out, from, to, turn);
            from = to;
        }
    }

    private static void reverse(int[] a, int from, int to) {
        for (int i = from, j = to - 1; i < j; i++, j--) {
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
