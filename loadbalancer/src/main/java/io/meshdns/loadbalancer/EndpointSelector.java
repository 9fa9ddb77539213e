package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The load balancer's entry point: from a global service's endpoints, the ones to answer for one query.
 *
 * <p>{@link #update(MeshSnapshot)} runs on the snapshot publisher thread: for each service it resolves the
 * policy and answer cap (config defaults, overridden by annotations, warnings logged once), and keeps the
 * candidates per address family (and over both, for a headless service's SRV targets), already filtered by
 * readiness and cluster health, with what the policy reads per query prepared (groups, zones).
 * {@link #addresses} and {@link #srvTargets} run once per compiled answer; the order they return runs on
 * the query path ({@link EndpointOrder#next(ClusterId, String, int[], int[])}: one slot lookup, one atomic
 * increment and the policy's ordering into at most the cap), never blocking, locking or logging.
 */
public final class EndpointSelector {
    private static final Logger log = LoggerFactory.getLogger(EndpointSelector.class);

    /**
     * One service at one snapshot: its rule and the order of each address family (and, for a headless
     * service, of both: its SRV targets). The turn counters are carried over while the service exists; A and
     * AAAA count apart so that the n-th answer of each names the same pods. Its orders stop being current
     * together, when {@code validity} ends.
     */
    private record Plan(
            GlobalService service,
            ServiceRule rule,
            EndpointOrder ipv4,
            EndpointOrder ipv6,
            EndpointOrder any,
            Turns turns,
            EndpointOrder.Validity validity) {}

    /**
     * Per family, one turn counter per known querier cluster and one for the rest; and per querier slot the
     * capped subset's second and turn, shared by the families so that A, AAAA and SRV name the same pods
     * (see {@link EndpointOrder}). Each slot's subsets start one block apart, so the clusters' queriers are
     * not all sent to the same pods.
     */
    private record Turns(
            AtomicIntegerArray ipv4, AtomicIntegerArray ipv6, AtomicIntegerArray any, AtomicLongArray subsets) {
        Turns(int slots, int cap) {
            this(
                    new AtomicIntegerArray(slots),
                    new AtomicIntegerArray(slots),
                    new AtomicIntegerArray(slots),
                    new AtomicLongArray(slots));
            for (int s = 0; s < slots; s++) {
                subsets.set(s, (long) s * cap & 0xFFFFFFFFL);
            }
        }
    }

    /**
     * @param unprepared the validity of the orders built from this state for services it has no plan of
     *     (ended by the next update)
     */
    private record State(Set<ClusterId> degraded, Map<ServiceKey, Plan> plans, EndpointOrder.Validity unprepared) {}

    private final LoadBalancingConfig config;
    private final ClusterSettings settings;
    private final Map<Policy, LoadBalancingPolicy> policies;
    private final Map<ClusterId, Integer> slots;
    private final Supplier<RandomGenerator> random;
    private final InstantSource clock;
    private final Turns unpreparedTurns;
    private volatile State state = new State(Set.of(), Map.of(), new EndpointOrder.Validity());

    public EndpointSelector(LoadBalancingConfig config) {
        this(config, InstantSource.system());
    }

    /** @param clock when a capped answer's subset moves on (each second); a test's own clock in tests */
    public EndpointSelector(LoadBalancingConfig config, InstantSource clock) {
        this(config, ThreadLocalRandom::current, clock);
    }

    /** @param random the source of randomness for {@code random} and {@code weighted}; seeded in tests */
    EndpointSelector(LoadBalancingConfig config, Supplier<RandomGenerator> random) {
        this(config, random, InstantSource.system());
    }

    EndpointSelector(LoadBalancingConfig config, Supplier<RandomGenerator> random, InstantSource clock) {
        this.config = config;
        this.settings = new ClusterSettings(config);
        this.random = random;
        this.clock = clock;
        Map<Policy, LoadBalancingPolicy> byPolicy = new EnumMap<>(Policy.class);
        for (Policy p : Policy.values()) {
            byPolicy.put(
                    p,
                    switch (p) {
                        case ROUND_ROBIN -> new RoundRobinPolicy();
                        case RANDOM -> new RandomPolicy();
                        case WEIGHTED -> new WeightedPolicy();
                        case LOCAL_FIRST -> new LocalFirstPolicy();
                        case ZONE_AWARE -> new ZoneAwarePolicy();
                    });
        }
        this.policies = byPolicy;
        Map<ClusterId, Integer> bySlot = new HashMap<>();
        for (LoadBalancingConfig.Cluster c : config.clusters()) {
            bySlot.putIfAbsent(c.id(), bySlot.size());
        }
        this.slots = Map.copyOf(bySlot);
        this.unpreparedTurns = newTurns(config.maxAnswers());
    }

    private Turns newTurns(int cap) {
        return new Turns(slots.size() + 1, cap);
    }

    public LoadBalancingConfig config() {
        return config;
    }

    /**
     * Prepares for the services and cluster health of {@code snapshot}. Call it from one thread (the
     * snapshot publisher) with each new snapshot, before the snapshot's names are answered. Logs each
     * annotation warning once per service, not again while the service keeps the same annotations.
     *
     * @return the warnings logged now
     */
    public List<String> update(MeshSnapshot snapshot) {
        State previous = state;
        Set<ClusterId> degraded = new HashSet<>();
        for (ClusterHealth health : snapshot.clusters().values()) {
            if (health.degraded()) {
                degraded.add(health.cluster());
            }
        }
        degraded = Set.copyOf(degraded);
        boolean healthChanged = !degraded.equals(previous.degraded());
        List<String> logged = new ArrayList<>();
        Map<ServiceKey, Plan> plans = new HashMap<>();
        for (var entry : snapshot.services().entrySet()) {
            GlobalService service = entry.getValue();
            Plan old = previous.plans().get(entry.getKey());
            boolean same = old != null && old.service() == service;
            if (same && !healthChanged) {
                plans.put(entry.getKey(), old);
                continue;
            }
            ServiceRule rule = same ? old.rule() : ServiceRule.resolve(service, config);
            for (String warning : rule.warnings()) {
                if (old == null || !old.rule().warnings().contains(warning)) {
                    log.warn(warning);
                    logged.add(warning);
                }
            }
            plans.put(
                    entry.getKey(),
                    plan(
                            service,
                            rule,
                            degraded,
                            old == null ? newTurns(rule.maxAnswers()) : old.turns(),
                            new EndpointOrder.Validity()));
        }
        state = new State(degraded, plans, new EndpointOrder.Validity());
        // Answers compiled from a replaced plan are stale from now on (their service or its health changed),
        // and so are those of orders built unprepared from the previous state (its health, its plans).
        for (var entry : previous.plans().entrySet()) {
            if (plans.get(entry.getKey()) != entry.getValue()) {
                entry.getValue().validity().end();
            }
        }
        previous.unprepared().end();
        return logged;
    }

    /**
     * The order of the service's addresses of one family, for the current snapshot: its candidates (ready
     * ones; serving-but-terminating ones only when none is ready; degraded clusters only when no healthy
     * cluster has one), which {@link EndpointOrder#next} orders by the service's policy for each querier and
     * caps (a headless service without a cap annotation: all of them). The DNS server asks for it once per
     * compiled answer, and for the order once per query.
     */
    public EndpointOrder addresses(GlobalService service, boolean ipv6) {
        Plan plan = plan(service);
        return ipv6 ? plan.ipv6() : plan.ipv4();
    }

    /**
     * The order of the service's endpoints of both families: the SRV targets of a headless service, with the
     * same tiers, policy and rotation as an A answer, every one of them unless the service's annotation caps
     * it (the cap counts pods: a dual-stack pod is one target). A service that is not headless has none (its
     * SRV record names the service, not its endpoints): the order has no candidate.
     */
    public EndpointOrder srvTargets(GlobalService service) {
        return plan(service).any();
    }

    /**
     * Every candidate of the family, uncapped and in a stable order (by cluster): what a zone transfer
     * mirrors, since a secondary serves the whole answer set rather than one query's choice.
     */
    public List<Endpoint> candidates(GlobalService service, boolean ipv6) {
        return addresses(service, ipv6).candidates();
    }

    /** The policy that applies to {@code service}: the default, or its annotation's. */
    public Policy policyOf(GlobalService service) {
        return plan(service).rule().policy();
    }

    private Plan plan(GlobalService service) {
        State s = state;
        Plan plan = s.plans().get(service.key());
        if (plan != null && plan.service() == service) {
            return plan;
        }
        // Not prepared by update() (a query racing a publication, or no update yet): build it here, quietly,
        // valid while this state is current (the next update may change its health or its service).
        Turns turns = plan != null ? plan.turns() : unpreparedTurns; // or a new service's: the shared ones
        return plan(service, ServiceRule.resolve(service, config), s.degraded(), turns, s.unprepared());
    }

    private Plan plan(
            GlobalService service,
            ServiceRule rule,
            Set<ClusterId> degraded,
            Turns turns,
            EndpointOrder.Validity validity) {
        List<Endpoint> inPodOrder = Candidates.inPodOrder(service.endpoints());
        LoadBalancingPolicy policy = policies.get(rule.policy());
        boolean topologyZones = policy.ordersByTopologyZone();
        int cap = rule.maxAnswers();
        boolean complete = rule.complete();
        int salt = service.key().hashCode();
        // Only a headless service's SRV answer names endpoints; any other's names the service itself.
        Candidates any = service.headless()
                ? Candidates.of(inPodOrder, null, degraded, settings, topologyZones)
                : Candidates.NONE;
        return new Plan(
                service,
                rule,
                new EndpointOrder(
                        Candidates.of(inPodOrder, false, degraded, settings, topologyZones),
                        policy,
                        cap,
                        complete,
                        turns.ipv4(),
                        turns.subsets(),
                        slots,
                        validity,
                        random,
                        clock,
                        salt),
                new EndpointOrder(
                        Candidates.of(inPodOrder, true, degraded, settings, topologyZones),
                        policy,
                        cap,
                        complete,
                        turns.ipv6(),
                        turns.subsets(),
                        slots,
                        validity,
                        random,
                        clock,
                        salt),
                new EndpointOrder(
                        any, policy, cap, complete, turns.any(), turns.subsets(), slots, validity, random, clock, salt),
                turns,
                validity);
    }
}
