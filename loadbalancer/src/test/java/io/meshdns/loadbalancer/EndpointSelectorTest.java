package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.answer;
import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.notReady;
import static io.meshdns.loadbalancer.Mesh.pod;
import static io.meshdns.loadbalancer.Mesh.ready;
import static io.meshdns.loadbalancer.Mesh.readyRange;
import static io.meshdns.loadbalancer.Mesh.terminating;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The rules every policy shares: readiness, address family, the answer cap. */
class EndpointSelectorTest {
    static final List<String> POLICIES = Policy.NAMES;

    private static List<String> selectOnce(EndpointSelector selector, Mesh mesh, boolean ipv6) {
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        return ips(answer(selector.addresses(web, ipv6), Mesh.ANYONE));
    }

    private static EndpointSelector selector(String policy, int maxAnswers) {
        return selector(policy, maxAnswers, java.time.InstantSource.system());
    }

    private static EndpointSelector selector(String policy, int maxAnswers, java.time.InstantSource clock) {
        Random random = new Random(1);
        return new EndpointSelector(
                DraftConfig.defaults()
                        .withPolicy(policy)
                        .withMaxAnswers(maxAnswers)
                        .config(),
                () -> random,
                clock);
    }

    /** The pods (targetRef names) of an answer. */
    private static Set<String> podsOf(List<Endpoint> answer) {
        Set<String> out = new HashSet<>();
        answer.forEach(e -> out.add(e.targetRef().name()));
        return out;
    }

    @ParameterizedTest
    @FieldSource("POLICIES")
    void onlyReadyEndpointsAreAnswered(String policy) {
        Mesh mesh = Mesh.web()
                .in("east", ready("10.10.1.1"), terminating("10.10.1.2"), notReady("10.10.1.3"))
                .in("west", ready("10.20.1.1"), notReady("10.20.1.2"));
        assertThat(selectOnce(selector(policy, 8), mesh, false)).containsExactlyInAnyOrder("10.10.1.1", "10.20.1.1");
    }

    @ParameterizedTest
    @FieldSource("POLICIES")
    void servingButTerminatingEndpointsAreAnsweredOnlyWhenNoneIsReady(String policy) {
        Mesh mesh = Mesh.web()
                .in("east", terminating("10.10.1.2"), notReady("10.10.1.3"))
                .in("west", terminating("10.20.1.1"));
        assertThat(selectOnce(selector(policy, 8), mesh, false)).containsExactlyInAnyOrder("10.10.1.2", "10.20.1.1");
    }

    @Test
    void aServiceWithNoServingEndpointHasAnEmptyAnswer() {
        Mesh mesh = Mesh.web().in("east", notReady("10.10.1.1"));
        assertThat(selectOnce(new EndpointSelector(DraftConfig.defaults().config()), mesh, false))
                .isEmpty();
    }

    @Test
    void eachAddressFamilyIsAnsweredFromItsOwnEndpoints() {
        Mesh mesh =
                Mesh.web().in("east", ready("10.10.1.1"), ready("fd00:10::1")).in("west", ready("fd00:20::1"));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        assertThat(selectOnce(selector, mesh, false)).containsExactly("10.10.1.1");
        assertThat(selectOnce(selector, mesh, true))
                .containsExactlyInAnyOrder("fd00:10:0:0:0:0:0:1", "fd00:20:0:0:0:0:0:1");
    }

    @Test
    void readinessIsJudgedPerAddressFamily() {
        Mesh mesh = Mesh.web().in("east", ready("10.10.1.1"), terminating("fd00:10::1"));
        assertThat(selectOnce(new EndpointSelector(DraftConfig.defaults().config()), mesh, true))
                .containsExactly("fd00:10:0:0:0:0:0:1");
    }

    @ParameterizedTest
    @FieldSource("POLICIES")
    void theAnswerIsCappedAtMaxAnswers(String policy) {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 12)).in("west", readyRange("10.20.1.", 12));
        assertThat(selectOnce(selector(policy, 8), mesh, false)).hasSize(8).doesNotHaveDuplicates();
    }

    @Test
    void theDefaultCapIsEight() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 20));
        assertThat(selectOnce(new EndpointSelector(DraftConfig.defaults().config()), mesh, false))
                .hasSize(8);
    }

    /**
     * 20 endpoints in two clusters, cap 8, an unknown querier (every cluster is in the chosen set), one
     * query a second: the rotating policies cover all 20 within 20 seconds, random within 200.
     */
    @ParameterizedTest
    @FieldSource("POLICIES")
    void theCappedSubsetMovesOnEachSecondSoEveryEndpointIsAnsweredOverTime(String policy) {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 12)).in("west", readyRange("10.20.1.", 8));
        ManualClock clock = new ManualClock();
        EndpointSelector selector = selector(policy, 8, clock);
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        int seconds = policy.equals(Policy.RANDOM.configName()) ? 200 : 20;
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < seconds; i++) {
            seen.addAll(ips(answer(selector.addresses(web, false), Mesh.ANYONE)));
            clock.advanceSeconds(1);
        }
        assertThat(seen).hasSize(20);
    }

    /**
     * Within one second a capped answer names the same endpoints on every query, in an order that still
     * rotates: 20 endpoints, cap 8, 10 queries have 8 endpoints in all and at least 3 distinct first ones.
     */
    @ParameterizedTest
    @FieldSource("POLICIES")
    void withinASecondTheCappedSubsetStaysAndItsOrderRotates(String policy) {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 12)).in("west", readyRange("10.20.1.", 8));
        EndpointSelector selector = selector(policy, 8, new ManualClock());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        Set<String> seen = new HashSet<>();
        Set<String> first = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            List<String> answer = ips(answer(selector.addresses(web, false), Mesh.ANYONE));
            seen.addAll(answer);
            first.add(answer.get(0));
        }
        assertThat(seen).hasSize(8);
        assertThat(first).hasSizeGreaterThanOrEqualTo(3);
    }

    /**
     * A dual-stack service (10 pods, each with an IPv4 and an IPv6 address), cap 8: within a second, A and
     * AAAA name the same 8 pods whichever family is asked more often, and so does SRV (a pod is one target).
     */
    @ParameterizedTest
    @FieldSource("POLICIES")
    void aCappedDualStackServiceNamesTheSamePodsInEveryFamily(String policy) {
        Mesh.Pod[] pods = new Mesh.Pod[20];
        for (int i = 0; i < 10; i++) {
            pods[2 * i] = pod("web-" + i, "10.10.1." + (i + 1));
            pods[2 * i + 1] = pod("web-" + i, "fd00:10::" + (i + 1));
        }
        Mesh mesh = Mesh.web()
                .headless()
                .annotate("east", io.meshdns.core.KubernetesNames.MAX_ANSWERS_ANNOTATION, "8")
                .in("east", pods);
        EndpointSelector selector = selector(policy, 8, new ManualClock());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        for (int i = 0; i < 5; i++) {
            answer(selector.addresses(web, false), Mesh.ANYONE); // A asked more often than AAAA
        }
        Set<String> a = podsOf(answer(selector.addresses(web, false), Mesh.ANYONE));
        Set<String> aaaa = podsOf(answer(selector.addresses(web, true), Mesh.ANYONE));
        List<Endpoint> srv = answer(selector.srvTargets(web), Mesh.ANYONE);
        assertThat(a).hasSize(8);
        assertThat(aaaa).isEqualTo(a);
        assertThat(srv).as("both addresses of each of the 8 pods").hasSize(16);
        assertThat(podsOf(srv)).isEqualTo(a);
    }

    /** A headless service's answers carry every ready endpoint, whatever the configured cap. */
    @ParameterizedTest
    @FieldSource("POLICIES")
    void aHeadlessServiceIsAnsweredWithEveryReadyEndpoint(String policy) {
        Mesh mesh = Mesh.web().headless().in("east", readyRange("10.10.1.", 30)).in("west", readyRange("10.20.1.", 12));
        EndpointSelector selector = selector(policy, 8);
        GlobalService db = mesh.service();
        selector.update(mesh.snapshot(1, db));
        assertThat(answer(selector.addresses(db, false), Mesh.ANYONE))
                .hasSize(42)
                .doesNotHaveDuplicates();
        assertThat(answer(selector.addresses(db, false), Mesh.querier("east")))
                .hasSize(42)
                .doesNotHaveDuplicates();
        assertThat(answer(selector.srvTargets(db), Mesh.ANYONE)).hasSize(42);
    }

    /** The cap annotation opts a headless service into a cap. */
    @Test
    void aHeadlessServiceIsCappedOnlyByItsAnnotation() {
        Mesh mesh = Mesh.web()
                .headless()
                .annotate("east", io.meshdns.core.KubernetesNames.MAX_ANSWERS_ANNOTATION, "5")
                .in("east", readyRange("10.10.1.", 30));
        EndpointSelector selector = selector(Policy.ROUND_ROBIN.configName(), 8);
        GlobalService db = mesh.service();
        selector.update(mesh.snapshot(1, db));
        assertThat(answer(selector.addresses(db, false), Mesh.ANYONE)).hasSize(5);
        assertThat(answer(selector.srvTargets(db), Mesh.ANYONE)).hasSize(5);
    }

    @Test
    void aServiceNotYetPreparedBySnapshotIsStillAnsweredAndRotated() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 2));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        GlobalService web = mesh.service();
        assertThat(ips(answer(selector.addresses(web, false), Mesh.ANYONE))).containsExactly("10.10.1.1", "10.10.1.2");
        assertThat(ips(answer(selector.addresses(web, false), Mesh.ANYONE))).containsExactly("10.10.1.2", "10.10.1.1");
    }

    @Test
    void clustersNotInTheConfigAreUsableWithDefaultSettings() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 2));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults()
                .withClusters(List.of(LoadBalancingConfig.Cluster.of(ClusterId.of("west"))))
                .config());
        assertThat(selectOnce(selector, mesh, false)).hasSize(2);
    }

    /**
     * Within a cluster candidates are in pod order (targetRef name), not address order, in both families:
     * the n-th A and the n-th AAAA answer of a dual-stack service name the same pods.
     */
    @Test
    void aDualStackServicesCandidatesAreInPodOrderInBothFamilies() {
        Mesh mesh = Mesh.web()
                .in(
                        "west",
                        pod("web-b", "10.20.1.1"),
                        pod("web-b", "fd00:20::1"),
                        pod("web-a", "fd00:20::9"),
                        pod("web-a", "10.20.1.9"))
                .in(
                        "east",
                        pod("web-z", "10.10.1.1"),
                        pod("web-y", "fd00:10::2"),
                        pod("web-y", "10.10.1.2"),
                        pod("web-z", "fd00:10::1"));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        assertThat(pods(selector.addresses(web, false).candidates()))
                .containsExactly("web-y", "web-z", "web-a", "web-b");
        assertThat(pods(selector.addresses(web, true).candidates()))
                .containsExactly("web-y", "web-z", "web-a", "web-b");
    }

    /** SRV targets of a headless service: the candidates of both families, each pod's addresses in address order. */
    @Test
    void aHeadlessServicesSrvTargetsAreItsCandidatesOfBothFamilies() {
        Mesh mesh = Mesh.web()
                .headless()
                .in(
                        "east",
                        pod("db-1", "fd00:10::1"),
                        pod("db-1", "10.10.1.1"),
                        pod("db-0", "10.10.1.2"),
                        notReady("10.10.1.3"));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        GlobalService db = mesh.service();
        selector.update(mesh.snapshot(1, db));
        assertThat(ips(selector.srvTargets(db).candidates()))
                .containsExactly("10.10.1.2", "10.10.1.1", "fd00:10:0:0:0:0:0:1");
    }

    /** Only a headless service's SRV records name its endpoints; any other's name the service itself. */
    @Test
    void aServiceThatIsNotHeadlessHasNoSrvTargets() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 3));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        assertThat(selector.srvTargets(web).candidates()).isEmpty();
        assertThat(answer(selector.srvTargets(web), Mesh.ANYONE)).isEmpty();
    }

    @Test
    void anOrderIsCurrentUntilAnUpdateChangesItsService() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 2));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        EndpointOrder order = selector.addresses(web, false);
        selector.update(mesh.snapshot(2, web));
        assertThat(order.current()).isTrue();
        selector.update(mesh.snapshot(3, mesh.service()));
        assertThat(order.current()).isFalse();
    }

    /**
     * An order built for a service the selector had not prepared (the zone published it before the
     * selector's update) reflects the cluster health of that moment: the next update may change it, so the
     * order is no longer current after it, and the service's prepared order is used instead.
     */
    @Test
    void anOrderBuiltForAServiceNotYetPreparedIsNotCurrentAfterTheNextUpdate() {
        Mesh mesh = Mesh.web().in("east", ready("10.10.1.1")).in("west", ready("10.20.1.1"));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        selector.update(mesh.state("east", ClusterState.STALE).snapshot(1));
        GlobalService web = mesh.service(); // a later publication, not prepared yet
        EndpointOrder unprepared = selector.addresses(web, false);
        assertThat(ips(unprepared.candidates())).containsExactly("10.20.1.1");
        selector.update(mesh.state("east", ClusterState.SYNCED).snapshot(2, web));
        assertThat(unprepared.current()).isFalse();
        assertThat(ips(selector.addresses(web, false).candidates())).containsExactly("10.10.1.1", "10.20.1.1");
    }

    private static List<String> pods(List<Endpoint> endpoints) {
        return endpoints.stream().map(e -> e.targetRef().name()).toList();
    }
}
