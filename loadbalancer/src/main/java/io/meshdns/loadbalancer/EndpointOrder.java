package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The candidates of one service and address family at one snapshot, and the policy that orders them per
 * query. The DNS server encodes every candidate once and, for each query, writes the ones {@link #next}
 * picks, in its order: rotation on every query at the cost of a cache hit.
 *
 * <p>Immutable but for the service's turn counters (shared with the next snapshot's order of the same
 * service) and {@link #current()}, which turns false once a newer snapshot replaced it. Each querier
 * cluster has its own turn counter, so queriers of several clusters taking turns cannot lock one of
 * them onto the same endpoint (two clusters alternating on one counter would each always see an odd or
 * an even turn).
 */
public final class EndpointOrder {
  private final Candidates candidates;
  private final LoadBalancingPolicy policy;
  private final int limit;
  private final AtomicIntegerArray turns;
  private final Map<ClusterId, Integer> slots;
  private final Validity validity;

  /**
   * Whether orders are still those of the current snapshot: one per prepared plan (its orders of every
   * family are replaced together), one per selector state for the orders built unprepared from it.
   */
  static final class Validity {
    private volatile boolean ended;

    void end() {
      ended = true;
    }

    boolean valid() {
      return !ended;
    }
  }

  /**
   * @param turns one counter per known querier cluster (at its slot) and one, the last, for the others
   * @param validity ended when a newer snapshot replaces this order
   */
  EndpointOrder(Candidates candidates, LoadBalancingPolicy policy, int limit, AtomicIntegerArray turns,
      Map<ClusterId, Integer> slots, Validity validity) {
    this.candidates = candidates;
    this.policy = policy;
    this.limit = limit;
    this.turns = turns;
    this.slots = slots;
    this.validity = validity;
  }

  /** Every candidate, in the order {@link #next} positions refer to. */
  public List<Endpoint> candidates() {
    return candidates.all();
  }

  /** The answer size cap: {@link #next} writes at most this many positions. */
  public int limit() {
    return limit;
  }

  /**
   * Whether this is still the order of the current snapshot (neither the service nor cluster health
   * changed). An order built for a service that {@link EndpointSelector#update} had not prepared is
   * current only until the next update, which may change what it was built from.
   */
  public boolean current() {
    return validity.valid();
  }

  /**
   * This query's choice: writes positions in {@link #candidates()} into {@code out}, best first, and
   * consumes one turn. Allocates nothing.
   *
   * @param out at least {@link #limit()} long
   * @param scratch at least {@code candidates().size()} long
   * @return how many positions were written (0 when there is no candidate)
   */
  public int next(ClusterId querier, String zone, int[] out, int[] scratch) {
    if (candidates.isEmpty()) {
      return 0;
    }
    Integer slot = querier == null ? null : slots.get(querier);
    int turn = turns.getAndIncrement(slot == null ? turns.length() - 1 : slot);
    return policy.order(candidates, querier, zone, turn, limit, out, scratch);
  }

}
