package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The candidates of one service and address family at one snapshot, and the policy that orders them per
 * query. The DNS server encodes every candidate once and, for each query, writes the ones {@link #next}
 * picks, in its order: rotation on every query at the cost of a cache hit.
 *
 * <p>Three kinds of answer:
 * <ul>
 *   <li><b>complete</b> (a headless service without a cap annotation): every candidate, in the policy's
 *       order for this query; {@code local-first} puts the querier's cluster first and then the others
 *       (Kubernetes DNS: one record per ready endpoint).
 *   <li><b>within the cap</b> (no more members than the cap): every member the policy chooses, in its
 *       order for this query.
 *   <li><b>capped</b>: the policy chooses the subset once per second and querier cluster, the same for A,
 *       AAAA and SRV (MCS DNS: both families name the same endpoints; the subset moves on each second, so
 *       every endpoint is answered over time), and each query gets that subset rotated by its own turn.
 * </ul>
 *
 * <p>Immutable but for the service's turn counters (shared with the next snapshot's order of the same
 * service) and {@link #current()}, which turns false once a newer snapshot replaced it. Each querier
 * cluster has its own turn counter, so queriers of several clusters taking turns cannot lock one of
 * them onto the same endpoint (two clusters alternating on one counter would each always see an odd or
 * an even turn).
 */
public final class EndpointOrder {
    /** How long a capped answer keeps its subset. */
    static final long SUBSET_MILLIS = 1000;

    private final Candidates candidates;
    private final LoadBalancingPolicy policy;
    private final int cap;
    private final boolean complete;
    private final AtomicIntegerArray turns;
    private final AtomicLongArray subsets;
    private final Map<ClusterId, Integer> slots;
    private final Validity validity;
    private final Supplier<RandomGenerator> random;
    private final InstantSource clock;
    private final int salt;

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
     * @param cap the most members a capped answer names; ignored when {@code complete}
     * @param complete whether every candidate is answered (a headless service without a cap of its own)
     * @param turns one counter per known querier cluster (at its slot) and one, the last, for the others
     * @param subsets per querier slot, the second and the turn of the capped subset shared by every family
     *     of the service: {@code second << 32 | turn}
     * @param validity ended when a newer snapshot replaces this order
     * @param salt mixed into the seed of a random subset, so services do not all draw the same one
     */
    EndpointOrder(
            Candidates candidates,
            LoadBalancingPolicy policy,
            int cap,
            boolean complete,
            AtomicIntegerArray turns,
            AtomicLongArray subsets,
            Map<ClusterId, Integer> slots,
            Validity validity,
            Supplier<RandomGenerator> random,
            InstantSource clock,
            int salt) {
        this.candidates = candidates;
        this.policy = policy;
        this.cap = cap;
        this.complete = complete;
        this.turns = turns;
        this.subsets = subsets;
        this.slots = slots;
        this.validity = validity;
        this.random = random;
        this.clock = clock;
        this.salt = salt;
    }

    /** Every candidate address, in the order {@link #next} positions refer to; each pod's addresses together. */
    public List<Endpoint> candidates() {
        return candidates.all();
    }

    /**
     * The most endpoints (pods) one answer names: all of them for a complete answer, else at most the cap.
     * Their addresses may be more (a pod with two addresses of the family, or of both for SRV).
     */
    public int limit() {
        return complete ? candidates.size() : Math.min(cap, candidates.size());
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
     * This query's choice: writes positions in {@link #candidates()} into {@code out}, best first (each
     * chosen pod's addresses together), and consumes one turn. Allocates nothing.
     *
     * @param out at least {@code candidates().size()} long
     * @param scratch at least {@code candidates().size()} long
     * @return how many positions were written (0 when there is no candidate)
     */
    public int next(ClusterId querier, String topologyZone, int[] out, int[] scratch) {
        int members = candidates.size();
        if (members == 0) {
            return 0;
        }
        Integer known = querier == null ? null : slots.get(querier);
        int slot = known == null ? turns.length() - 1 : known;
        int turn = turns.getAndIncrement(slot);
        int count;
        if (complete) {
            count = policy.orderAll(candidates, querier, topologyZone, turn, out, scratch, random.get());
        } else if (members <= cap) {
            count = policy.order(candidates, querier, topologyZone, turn, members, out, scratch, random.get());
        } else {
            int subsetTurn = subsetTurn(slot);
            RandomGenerator seeded = SubsetRandom.seeded(subsetTurn, slot, salt);
            count = policy.order(candidates, querier, topologyZone, subsetTurn, cap, out, scratch, seeded);
            policy.rotate(candidates, querier, topologyZone, out, count, turn);
        }
        return candidates.expand(out, count);
    }

    /**
     * The turn that chooses this second's subset for the querier slot: it moves on by the cap when the
     * second changes (so consecutive subsets of a rotating policy are consecutive blocks, and every member
     * is answered over time), and is the same for every family of the service within the second.
     */
    private int subsetTurn(int slot) {
        int second = (int) (clock.millis() / SUBSET_MILLIS);
        long packed = subsets.get(slot);
        while (second - (int) (packed >>> 32) > 0) {
            long moved = (long) second << 32 | ((int) packed + cap) & 0xFFFFFFFFL;
            if (subsets.compareAndSet(slot, packed, moved)) {
                return (int) moved;
            }
            packed = subsets.get(slot); // another query of this second (or a later one) moved it first
        }
        return (int) packed;
    }
}
