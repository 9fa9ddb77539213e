package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.answer;
import static io.meshdns.loadbalancer.Mesh.clusters;
import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.notReady;
import static io.meshdns.loadbalancer.Mesh.ready;
import static io.meshdns.loadbalancer.Mesh.readyRange;
import static io.meshdns.loadbalancer.Mesh.terminating;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.GlobalService;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** local-first is the default policy: every selector here is built from the defaults. */
class LocalFirstPolicyTest {
    private static QueryContext from(String cluster) {
        return new QueryContext(null, ClusterId.of(cluster), null);
    }

    private static List<String> select(EndpointSelector selector, Mesh mesh, QueryContext query) {
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        return ips(answer(selector.addresses(web, false), query));
    }

    private static LoadBalancingConfig.Cluster cluster(String id, int weight, int priority) {
        return new LoadBalancingConfig.Cluster(ClusterId.of(id), weight, priority, List.of());
    }

    @Test
    void isTheDefaultPolicy() {
        GlobalService web = Mesh.web().in("east", ready("10.10.1.1")).service();
        assertThat(new EndpointSelector(DraftConfig.defaults().config())
                        .policyOf(web)
                        .configName())
                .isEqualTo("local-first");
    }

    @Test
    void aQuerierWhoseClusterHasReadyEndpointsGetsOnlyThose() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 3)).in("west", readyRange("10.20.1.", 2));
        assertThat(select(new EndpointSelector(DraftConfig.defaults().config()), mesh, from("west")))
                .containsExactlyInAnyOrder("10.20.1.1", "10.20.1.2");
    }

    /**
     * A headless service's answer is complete: the querier's cluster first (rotating), then every other
     * cluster in failover rank.
     */
    @Test
    void aHeadlessAnswerHasTheQueriersClusterFirstThenEveryOtherCluster() {
        Mesh mesh = Mesh.web()
                .headless()
                .in("east", readyRange("10.10.1.", 3))
                .in("north", readyRange("10.30.1.", 2))
                .in("west", readyRange("10.20.1.", 2));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults()
                .withClusters(List.of(cluster("north", 1, 1), cluster("west", 1, 0)))
                .config());
        GlobalService db = mesh.service();
        selector.update(mesh.snapshot(1, db));
        List<String> first = clusters(answer(selector.addresses(db, false), from("east")));
        List<String> second = ips(answer(selector.addresses(db, false), from("east")));
        assertThat(first).containsExactly("east", "east", "east", "west", "west", "north", "north");
        assertThat(second).startsWith("10.10.1.2", "10.10.1.3", "10.10.1.1");
    }

    @Test
    void insideTheLocalClusterTheOrderIsRoundRobin() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 3)).in("west", readyRange("10.20.1.", 2));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        List<List<String>> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(ips(answer(selector.addresses(web, false), from("east"))));
        }
        assertThat(answers)
                .containsExactly(
                        List.of("10.10.1.1", "10.10.1.2", "10.10.1.3"),
                        List.of("10.10.1.2", "10.10.1.3", "10.10.1.1"),
                        List.of("10.10.1.3", "10.10.1.1", "10.10.1.2"));
    }

    @Test
    void anUnknownQuerierGetsEveryClustersReadyEndpoints() {
        Mesh mesh =
                Mesh.web().in("east", readyRange("10.10.1.", 3)).in("west", ready("10.20.1.1"), notReady("10.20.1.3"));
        assertThat(select(new EndpointSelector(DraftConfig.defaults().config()), mesh, Mesh.ANYONE))
                .containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1");
    }

    @Test
    void whenTheLocalClusterHasZeroReadyEndpointsTheQuerierFailsOverToTheOthers() {
        Mesh mesh = Mesh.web()
                .in("east", notReady("10.10.1.1"), notReady("10.10.1.2"))
                .in("west", readyRange("10.20.1.", 2));
        assertThat(select(new EndpointSelector(DraftConfig.defaults().config()), mesh, from("east")))
                .containsExactlyInAnyOrder("10.20.1.1", "10.20.1.2");
    }

    @Test
    void aQuerierWhoseClusterDoesNotExportTheServiceFailsOverToTheOthers() {
        Mesh mesh = Mesh.web().in("west", readyRange("10.20.1.", 2));
        assertThat(select(new EndpointSelector(DraftConfig.defaults().config()), mesh, from("east")))
                .containsExactlyInAnyOrder("10.20.1.1", "10.20.1.2");
    }

    @Test
    void failoverOrdersClustersByConfiguredPriorityLowestFirst() {
        Mesh mesh = Mesh.web()
                .in("east", notReady("10.10.1.1"))
                .in("north", ready("10.30.1.1"))
                .in("south", ready("10.40.1.1"))
                .in("west", ready("10.20.1.1"));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults()
                .withClusters(List.of(cluster("north", 1, 2), cluster("south", 1, 0), cluster("west", 1, 1)))
                .config());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        for (int i = 0; i < 5; i++) {
            assertThat(clusters(answer(selector.addresses(web, false), from("east"))))
                    .containsExactly("south", "west", "north");
        }
    }

    @Test
    void failoverBetweenClustersOfEqualPriorityPrefersTheHigherWeight() {
        Mesh mesh = Mesh.web()
                .in("east", notReady("10.10.1.1"))
                .in("north", ready("10.30.1.1"))
                .in("west", ready("10.20.1.1"));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults()
                .withClusters(List.of(cluster("north", 1, 0), cluster("west", 5, 0)))
                .config());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        assertThat(clusters(answer(selector.addresses(web, false), from("east"))))
                .containsExactly("west", "north");
    }

    @Test
    void failoverRotatesInsideEachClusterSoTheCapStillCoversThemOverTime() {
        Mesh mesh = Mesh.web()
                .in("east", notReady("10.10.1.1"))
                .in("west", readyRange("10.20.1.", 4))
                .in("north", readyRange("10.30.1.", 4));
        ManualClock clock = new ManualClock();
        EndpointSelector selector = new EndpointSelector(
                DraftConfig.defaults()
                        .withMaxAnswers(2)
                        .withClusters(List.of(cluster("north", 1, 1)))
                        .config(),
                clock);
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<String> answer = ips(answer(selector.addresses(web, false), from("east")));
            assertThat(answer).hasSize(2).allMatch(ip -> ip.startsWith("10.20.1."));
            seen.addAll(answer);
            clock.advanceSeconds(1);
        }
        assertThat(seen).containsOnly("10.20.1.1", "10.20.1.2", "10.20.1.3", "10.20.1.4");
    }

    @Test
    void aStaleClusterIsNotAnsweredWhileAnotherClusterIsReady() {
        Mesh mesh = Mesh.web()
                .in("east", notReady("10.10.1.1"))
                .in("north", ready("10.30.1.1"))
                .in("west", ready("10.20.1.1"))
                .state("north", ClusterState.STALE);
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults()
                .withClusters(List.of(cluster("north", 1, 0), cluster("west", 1, 9)))
                .config());
        assertThat(select(selector, mesh, from("east"))).containsExactly("10.20.1.1");
    }

    @Test
    void aStaleClusterIsUsedWhenNothingElseIsReady() {
        Mesh mesh = Mesh.web()
                .in("east", notReady("10.10.1.1"))
                .in("north", ready("10.30.1.1"))
                .state("north", ClusterState.STALE);
        assertThat(select(new EndpointSelector(DraftConfig.defaults().config()), mesh, from("east")))
                .containsExactly("10.30.1.1");
    }

    @Test
    void aStaleLocalClusterIsPassedOverForAHealthyOne() {
        Mesh mesh = Mesh.web()
                .in("east", ready("10.10.1.1"))
                .in("west", ready("10.20.1.1"))
                .state("east", ClusterState.STALE);
        assertThat(select(new EndpointSelector(DraftConfig.defaults().config()), mesh, from("east")))
                .containsExactly("10.20.1.1");
    }

    @Test
    void aDisconnectedLocalClusterWithinStaleAfterIsAnsweredExactlyAsWhenSynced() {
        Mesh mesh = Mesh.web().in("east", ready("10.10.1.1")).in("west", ready("10.20.1.1"));
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        List<String> synced = select(selector, mesh.state("east", ClusterState.SYNCED), from("east"));
        assertThat(synced).containsExactly("10.10.1.1");
        assertThat(select(selector, mesh.state("east", ClusterState.DISCONNECTED), from("east")))
                .isEqualTo(synced);
    }

    @Test
    void aClusterRefusingCredentialsAfterSyncingKeepsItsEndpointsUntilStale() {
        Mesh mesh = Mesh.web()
                .in("east", ready("10.10.1.1"))
                .in("west", ready("10.20.1.1"))
                .state("east", ClusterState.ERROR);
        assertThat(select(new EndpointSelector(DraftConfig.defaults().config()), mesh, from("east")))
                .containsExactly("10.10.1.1");
    }

    @Test
    void aStaleClustersReadyEndpointsComeBeforeAHealthyClustersTerminatingOnes() {
        Mesh mesh = Mesh.web()
                .in("east", terminating("10.10.1.1"))
                .in("west", ready("10.20.1.1"))
                .state("west", ClusterState.STALE);
        assertThat(select(new EndpointSelector(DraftConfig.defaults().config()), mesh, from("east")))
                .containsExactly("10.20.1.1");
    }

    @Test
    void aClusterThatRecoversIsPreferredAgainWithTheNextSnapshot() {
        Mesh mesh = Mesh.web()
                .in("east", ready("10.10.1.1"))
                .in("west", ready("10.20.1.1"))
                .state("east", ClusterState.STALE);
        EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        assertThat(ips(answer(selector.addresses(web, false), from("east")))).containsExactly("10.20.1.1");
        selector.update(mesh.state("east", ClusterState.SYNCED).snapshot(2, web)); // same service, health changed
        assertThat(ips(answer(selector.addresses(web, false), from("east")))).containsExactly("10.10.1.1");
    }
}
